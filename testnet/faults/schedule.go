package faults

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/node/repo"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/testnet"
)

// Config is what every schedule takes; zero fields take the schedule's
// defaults.
type Config struct {
	N        int           // daemons
	Duration time.Duration // how long the workload runs under the faults
	RTT      time.Duration // round trip between two nodes (latency)
	Jitter   time.Duration // per link
	Loss     float64       // percent, per link and direction
	Bin      string        // a commons binary; empty: built
	Self     string        // a binary that runs the hostile peer on -flood-peer (flood)
	Log      io.Writer
	Keep     string // a directory the daemons' logs are copied to at the end; empty: none
	LogLevel string // the daemons' --log-level; empty: their default
}

// Schedules names every schedule Run knows.
var Schedules = map[string]func(context.Context, Config) (*Summary, error){
	"partition":    Partition,
	"latency":      Latency,
	"churn":        Churn,
	"clock":        Clock,
	"flood":        FloodSchedule,
	"equivocation": Equivocation,
}

// Names lists the schedules in order.
func Names() []string {
	var out []string
	for n := range Schedules {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func all(c *Cluster) []int {
	var out []int
	for _, nd := range c.Nodes {
		out = append(out, nd.K)
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Partition is the short run: N daemons (default 6), stewards the first
// two of each half (threshold 2, so each half can pass proposals alone);
// a workload on every node; a proposal made before the partition, then
// the network cut into halves, each half voting on it and passing a
// proposal of its own while the workload goes on; then healing, after
// which the checker wants one state hash within 10 s, every acknowledged
// object found from every node, no crash and no refused object held.
func Partition(ctx context.Context, cfg Config) (*Summary, error) {
	n := cmp.Or(cfg.N, 6)
	if n < 4 {
		return nil, fmt.Errorf("partition: needs at least 4 nodes, not %d", n)
	}
	d := cmp.Or(cfg.Duration, 15*time.Second)
	a, b := make([]int, 0, n), make([]int, 0, n)
	for k := 1; k <= n; k++ {
		if k <= n/2 {
			a = append(a, k)
		} else {
			b = append(b, k)
		}
	}
	t0 := time.Now()
	c, err := Up(ctx, Options{N: n, Stewards: []int{a[0], a[1], b[0], b[1]}, Threshold: 2, Bin: cfg.Bin, Log: cfg.Log, Keep: cfg.Keep, LogLevel: cfg.LogLevel})
	if err != nil {
		return nil, err
	}
	defer c.Down()
	s := &Summary{Schedule: "partition", Latency: map[string]Figure{}}
	w := NewWorkload(c)
	w.Start(ctx)
	defer w.Stop()
	// Healthy: the workload, and three governance rounds measured.
	for i := range 3 {
		if _, _, err := w.GovRound(ctx, a[0], b[0], all(c), fmt.Sprintf("healthy-%d", i), "1", 10*time.Second); err != nil {
			s.Faults = append(s.Faults, fmt.Sprintf("governance before the partition: %v", err))
		}
	}
	if err := sleep(ctx, 3*time.Second); err != nil {
		return nil, err
	}
	if err := w.PlantRefused(ctx, a[len(a)-1]); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("plant a refused object: %v", err))
	}
	p0, err := c.Node(a[0]).API().GovPropose(ctx, apiSetParam("both-halves", "yes"))
	if err != nil {
		return nil, fmt.Errorf("propose before the partition: %w", err)
	}
	if _, err := c.WaitProposal(ctx, all(c), p0.ID, "", 10*time.Second); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("proposal before the partition: %v", err))
	}
	// The partition: each half votes on p0 and passes one of its own.
	c.logf("partition: %v | %v for %s", a, b, d)
	w.Measure(false)
	if err := c.Net.Partition(ctx, a, b); err != nil {
		return nil, err
	}
	w.Partitioned(a, b)
	for _, half := range [][]int{a, b} {
		v, err := c.Node(half[1]).API().GovVote(ctx, apiVote(p0.ID))
		if err != nil || v.Status != "passed" {
			s.Faults = append(s.Faults, fmt.Sprintf("half %v: vote of node %d on the proposal made before: %v %v", half, half[1], v.Status, err))
		}
		label := fmt.Sprintf("%d-%d", half[0], half[len(half)-1])
		if _, _, err := w.GovRound(ctx, half[0], half[1], half, "half", label, 10*time.Second); err != nil {
			s.Faults = append(s.Faults, fmt.Sprintf("half %v: governance inside the half: %v", half, err))
		}
	}
	if err := sleep(ctx, d); err != nil {
		return nil, err
	}
	ha, _ := c.Node(a[0]).API().GovState(ctx)
	hb, _ := c.Node(b[0]).API().GovState(ctx)
	if ha != nil && hb != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("state hashes during the partition: %s (nodes %v), %s (nodes %v)", ha.StateHash, a, hb.StateHash, b))
	}
	// Heal, stop the workload, check. The time to one state hash counts
	// from the start of the healing.
	healed := time.Now()
	if err := c.Net.Heal(ctx); err != nil {
		return nil, err
	}
	s.Notes = append(s.Notes, fmt.Sprintf("healing (the nftables tables removed from %d namespaces) took %s", n, time.Since(healed).Round(time.Millisecond)))
	w.Partitioned()
	c.logf("healed; checking")
	w.Stop()
	w.Check(ctx, s, healed, 30*time.Second)
	if s.ConvergedMS < 0 || s.ConvergedMS > 10000 {
		s.OK = false
		s.Faults = append(s.Faults, fmt.Sprintf("one state hash %.0f ms after healing, goal 10 s", s.ConvergedMS))
	}
	attr, gov := w.Figures()
	s.Latency["attribution_before_partition"] = attr
	s.Latency["gov_vote_to_every_node"] = gov
	s.Seconds = time.Since(t0).Seconds()
	return s, nil
}

