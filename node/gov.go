package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/swarm/govsync"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// governance is a node's copy of its commons' governance (SPEC.md §8): the
// DAG of updates and the state folded from them, loaded from the store at
// start and kept current from the API, gossip and the fetch protocol.
type governance struct {
	mu sync.Mutex
	g  *gov.DAG
	// state is the state after the last change, for readers that must
	// not wait for the lock (every attribution reads it).
	state atomic.Pointer[gov.State]
	// sync is governance's network half: the door every update passes,
	// and, once the swarm runs it, the governance topic.
	sync *govsync.Sync
}

// openGovernance builds the governance of the repo's network from the
// updates in the store. A node whose repo belongs to no network yet has
// none.
func (n *Node) openGovernance() error {
	if n.repo.Genesis == nil {
		return nil
	}
	gv := &governance{g: gov.New(n.repo.Genesis, n.repo.Network)}
	gv.sync = govsync.New(govsync.Config{
		Network: n.repo.Network,
		Gov:     nodeGov{n},
		Now:     func() time.Time { return n.now() },
		Logger:  n.log,
	})
	n.gov = gv // nothing else runs yet
	var updates []*gov.Update
	bad := 0
	err := n.store.EachGovUpdate(func(id protocol.ID, raw []byte) bool {
		a, err := n.admitGov(raw, id)
		switch {
		case protocol.IsKind(err, protocol.Transient):
			// Dated too far ahead of this clock: kept on disk, placed
			// when its time comes.
			u, _ := gov.DecodeUpdate(raw)
			gv.sync.Defer(u)
			n.log.Warn("governance: stored update not placed for now", "id", id, "err", err)
		case err != nil:
			bad++
			n.log.Warn("governance: stored update refused", "id", id, "err", err)
		default:
			updates = append(updates, a.Update())
		}
		return true
	})
	if err == nil {
		_, err = gv.g.AddAll(updates)
	}
	if err != nil {
		n.gov = nil
		return fmt.Errorf("load governance: %w", err)
	}
	gv.state.Store(gv.g.State())
	if bad > 0 {
		n.log.Warn("governance: stored updates refused", "count", bad)
	}
	return nil
}

// govState is the current governance state, nil for a node of no network.
func (n *Node) govState() *gov.State {
	if n.gov == nil {
		return nil
	}
	return n.gov.state.Load()
}

// admitGov is the door (govsync.Sync.Admit) every update passes before
// it is placed or stored.
func (n *Node) admitGov(raw []byte, want protocol.ID) (govsync.Admitted, error) {
	return n.gov.sync.Admit(raw, want)
}

// addGovUpdate places a, which passed the door, in the DAG, stores every
// update that this placed, and returns the result. It does not publish.
// gossipFrom is the peer that delivered a by gossip, if one did
// (govsync.Sync.Place counts it against that peer).
func (n *Node) addGovUpdate(a govsync.Admitted, gossipFrom peer.ID) (gov.AddResult, error) {
	return n.gov.sync.Place(a, gossipFrom)
}

// publishGov publishes an update this node made on the governance topic,
// when the node is on a network.
func (n *Node) publishGov(u *gov.Update) { n.net.PublishGov(u) }

// nodeGov is the node's governance as its sync uses it.
type nodeGov struct{ n *Node }

var _ govsync.Governance = nodeGov{}

func (ng nodeGov) View(f func(d *gov.DAG)) {
	gv := ng.n.gov
	gv.mu.Lock()
	defer gv.mu.Unlock()
	f(gv.g)
}

func (ng nodeGov) Add(u *gov.Update, locked func(*gov.DAG, gov.AddResult)) (gov.AddResult, error) {
	return ng.n.placeGov(u, locked)
}

