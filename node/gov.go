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
	// early holds the times of updates refused as dated too far ahead,
	// by ID (see admitGov).
	early map[protocol.ID]time.Time
	// deferred are stored updates that were dated too far ahead when the
	// node started: kept on disk, tried again on each heads tick.
	deferred []*gov.Update
	// held counts the held updates each peer delivered by gossip.
	held heldBudget
}

// openGovernance builds the governance of the repo's network from the
// updates in the store. A node whose repo belongs to no network yet has
// none.
func (n *Node) openGovernance() error {
	if n.repo.Genesis == nil {
		return nil
	}
	gv := &governance{g: gov.New(n.repo.Genesis, n.repo.Network), early: map[protocol.ID]time.Time{}, held: newHeldBudget()}
	n.gov = gv // the door below reads it; nothing else runs yet
	var updates []*gov.Update
	bad := 0
	err := n.store.EachGovUpdate(func(id protocol.ID, raw []byte) bool {
		a, err := n.admitGov(raw, id)
		switch {
		case protocol.IsKind(err, protocol.Transient):
			// Dated too far ahead of this clock: kept on disk, placed
			// when its time comes.
			u, _ := gov.DecodeUpdate(raw)
			gv.deferred = append(gv.deferred, u)
			n.log.Warn("governance: stored update not placed for now", "id", id, "err", err)
		case err != nil:
			bad++
			n.log.Warn("governance: stored update refused", "id", id, "err", err)
		default:
			updates = append(updates, a.Update)
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

// addGovUpdate places u, which passed the door, in the DAG, stores every
// update that this placed, and returns the result. It does not publish.
// gossipFrom is the peer that delivered u by gossip, if one did: a held
// update by an author who was never a steward is counted against it
// (maxGovHeldPerPeer), and it is penalised if such an update, once it can
// be judged, still has no steward for its author.
func (n *Node) addGovUpdate(a admittedGov, gossipFrom peer.ID) (gov.AddResult, error) {
	u := a.Update
	gv := n.gov
	gv.mu.Lock()
	charge := gossipFrom != "" && !gv.g.Has(u.ID) && !gv.g.EverSteward(u.Author)
	res, err := gv.g.Add(u)
	if err != nil {
		gv.mu.Unlock()
		return res, err
	}
	if charge && !slices.Contains(res.Placed, u.ID) && gv.g.Has(u.ID) {
		gv.held.charge(gossipFrom, u.ID)
	}
	var blame []peer.ID // peers that delivered updates that no steward wrote
	for _, id := range res.Dropped {
		gv.held.release(id)
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
		if p, ok := gv.held.release(id); ok && !gv.g.EverSteward(pu.Author) {
			blame = append(blame, p)
		}
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
	for _, p := range blame {
		n.penalise(p, "governance: forwarded an update whose author was never a steward")
	}
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

// penalise lowers p's score, when the node is on a network.
func (n *Node) penalise(p peer.ID, reason string) {
	if n.net.Scores() != nil {
		n.net.Scores().Penalise(p, reason)
	}
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

// govFindTimeout bounds the search for a proposal that a vote names and
// this node has not received yet.
const govFindTimeout = 5 * time.Second

// findGovUpdate asks the connected peers, a few at once, for update id and
// its missing ancestors, until one has it or govFindTimeout passes.
func (n *Node) findGovUpdate(ctx context.Context, id protocol.ID) {
	if n.net.GovTopic() == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, govFindTimeout)
	defer cancel()
	peers := n.net.Host().Network().Peers()
	for len(peers) == 0 && ctx.Err() == nil { // a node just started is still joining
		time.Sleep(50 * time.Millisecond)
		peers = n.net.Host().Network().Peers()
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, p := range peers {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			n.fetchGov(ctx, p, []protocol.ID{id})
			if _, ok := n.govState().Proposal(id); ok {
				cancel()
			}
		})
	}
	wg.Wait()
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