// Latency is N daemons (default 20), every link shaped to RTT (default
// 100 ms) with Loss (default 1%) per direction, a workload for Duration
// (default 60 s) and a governance round every 2 s: the two latency
// goals, attribution p95 < 1.5 s and vote → every node p99 < 2 s.
func Latency(ctx context.Context, cfg Config) (*Summary, error) {
	n := cmp.Or(cfg.N, 20)
	d := cmp.Or(cfg.Duration, 60*time.Second)
	rtt := cmp.Or(cfg.RTT, 100*time.Millisecond)
	loss := cmp.Or(cfg.Loss, 1)
	t0 := time.Now()
	c, err := Up(ctx, Options{N: n, Stewards: []int{1, 2, 3}, Bin: cfg.Bin, Log: cfg.Log, Keep: cfg.Keep, LogLevel: cfg.LogLevel, Shaped: true})
	if err != nil {
		return nil, err
	}
	defer c.Down()
	link := Link{Delay: float64(rtt.Microseconds()) / 2000, Jitter: float64(cfg.Jitter.Microseconds()) / 1000, Loss: loss}
	if err := c.Net.ShapeAll(ctx, link); err != nil {
		return nil, err
	}
	c.logf("every link: %+v (RTT %s)", link, rtt)
	s := &Summary{Schedule: "latency", Latency: map[string]Figure{}}
	shaper := "tc netem on each node's eth0"
	if c.Net.Wire == "tun" {
		shaper = "the kernel has no netem: each node on a TUN device whose packets the harness delays and drops"
	}
	s.Notes = append(s.Notes, fmt.Sprintf("%s: delay %.1f ms, jitter %.1f ms, loss %.2f%% each way: RTT %s", shaper, link.Delay, link.Jitter, link.Loss, rtt))
	w := NewWorkload(c)
	w.Interval = time.Duration(n) * 200 * time.Millisecond // about 5 datasets a second in all
	w.Start(ctx)
	defer w.Stop()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		if _, _, err := w.GovRound(ctx, 1+i%3, 1+(i+1)%3, all(c), fmt.Sprintf("latency-%d", i), "1", 30*time.Second); err != nil {
			s.Faults = append(s.Faults, fmt.Sprintf("governance round %d: %v", i, err))
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return nil, err
		}
	}
	if err := w.PlantRefused(ctx, n); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("plant a refused object: %v", err))
	}
	w.Stop()
	w.Check(ctx, s, time.Now(), 60*time.Second)
	attr, gov := w.Figures()
	s.Latency["attribution_never_seen"] = attr.WithGoal(0.95, 1500*time.Millisecond, "p95 < 1.5 s")
	s.Latency["gov_vote_to_every_node"] = gov.WithGoal(0.99, 2*time.Second, "p99 < 2 s")
	s.Seconds = time.Since(t0).Seconds()
	return s, nil
}

