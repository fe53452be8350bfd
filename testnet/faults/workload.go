package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Acked is an object a node acknowledged: its API call to publish it
// returned success. The checker wants every one found from every node.
type Acked struct {
	ID   protocol.ID `json:"id"`
	Kind string      `json:"kind"` // dataset or claim
	Node int         `json:"node"`
}

// Workload drives a cluster as its users would: publishers adding
// datasets and claims about them, readers asking attribution and locate
// of what others published, stewards proposing and voting. It records
// what was acknowledged and how long things took.
type Workload struct {
	c *Cluster
	// Interval is how long each publisher waits between two datasets.
	Interval time.Duration
	// Honest, when set, names the nodes whose figures count: readers are
	// chosen among them, and a dishonest publisher's datasets are not
	// timed.
	Honest func(k int) bool
	// As names the key node k proposes and votes with in GovRound (none:
	// the node key).
	As map[int]string

	mu       sync.Mutex
	acked    []Acked
	refused  []protocol.ID
	attrib   []time.Duration // dataset add → attribution complete on another node
	gov      []time.Duration // vote → new state hash on every node
	reads    int
	readErrs int
	asks     [2]int       // attribution asks of the readers: of honest publishers' datasets, of others'
	named    []string     // asks about a dataset of a node not Honest that named its publisher
	measure  bool         // record attribution latency
	groups   map[int]int  // the partition as the workload knows it: node → group (0: reaches all)
	down     map[int]bool // nodes the schedule has stopped
	faults   []string     // what the workload itself saw go wrong
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// NewWorkload returns a workload of c, not started.
func NewWorkload(c *Cluster) *Workload {
	return &Workload{c: c, Interval: time.Second, groups: map[int]int{}, down: map[int]bool{}, measure: true}
}

// Start starts a publisher on every node (each also reading what it
// published from another node it can reach).
func (w *Workload) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	for _, nd := range w.c.Nodes {
		w.wg.Go(func() { w.publisher(ctx, nd.K) })
	}
}

// Stop stops the publishers and waits for them.
func (w *Workload) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// Measure turns the recording of attribution latency on or off (off
// while a fault makes the figure one of the fault's).
func (w *Workload) Measure(on bool) { w.mu.Lock(); w.measure = on; w.mu.Unlock() }

// Partitioned tells the workload the partition the schedule made, so
// that readers ask nodes their publisher can reach; nil: none.
func (w *Workload) Partitioned(groups ...[]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.groups = map[int]int{}
	for g, ks := range groups {
		for _, k := range ks {
			w.groups[k] = g + 1
		}
	}
}

// Down tells the workload that node k is stopped (or back: false).
func (w *Workload) Down(k int, down bool) { w.mu.Lock(); w.down[k] = down; w.mu.Unlock() }

// reachable are the running nodes k can reach, k excluded.
func (w *Workload) reachable(k int) []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []int
	for _, nd := range w.c.Nodes {
		j := nd.K
		if j == k || w.down[j] || w.Honest != nil && !w.Honest(j) {
			continue
		}
		if gk, gj := w.groups[k], w.groups[j]; gk != 0 && gj != 0 && gk != gj {
			continue
		}
		out = append(out, j)
	}
	return out
}

// Acked is every acknowledged object so far.
func (w *Workload) Acked() []Acked {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked)
}

func (w *Workload) ack(a Acked) { w.mu.Lock(); w.acked = append(w.acked, a); w.mu.Unlock() }

func (w *Workload) fault(format string, args ...any) {
	w.mu.Lock()
	w.faults = append(w.faults, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

func (w *Workload) publisher(ctx context.Context, k int) {
	r := mrand.New(mrand.NewPCG(uint64(k), uint64(time.Now().UnixNano())))
	for i := 1; ; i++ {
		// Spread the publishers over the interval.
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Interval/2 + time.Duration(r.Int64N(int64(w.Interval)))):
		}
		w.mu.Lock()
		down := w.down[k]
		w.mu.Unlock()
		if down {
			continue
		}
		nd := w.c.Node(k)
		files := randomFiles(2)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		p, err := nd.API().AddDataset(cctx, api.AddDatasetRequest{Name: fmt.Sprintf("node %d dataset %d", k, i), License: "CC0-1.0", Files: files})
		cancel()
		if err != nil {
			continue // not acknowledged: nothing is owed
		}
		w.ack(Acked{ID: p.ID, Kind: "dataset", Node: k})
		t0 := time.Now()
		cctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		cl, err := nd.API().AddClaim(cctx, api.AddClaimRequest{Subject: p.ID, Role: "author", Weight: 1})
		cancel()
		if err == nil {
			w.ack(Acked{ID: cl.ID, Kind: "claim", Node: k})
		}
		if peers := w.reachable(k); len(peers) > 0 {
			j := peers[r.IntN(len(peers))]
			w.read(ctx, j, p.ID, files[0], t0)
		}
	}
}