// placeGov places u in the DAG, calls locked under the lock with the
// result, and stores every update that this placed (govsync.Governance).
func (n *Node) placeGov(u *gov.Update, locked func(*gov.DAG, gov.AddResult)) (gov.AddResult, error) {
	gv := n.gov
	gv.mu.Lock()
	res, err := gv.g.Add(u)
	if err != nil {
		gv.mu.Unlock()
		return res, err
	}
	if locked != nil {
		locked(gv.g, res)
	}
	if len(res.Placed) == 0 {
		gv.mu.Unlock()
		return res, nil
	}
	placed := make([]*gov.Update, 0, len(res.Placed))
	for _, id := range res.Placed {
		pu, ok := gv.g.Update(id)
		if !ok {
			continue
		}
		placed = append(placed, pu)
		// A rotation a placed update carries is stored before the state
		// that seats its new key is seen, so that no reader sees the new
		// steward while trust does not yet honour the rotation. Rotations
		// are rare; this is the one write under the lock.
		if pu.Rotate != nil {
			n.storeRotation(pu.Rotate)
		}
	}
	// Readers see the new state at once; the updates' disk follows,
	// outside the lock. An update lost by a crash in between is fetched
	// again from peers' heads, and one made here is on disk before the API
	// answers.
	gv.state.Store(gv.g.State())
	gv.mu.Unlock()
	n.metrics.GovUpdates.Add(float64(len(placed)))
	n.metrics.GovChanges.Inc()
	for _, pu := range placed {
		if _, err := n.store.PutGovUpdate(pu.ID, pu.Encode()); err != nil {
			n.log.Error("governance: store update", "id", pu.ID, "err", err)
			return res, err
		}
	}
	return res, nil
}

// storeRotation stores the rotation a governance update carried, so that
// trust honours it (SPEC.md §4.6) on a node that the rotation itself has
// not reached yet. The decoder verified it; it passes the rest of the door
// (the clock, the store) like a fetched object, and one refused now comes
// again by gossip or the DHT.
func (n *Node) storeRotation(o *protocol.Object) {
	if held, err := n.store.Has(o.ID); err != nil || held {
		return
	}
	n.storeFetched([]*protocol.Object{o})
}

// GovState answers GET /v1/gov/state.
func (n *Node) GovState(context.Context) (*gov.State, error) {
	s := n.govState()
	if s == nil {
		return nil, errNoGovernance
	}
	return s, nil
}

// GovLog answers GET /v1/gov/log.
func (n *Node) GovLog(context.Context) ([]gov.LogEntry, error) {
	if n.gov == nil {
		return nil, errNoGovernance
	}
	n.gov.mu.Lock()
	defer n.gov.mu.Unlock()
	return nonNil(n.gov.g.Log()), nil
}

var errNoGovernance = protocol.E("governance", protocol.NotFound, "the repo belongs to no network yet: start the daemon, or give it a genesis")

// GovPropose signs a proposal with the key req.As names, folds it and
// publishes it. It refuses, publishing nothing, when that key is not a
// current steward or the proposal is void against the current state.
func (n *Node) GovPropose(_ context.Context, req api.GovProposeRequest) (api.GovPublished, error) {
	const op = "propose"
	p, err := n.proposalOf(req)
	if err != nil {
		return api.GovPublished{}, err
	}
	return n.govPublish(op, req.As, p, nil)
}

// GovVote signs a vote on an open proposal, folds it and publishes it. It
// refuses, publishing nothing, when the key is not a current steward, the
// proposal is unknown or closed, or the key has voted on it already.
func (n *Node) GovVote(ctx context.Context, req api.GovVoteRequest) (api.GovPublished, error) {
	const op = "vote"
	id := req.Proposal
	if id.IsZero() {
		return api.GovPublished{}, protocol.E(op, protocol.Invalid, "missing proposal")
	}
	var yes bool
	switch strings.ToLower(req.Vote) {
	case "yes":
		yes = true
	case "no":
	default:
		return api.GovPublished{}, protocol.E(op, protocol.Invalid, "vote %q: want yes or no", req.Vote)
	}
	if n.govState() != nil {
		if _, ok := n.govState().Proposal(id); !ok {
			n.findGovUpdate(ctx, id) // made elsewhere a moment ago, perhaps
		}
	}
	return n.govPublish(op, req.As, nil, &gov.Vote{Proposal: id, Yes: yes})
}

// findGovUpdate asks the connected peers for update id and its missing
// ancestors, until the proposal is here or a few seconds pass.
func (n *Node) findGovUpdate(ctx context.Context, id protocol.ID) {
	n.net.FindGov(ctx, id, func() bool { _, ok := n.govState().Proposal(id); return ok })
}