// Churn is N daemons (default 20) under a workload for Duration (default
// 10 min) during which, every 30 s, 20% of the nodes chosen at random are
// killed (SIGKILL) and restarted 5 to 15 s later, stewards included;
// governance rounds run among the stewards that are up. The checker wants
// 0 acknowledged objects lost and 0 crashes.
func Churn(ctx context.Context, cfg Config) (*Summary, error) {
	n := cmp.Or(cfg.N, 20)
	d := cmp.Or(cfg.Duration, 10*time.Minute)
	t0 := time.Now()
	c, err := Up(ctx, Options{N: n, Stewards: []int{1, 2, 3}, Bin: cfg.Bin, Log: cfg.Log, Keep: cfg.Keep, LogLevel: cfg.LogLevel})
	if err != nil {
		return nil, err
	}
	defer c.Down()
	s := &Summary{Schedule: "churn", Latency: map[string]Figure{}}
	w := NewWorkload(c)
	w.Interval = time.Duration(n) * 200 * time.Millisecond
	w.Start(ctx)
	defer w.Stop()
	r := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills, restarts := 0, 0
	end := time.Now().Add(d)
	round := 0
	for time.Now().Before(end) {
		victims := r.Perm(n)[:max(1, n/5)]
		for i := range victims {
			victims[i]++
		}
		slices.Sort(victims)
		c.logf("churn: kill -9 %v", victims)
		w.Measure(false)
		for _, k := range victims {
			w.Down(k, true)
			c.Node(k).Kill()
			kills++
		}
		// Governance among the stewards still up.
		var up []int
		for _, k := range c.Stewards {
			if !slices.Contains(victims, k) {
				up = append(up, k)
			}
		}
		var live []int
		for k := 1; k <= n; k++ {
			if !slices.Contains(victims, k) {
				live = append(live, k)
			}
		}
		if len(up) >= 2 {
			if _, _, err := w.GovRound(ctx, up[0], up[1], live, fmt.Sprintf("churn-%d", round), "1", 20*time.Second); err != nil {
				s.Faults = append(s.Faults, fmt.Sprintf("governance round %d during churn: %v", round, err))
			}
		}
		if err := sleep(ctx, time.Duration(5+r.IntN(10))*time.Second); err != nil {
			return nil, err
		}
		for _, k := range victims {
			if err := c.Node(k).Start(ctx); err != nil {
				s.Faults = append(s.Faults, fmt.Sprintf("restart of node %d: %v", k, err))
				continue
			}
			restarts++
			w.Down(k, false)
		}
		w.Measure(true)
		round++
		if err := sleep(ctx, 15*time.Second); err != nil {
			return nil, err
		}
	}
	if err := w.PlantRefused(ctx, n); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("plant a refused object: %v", err))
	}
	w.Stop()
	w.Check(ctx, s, time.Now(), 60*time.Second)
	s.Notes = append(s.Notes, fmt.Sprintf("%d kills (SIGKILL) and %d restarts in %d rounds", kills, restarts, round))
	attr, gov := w.Figures()
	s.Latency["attribution_between_kills"] = attr
	s.Latency["gov_vote_to_every_live_node"] = gov
	s.Seconds = time.Since(t0).Seconds()
	return s, nil
}

// Machine is the machine line every figure carries.
func Machine() string { return testnet.Machine() }

func apiSetParam(name, value string) api.GovProposeRequest {
	return api.GovProposeRequest{Action: "set-param", Name: name, Value: value}
}

func apiVote(id protocol.ID) api.GovVoteRequest {
	return api.GovVoteRequest{Proposal: id, Vote: "yes"}
}