// read asks node j, which never published id, for its attribution until
// it names the publisher (each ask a network query of at most 5 s, every
// 100 ms, 15 s in all), then locates one of its files. A dataset of a node
// that is not Honest is asked about once: the honest nodes refuse what
// such a node publishes (its clock is ahead), so asking again until the
// deadline would only load them with searches that cannot succeed, about
// 150 for each dataset.
func (w *Workload) read(ctx context.Context, j int, id protocol.ID, f api.FileEntry, t0 time.Time) {
	w.mu.Lock()
	measure := w.measure
	w.mu.Unlock()
	cl := w.c.Node(j).API()
	if w.Honest != nil && !w.Honest(w.nodeOf(id)) {
		qctx, cancel := context.WithTimeout(ctx, 6*time.Second)
		a, err := cl.Attribution(qctx, id, api.QueryOptions{Timeout: 5 * time.Second})
		cancel()
		w.mu.Lock()
		w.asks[1]++
		if err == nil && !a.Publisher.IsZero() {
			w.named = append(w.named, fmt.Sprintf("node %d names the publisher of %s", j, id))
		}
		w.mu.Unlock()
		return
	}
	deadline := t0.Add(15 * time.Second)
	for {
		qctx, cancel := context.WithTimeout(ctx, 6*time.Second)
		a, err := cl.Attribution(qctx, id, api.QueryOptions{Timeout: 5 * time.Second})
		cancel()
		w.mu.Lock()
		w.asks[0]++
		w.mu.Unlock()
		if err == nil && !a.Publisher.IsZero() {
			d := time.Since(t0)
			w.mu.Lock()
			w.reads++
			if measure {
				w.attrib = append(w.attrib, d)
			}
			w.mu.Unlock()
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			w.mu.Lock()
			w.readErrs++
			w.mu.Unlock()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d, err := protocol.ParseDigest("sha256:" + f.SHA256)
	if err != nil {
		w.fault("locate: %v", err)
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 6*time.Second)
	_, err = cl.Locate(qctx, d, api.QueryOptions{Timeout: 5 * time.Second})
	cancel()
	w.mu.Lock()
	if err == nil {
		w.reads++
	} else {
		w.readErrs++
	}
	w.mu.Unlock()
}

func randomFiles(n int) []api.FileEntry {
	var out []api.FileEntry
	for i := range n {
		b := make([]byte, 32)
		rand.Read(b)
		sum := sha256.Sum256(b)
		out = append(out, api.FileEntry{Name: fmt.Sprintf("part-%d.bin", i), SHA256: hex.EncodeToString(sum[:]), Size: int64(1000 + i)})
	}
	return out
}

// GovRound has steward proposer propose a set-param, waits until every
// node in nodes holds the proposal, and has voter vote yes; it returns
// the state hash the vote gave and, when every one of nodes holds the
// proposal passed within limit, how long after the vote the last one did.
// A vote that does not pass is an error.
func (w *Workload) GovRound(ctx context.Context, proposer, voter int, nodes []int, name, value string, limit time.Duration) (string, time.Duration, error) {
	p, err := w.c.Node(proposer).API().GovPropose(ctx, api.GovProposeRequest{Action: "set-param", Name: name, Value: value, As: w.As[proposer]})
	if err != nil {
		return "", 0, fmt.Errorf("propose on node %d: %w", proposer, err)
	}
	if _, err := w.c.WaitProposal(ctx, nodes, p.ID, "", limit); err != nil {
		return "", 0, fmt.Errorf("proposal %s: %w", p.ID, err)
	}
	t0 := time.Now()
	v, err := w.c.Node(voter).API().GovVote(ctx, api.GovVoteRequest{Proposal: p.ID, Vote: "yes", As: w.As[voter]})
	if err != nil {
		return "", 0, fmt.Errorf("vote on node %d: %w", voter, err)
	}
	if v.Status != "passed" {
		return "", 0, fmt.Errorf("vote on node %d: proposal %s is %s, not passed", voter, p.ID, v.Status)
	}
	// The vote has arrived where the proposal is passed: the state hash
	// the vote returned may already be superseded by an update the voter
	// had not yet received.
	if _, err := w.c.WaitProposal(ctx, nodes, p.ID, gov.ProposalPassed, limit); err != nil {
		return v.StateHash, 0, err
	}
	d := time.Since(t0)
	w.mu.Lock()
	w.gov = append(w.gov, d)
	w.mu.Unlock()
	return v.StateHash, d, nil
}

// WaitProposal polls the nodes every 25 ms until each holds proposal id
// (with status, when not empty), and returns how long that took; an error
// naming those that did not within limit.
func (c *Cluster) WaitProposal(ctx context.Context, nodes []int, id protocol.ID, status gov.ProposalStatus, limit time.Duration) (time.Duration, error) {
	return c.waitGov(ctx, nodes, limit, fmt.Sprintf("proposal %s %s", id, status), func(st *api.GovState) bool {
		for _, p := range st.Proposals {
			if p.ID == id {
				return status == "" || p.Status == status
			}
		}
		return false
	})
}

// WaitHash polls the nodes every 25 ms until each reports the state hash
// want, and returns how long that took; an error naming those that did
// not within limit.
func (c *Cluster) WaitHash(ctx context.Context, nodes []int, want string, limit time.Duration) (time.Duration, error) {
	return c.waitGov(ctx, nodes, limit, "state_hash "+want, func(st *api.GovState) bool { return st.StateHash == want })
}

func (c *Cluster) waitGov(ctx context.Context, nodes []int, limit time.Duration, what string, ok func(*api.GovState) bool) (time.Duration, error) {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, k := range nodes {
		wg.Go(func() {
			for {
				st, err := c.Node(k).API().GovState(ctx)
				if err == nil && ok(st) {
					return
				}
				select {
				case <-ctx.Done():
					got := ""
					if st != nil {
						got = st.StateHash
					}
					mu.Lock()
					errs = append(errs, fmt.Errorf("node %d: not %s after %s (state_hash %s; %v)", k, what, limit, got, err))
					mu.Unlock()
					return
				case <-time.After(25 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0), errors.Join(errs...)
}

// PlantRefused forges an object from one node acknowledged (a claim whose
// payload is altered after signing: its signature no longer holds) and
// offers it to node k, which must refuse it. The checker then wants it on
// no node. An acceptance is a fault.
func (w *Workload) PlantRefused(ctx context.Context, k int) error {
	var claim *Acked
	for _, a := range w.Acked() {
		if a.Kind == "claim" {
			claim = &a
			break
		}
	}
	if claim == nil {
		return errors.New("no claim acknowledged yet to forge from")
	}
	raw, err := w.c.Node(claim.Node).API().GetObject(ctx, claim.ID, api.QueryOptions{Local: true})
	if err != nil {
		return fmt.Errorf("get claim %s from node %d: %w", claim.ID, claim.Node, err)
	}
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		return err
	}
	forged := bytes.Replace(env.Payload, []byte(`"author"`), []byte(`"curator"`), 1)
	if bytes.Equal(forged, env.Payload) {
		return fmt.Errorf("claim %s: no role to alter in %s", claim.ID, env.Payload)
	}
	env.Payload = forged
	id := protocol.ObjectID(forged)
	w.mu.Lock()
	w.refused = append(w.refused, id)
	w.mu.Unlock()
	if _, err := w.c.Node(k).API().PutObject(ctx, env.Encode()); err == nil {
		w.fault("node %d accepted a forged claim %s (payload altered after signing)", k, id)
	}
	return nil
}

// Asks is how many attribution asks the readers made: about honest
// publishers' datasets, and about the others'; and those of the others'
// that named their publisher, when the asked node should have refused it.
func (w *Workload) Asks() (honest, other int, named []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.asks[0], w.asks[1], slices.Clone(w.named)
}

// nodeOf is the node that acknowledged id (0: none).
func (w *Workload) nodeOf(id protocol.ID) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nodeOfLocked(id)
}

func (w *Workload) nodeOfLocked(id protocol.ID) int {
	for _, a := range w.acked {
		if a.ID == id {
			return a.Node
		}
	}
	return 0
}