// govPublish signs, checks, folds, stores and publishes one update.
func (n *Node) govPublish(op, as string, p *gov.Proposal, v *gov.Vote) (api.GovPublished, error) {
	if n.gov == nil {
		return api.GovPublished{}, errNoGovernance
	}
	key, err := n.repo.Keys.Get(as)
	if err != nil {
		return api.GovPublished{}, err
	}
	if err := n.refuseRevoked(op, key.DID()); err != nil {
		return api.GovPublished{}, err
	}
	gv := n.gov
	gv.mu.Lock()
	state := gv.g.State()
	if !state.IsStewardKey(key.DID()) {
		gv.mu.Unlock()
		return api.GovPublished{}, protocol.E(op, protocol.Forbidden, "%s is not a current steward of this commons; nothing was published", key.DID())
	}
	if v != nil {
		if err := checkVote(state, key.DID(), v); err != nil {
			gv.mu.Unlock()
			return api.GovPublished{}, err
		}
	}
	now := n.created()
	if p != nil && p.Expires.IsZero() {
		p.Expires = now.Add(api.DefaultProposalLife)
	}
	u, err := gov.NewUpdate(n.repo.Network, key, gv.g.Parents(), now, p, v)
	gv.mu.Unlock()
	if err != nil {
		return api.GovPublished{}, err
	}
	a, err := n.admitGov(u.Encode(), u.ID)
	if err != nil {
		return api.GovPublished{}, err
	}
	if _, err := n.addGovUpdate(a, ""); err != nil {
		return api.GovPublished{}, err
	}
	out := api.GovPublished{ID: u.ID, Author: key.DID(), StateHash: n.govState().Hash()}
	if p != nil {
		out.Kind, out.Proposal = "proposal", u.ID
	} else {
		out.Kind, out.Proposal = "vote", v.Proposal
	}
	out.Status = proposalStatus(n.govState(), out.Proposal)
	if out.Status == "" {
		// The fold left the proposal out: void against the state.
		return out, protocol.E(op, protocol.Invalid, "the proposal %s was published but the fold left it out; see `commons gov log`", u.ID)
	}
	n.publishGov(u)
	return out, nil
}

// checkVote refuses a vote the fold would ignore, so that the API says why
// instead of publishing an update that changes nothing.
func checkVote(s *gov.State, voter protocol.DID, v *gov.Vote) error {
	const op = "vote"
	p, ok := s.Proposal(v.Proposal)
	if !ok {
		return protocol.E(op, protocol.NotFound, "no proposal %s in this commons' governance", v.Proposal)
	}
	if p.Status != gov.ProposalOpen {
		return protocol.E(op, protocol.Invalid, "proposal %s is %s, not open", p.ID, p.Status)
	}
	if slices.Contains(p.Yes, voter) || slices.Contains(p.No, voter) {
		return protocol.E(op, protocol.Exists, "%s has voted on proposal %s already", voter, p.ID)
	}
	return nil
}

// proposalStatus is the status of proposal id in s, "" when s has none.
func proposalStatus(s *gov.State, id protocol.ID) string {
	if p, ok := s.Proposal(id); ok {
		return string(p.Status)
	}
	return ""
}

// proposalOf reads a proposal request.
func (n *Node) proposalOf(req api.GovProposeRequest) (*gov.Proposal, error) {
	const op = "propose"
	p := &gov.Proposal{Action: gov.Action(req.Action)}
	if req.Expires != "" {
		d, err := time.ParseDuration(req.Expires)
		if err != nil || d <= 0 {
			return nil, protocol.E(op, protocol.Invalid, "expires %q: want a positive duration such as 72h", req.Expires)
		}
		p.Expires = n.created().Add(d)
	}
	fields, ok := gov.ActionFields(p.Action)
	if !ok {
		return nil, protocol.E(op, protocol.Invalid, "action %q: want add-steward, remove-steward, set-threshold, revoke-key, dataset-status or set-param", req.Action)
	}
	// The request's members that the action uses (SPEC §8.1), read into
	// their types; the values are the decoder's to check, when the update
	// is made.
	for _, f := range fields {
		var err error
		switch f {
		case "did":
			if req.DID == "" {
				return nil, protocol.E(op, protocol.Invalid, "%s needs a DID", req.Action)
			}
			p.DID, err = n.resolveDID(req.DID)
		case "threshold":
			p.Threshold = req.Threshold
		case "effective":
			var t time.Time
			if t, err = time.Parse(time.RFC3339, req.Effective); err != nil {
				return nil, protocol.E(op, protocol.Invalid, "%s: effective %q is not an RFC 3339 time", req.Action, req.Effective)
			}
			p.Effective = t.UTC()
		case "reason":
			p.Reason = req.Reason
		case "dataset":
			p.Dataset = req.Dataset
		case "status":
			p.Status = gov.DatasetStatus(req.Status)
		case "name":
			p.Name = req.Name
		case "value":
			p.Value = req.Value
		}
		if err != nil {
			return nil, protocol.E(op, protocol.Invalid, "%s: %s: %w", req.Action, f, err)
		}
	}
	return p, nil
}