// steady runs one cluster of n daemons for d: the workload on every node,
// a governance round every 2 s (steward 1 proposes, 2 votes: it passes),
// and a proposal of steward 3's in each, not waited for; then the
// checker. env
// is each daemon's extra environment; honest, the nodes whose figures
// count.
func steady(ctx context.Context, cfg Config, n int, d time.Duration, env func(int) []string, honest func(int) bool, extra int, hostile func(context.Context, *Cluster) (func() string, error)) (*Summary, error) {
	t0 := time.Now()
	c, err := Up(ctx, Options{N: n, Stewards: []int{1, 2, 3}, Bin: cfg.Bin, Log: cfg.Log, Keep: cfg.Keep, LogLevel: cfg.LogLevel, Env: env, Extra: extra})
	if err != nil {
		return nil, err
	}
	defer c.Down()
	s := &Summary{Latency: map[string]Figure{}}
	if hostile != nil {
		stop, err := hostile(ctx, c)
		if err != nil {
			return nil, err
		}
		defer func() { s.Notes = append(s.Notes, stop()) }()
	}
	w := NewWorkload(c)
	w.Honest = honest
	w.Start(ctx)
	defer w.Stop()
	measured := all(c)
	if honest != nil {
		measured = slices.DeleteFunc(measured, func(k int) bool { return !honest(k) })
	}
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		name := fmt.Sprintf("steady-%d", i)
		if _, _, err := w.GovRound(ctx, 1, 2, measured, name, "1", 20*time.Second); err != nil {
			s.Faults = append(s.Faults, fmt.Sprintf("governance round %d: %v", i, err))
		}
		if _, err := c.Node(3).API().GovPropose(ctx, apiSetParam("steward-3-"+name, "1")); err != nil {
			s.Notes = append(s.Notes, fmt.Sprintf("steward 3's proposal in round %d: %v", i, err))
		}
		if err := sleep(ctx, 2*time.Second); err != nil {
			return nil, err
		}
	}
	if err := w.PlantRefused(ctx, n); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("plant a refused object: %v", err))
	}
	w.Stop()
	s.Notes = append(s.Notes, probe(ctx, c)...)
	ah, ao, named := w.Asks()
	s.Notes = append(s.Notes, fmt.Sprintf("attribution asks of the readers: %d about honest publishers' datasets, %d about the others' (once each)", ah, ao))
	for _, x := range named {
		s.Faults = append(s.Faults, "a dataset its publisher dated ahead of the honest nodes' clocks was accepted: "+x)
	}
	w.Check(ctx, s, time.Now(), 30*time.Second)
	attr, gov := w.Figures()
	s.Latency["attribution"] = attr
	s.Latency["gov_vote_to_every_node"] = gov
	s.Seconds = time.Since(t0).Seconds()
	return s, nil
}

// Clock runs steady twice on N daemons (default 6) for Duration (default
// 30 s) each: once with every clock right (the baseline), then on a new
// cluster whose steward 3 runs two hours ahead (COMMONS_CLOCK_OFFSET=2h)
// and proposes in every round too. Goals: governance converges on the
// honest nodes and passes proposals; their attribution p95 and vote →
// every node p99 within 2× of the baseline.
func Clock(ctx context.Context, cfg Config) (*Summary, error) {
	n := cmp.Or(cfg.N, 6)
	d := cmp.Or(cfg.Duration, 30*time.Second)
	const skewed = 3
	base, err := steady(ctx, cfg, n, d, nil, nil, 0, nil)
	if err != nil {
		return nil, err
	}
	s, err := steady(ctx, cfg, n, d, func(k int) []string {
		if k == skewed {
			return []string{"COMMONS_CLOCK_OFFSET=2h"}
		}
		return nil
	}, func(k int) bool { return k != skewed }, 0, nil)
	if err != nil {
		return nil, err
	}
	s.Schedule = "clock"
	s.Notes = append(s.Notes, fmt.Sprintf("node %d (a steward) runs 2 h ahead", skewed))
	for _, x := range base.Notes {
		s.Notes = append(s.Notes, "baseline: "+x)
	}
	compare(s, base, "attribution", 0.95)
	compare(s, base, "gov_vote_to_every_node", 0.99)
	for _, x := range base.Faults {
		s.Faults = append(s.Faults, "baseline: "+x)
		s.OK = false
	}
	return s, nil
}

// compare puts the baseline's figure beside the run's, and counts a fault
// when the run's is more than twice the baseline's.
func compare(s, base *Summary, name string, p float64) {
	b, f := base.Latency[name], s.Latency[name]
	s.Latency["baseline_"+name] = b
	bv, fv := b.P95, f.P95
	if p == 0.99 {
		bv, fv = b.P99, f.P99
	}
	met := f.N > 0 && b.N > 0 && fv <= 2*bv
	f.Goal, f.Met = fmt.Sprintf("p%.0f within 2× the baseline's (%.0f ms)", p*100, bv), &met
	s.Latency[name] = f
	if !met {
		s.Faults = append(s.Faults, fmt.Sprintf("%s: p%.0f %.0f ms, more than 2× the baseline's %.0f ms", name, p*100, fv, bv))
		s.OK = false
	}
}

// Equivocation is N daemons (default 6), stewards 1-3 (threshold 2).
// Node 2 makes a key, which governance adds as a fourth steward, and
// node N holds a copy of it: one steward, two daemons. A proposal of
// steward 1's reaches every node; the network is cut in halves, node 2 on
// one side and node N on the other; the shared steward votes yes on it
// through node 2 and no through node N, two conflicting updates, while
// the workload goes on and each half passes a proposal of its own. Then
// healing, and the checker: one state hash on every node (the fold
// decides between the two votes alike everywhere), every acknowledged
// object found, no crash; and governance still passes a proposal.
func Equivocation(ctx context.Context, cfg Config) (*Summary, error) {
	n := cmp.Or(cfg.N, 6)
	if n < 6 {
		return nil, fmt.Errorf("equivocation: needs at least 6 nodes, not %d", n)
	}
	d := cmp.Or(cfg.Duration, 15*time.Second)
	t0 := time.Now()
	c, err := Up(ctx, Options{N: n, Stewards: []int{1, 2, 3}, Threshold: 2, Bin: cfg.Bin, Log: cfg.Log, Keep: cfg.Keep, LogLevel: cfg.LogLevel})
	if err != nil {
		return nil, err
	}
	defer c.Down()
	s := &Summary{Schedule: "equivocation", Latency: map[string]Figure{}}
	// The shared steward key.
	const shared = "steward"
	key, err := c.Node(2).API().NewKey(ctx, shared)
	if err != nil {
		return nil, fmt.Errorf("key new on node 2: %w", err)
	}
	keyFile := filepath.Join(repo.KeysDir, shared+".key")
	b, err := os.ReadFile(filepath.Join(c.Node(2).Repo, keyFile))
	if err != nil {
		return nil, err
	}
	if err := c.Node(n).Stop(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.Node(n).Repo, keyFile), b, 0o600); err != nil {
		return nil, err
	}
	if err := c.Node(n).Start(ctx); err != nil {
		return nil, err
	}
	if err := c.Node(n).WaitPeers(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	add, err := c.Node(1).API().GovPropose(ctx, api.GovProposeRequest{Action: "add-steward", DID: key.DID.String()})
	if err != nil {
		return nil, fmt.Errorf("propose add-steward: %w", err)
	}
	if _, err := c.WaitProposal(ctx, all(c), add.ID, "", 10*time.Second); err != nil {
		return nil, fmt.Errorf("add-steward proposal: %w", err)
	}
	v, err := c.Node(3).API().GovVote(ctx, apiVote(add.ID))
	if err != nil || v.Status != "passed" {
		return nil, fmt.Errorf("add-steward vote: %v %v", v.Status, err)
	}
	if _, err := c.WaitProposal(ctx, all(c), add.ID, gov.ProposalPassed, 10*time.Second); err != nil {
		return nil, fmt.Errorf("add-steward: %w", err)
	}
	a := []int{1, 2}
	bh := []int{3, n}
	for k := 4; k < n; k++ {
		if k%2 == 0 {
			a = append(a, k)
		} else {
			bh = append(bh, k)
		}
	}
	s.Notes = append(s.Notes, fmt.Sprintf("steward key %s held by nodes 2 and %d; halves %v | %v", key.DID, n, a, bh))
	w := NewWorkload(c)
	w.As = map[int]string{n: shared}
	w.Start(ctx)
	defer w.Stop()
	if err := sleep(ctx, 3*time.Second); err != nil {
		return nil, err
	}
	p0, err := c.Node(1).API().GovPropose(ctx, apiSetParam("equivocated", "1"))
	if err != nil {
		return nil, fmt.Errorf("propose: %w", err)
	}
	if _, err := c.WaitProposal(ctx, all(c), p0.ID, "", 10*time.Second); err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("proposal before the partition: %v", err))
	}
	w.Measure(false)
	if err := c.Net.Partition(ctx, a, bh); err != nil {
		return nil, err
	}
	w.Partitioned(a, bh)
	yes, err := c.Node(2).API().GovVote(ctx, api.GovVoteRequest{Proposal: p0.ID, Vote: "yes", As: shared})
	if err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("the shared steward's yes through node 2: %v", err))
	}
	no, err := c.Node(n).API().GovVote(ctx, api.GovVoteRequest{Proposal: p0.ID, Vote: "no", As: shared})
	if err != nil {
		s.Faults = append(s.Faults, fmt.Sprintf("the shared steward's no through node %d: %v", n, err))
	}
	s.Notes = append(s.Notes, fmt.Sprintf("the shared steward voted yes (%s, %s on its half) and no (%s, %s on its half)", yes.ID, yes.Status, no.ID, no.Status))
	for _, half := range [][]int{a, bh} {
		if _, _, err := w.GovRound(ctx, half[0], half[1], half, "half", fmt.Sprint(half[0]), 10*time.Second); err != nil {
			s.Faults = append(s.Faults, fmt.Sprintf("half %v: governance inside the half: %v", half, err))
		}
	}
	if err := sleep(ctx, d); err != nil {
		return nil, err
	}
	healed := time.Now()
	if err := c.Net.Heal(ctx); err != nil {
		return nil, err
	}
	w.Partitioned()
	w.Stop()
	w.Check(ctx, s, healed, 30*time.Second)
	if s.ConvergedMS < 0 || s.ConvergedMS > 10000 {
		s.OK = false
		s.Faults = append(s.Faults, fmt.Sprintf("one state hash %.0f ms after healing, goal 10 s", s.ConvergedMS))
	}
	if st, err := c.Node(1).API().GovState(ctx); err == nil {
		for _, p := range st.Proposals {
			if p.ID == p0.ID {
				s.Notes = append(s.Notes, fmt.Sprintf("the equivocated proposal is %s on node 1", p.Status))
			}
		}
	}
	// Governance still passes proposals after the equivocation.
	if _, _, err := w.GovRound(ctx, 1, 3, all(c), "after-equivocation", "1", 10*time.Second); err != nil {
		s.OK = false
		s.Faults = append(s.Faults, fmt.Sprintf("governance after the equivocation: %v", err))
	}
	attr, gov := w.Figures()
	s.Latency["attribution_before_partition"] = attr
	s.Latency["gov_vote_to_every_node"] = gov
	s.Seconds = time.Since(t0).Seconds()
	return s, nil
}

// FloodSchedule runs steady twice on N daemons (default 6) for Duration
// (default 30 s) each: once alone (the baseline), then with a hostile
// peer in a namespace of its own (the swarm key and the genesis, as an
// insider whose node went bad) flooding the announce and governance topics
// with garbage and opening fetch streams of garbage, 200 of each a second
// . Goals: governance converges and
// passes proposals; the daemons' attribution p95 and vote → every node
// p99 within 2× of the baseline. Config.Self must be a binary that runs
// the hostile peer when given -flood-peer (testnet/cmd/faults).
func FloodSchedule(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Self == "" {
		return nil, fmt.Errorf("flood: no binary to run the hostile peer (Config.Self)")
	}
	n := cmp.Or(cfg.N, 6)
	d := cmp.Or(cfg.Duration, 30*time.Second)
	base, err := steady(ctx, cfg, n, d, nil, nil, 0, nil)
	if err != nil {
		return nil, err
	}
	s, err := steady(ctx, cfg, n, d, nil, nil, 1, func(ctx context.Context, c *Cluster) (func() string, error) {
		return startFlooder(ctx, c, cfg.Self, n+1)
	})
	if err != nil {
		return nil, err
	}
	s.Schedule = "flood"
	compare(s, base, "attribution", 0.95)
	compare(s, base, "gov_vote_to_every_node", 0.99)
	for _, x := range base.Faults {
		s.Faults = append(s.Faults, "baseline: "+x)
		s.OK = false
	}
	return s, nil
}

// startFlooder runs the hostile peer in namespace k: self -flood-peer
// CONFIG, where CONFIG is a FloodConfig in JSON. The function it returns
// stops it and says what it did.
func startFlooder(ctx context.Context, c *Cluster, self string, k int) (func() string, error) {
	fc := FloodConfig{Genesis: c.GenesisPath(), SwarmKey: c.keyPath(), Listen: "/ip4/" + IP(k) + "/tcp/4001", Rate: 200, Size: 1024}
	for _, nd := range c.Nodes {
		fc.Peers = append(fc.Peers, nd.Addr())
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(c.Dir, "flood.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, err
	}
	statsPath := filepath.Join(c.Dir, "flood.stats")
	cmd := exec.Command("ip", "netns", "exec", c.Net.NS(k), self, "-flood-peer", path, "-flood-stats", statsPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(c.Dir, "flood.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	c.logf("hostile peer flooding from %s (%d gossip messages and fetch streams a second)", IP(k), fc.Rate)
	return func() string {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		logf.Close()
		st, _ := os.ReadFile(statsPath)
		lg, _ := os.ReadFile(filepath.Join(c.Dir, "flood.log"))
		return fmt.Sprintf("hostile peer at %s: %s %s", IP(k), st, lastLine(string(lg)))
	}, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
