package govsync

import (
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// The door of governance (SPEC.md §8.2). Every update, whatever brings it —
// the governance topic, a heads sync, the fetch of a proposal for a vote,
// the store at start, the API — passes Admit before it is placed or
// stored, and is placed by Place: Governance.Add takes nothing else.

// Bounds of what the door remembers.
const (
	// maxEarly bounds the IDs of updates refused as dated too far ahead
	// that a node remembers, so as not to fetch them again before their
	// time. Past it, such an update is fetched again at the next heads
	// announcement, and refused again.
	maxEarly = 1024
	// MaxHeldPerPeer bounds the updates held for missing parents that
	// one peer delivered by gossip and whose author was never a steward
	// in what this node has placed: what anyone can make up at no cost.
	MaxHeldPerPeer = 256
)

// Admitted is an update that passed the door.
type Admitted struct{ u *gov.Update }

// Update returns the admitted update.
func (a Admitted) Update() *gov.Update { return a.u }

// Admit is the door (gov.Admit) at this node's network and clock. The ID
// of an update refused for its time is remembered so that syncs do not
// fetch it again before its time.
func (s *Sync) Admit(raw []byte, want protocol.ID) (Admitted, error) {
	u, err := gov.Admit(raw, want, s.cfg.Network, s.cfg.Now())
	switch {
	case err != nil && u != nil: // dated too far ahead: refused for now
		s.mu.Lock()
		if _, ok := s.tooEarly[u.ID]; ok || len(s.tooEarly) < maxEarly {
			s.tooEarly[u.ID] = u.Time
		}
		s.mu.Unlock()
		return Admitted{}, err
	case err != nil:
		return Admitted{}, err
	}
	s.mu.Lock()
	delete(s.tooEarly, u.ID)
	s.mu.Unlock()
	return Admitted{u}, nil
}

// tooEarlyLocked reports whether update id was refused as dated too far
// ahead and its time has not come yet. The caller holds s.mu.
func (s *Sync) tooEarlyLocked(id protocol.ID, now time.Time) bool {
	t, ok := s.tooEarly[id]
	return ok && gov.TooEarly(t, now)
}

// RefusedForNow reports whether the door refused update id as dated too
// far ahead and remembers it.
func (s *Sync) RefusedForNow(id protocol.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.tooEarly[id]
	return ok
}

// Defer keeps u, a stored update the door refused as dated too far ahead,
// to place when its time comes (RetryDeferred).
func (s *Sync) Defer(u *gov.Update) {
	s.mu.Lock()
	s.deferred = append(s.deferred, u)
	s.mu.Unlock()
}

// RetryDeferred places the stored updates that were dated too far ahead
// when the node started and whose time has come. The heads timer runs it.
func (s *Sync) RetryDeferred() {
	s.mu.Lock()
	waiting := s.deferred
	s.deferred = nil
	s.mu.Unlock()
	var still []*gov.Update
	for _, u := range waiting {
		a, err := s.Admit(u.Encode(), u.ID)
		if protocol.IsKind(err, protocol.Transient) {
			still = append(still, u)
			continue
		}
		if err == nil {
			_, err = s.Place(a, "")
		}
		if err != nil {
			s.log.Warn("governance: stored update refused", "id", u.ID, "err", err)
		} else {
			s.log.Info("governance: stored update placed, its time has come", "id", u.ID)
		}
	}
	if len(still) > 0 {
		s.mu.Lock()
		s.deferred = append(s.deferred, still...)
		s.mu.Unlock()
	}
}

// Place places a, which passed the door, through the node's Governance,
// which stores every update this placed, and returns the result. It does
// not publish. gossipFrom is the peer that delivered a by gossip, if one
// did: a held update by an author who was never a steward is counted
// against it (MaxHeldPerPeer), and it is penalised if such an update, once
// it can be judged, still has no steward for its author.
func (s *Sync) Place(a Admitted, gossipFrom peer.ID) (gov.AddResult, error) {
	u := a.u
	var blame []peer.ID // peers that delivered updates that no steward wrote
	res, err := s.cfg.Gov.Add(u, func(d *gov.DAG, res gov.AddResult) {
		s.mu.Lock()
		defer s.mu.Unlock()
		// Held, new, by an author never a steward: the DAG as it stood
		// before u is the DAG now, but for u, held.
		if gossipFrom != "" && res.New && !slices.Contains(res.Placed, u.ID) && d.Has(u.ID) && !d.EverSteward(u.Author) {
			s.held.charge(gossipFrom, u.ID)
		}
		for _, id := range res.Dropped {
			s.held.release(id)
		}
		for _, id := range res.Placed {
			pu, ok := d.Update(id)
			if !ok {
				continue
			}
			if p, ok := s.held.release(id); ok && !d.EverSteward(pu.Author) {
				blame = append(blame, p)
			}
		}
	})
	for _, p := range blame {
		s.penalise(p, "governance: forwarded an update whose author was never a steward")
	}
	return res, err
}

// heldFull reports whether p may not have one more update held. The
// caller holds the node's lock (Governance.View).
func (s *Sync) heldFull(p peer.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held.full(p)
}

// HeldFrom is how many updates p delivered by gossip that are held for
// missing parents and whose author was never a steward here.
func (s *Sync) HeldFrom(p peer.ID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held.count[p]
}

// heldBudget counts, per peer, the updates it delivered by gossip that are
// held for missing parents and whose author was never a steward here
// (SPEC.md §8.9). The caller holds s.mu.
type heldBudget struct {
	from  map[protocol.ID]peer.ID
	count map[peer.ID]int
}

func newHeldBudget() heldBudget {
	return heldBudget{from: map[protocol.ID]peer.ID{}, count: map[peer.ID]int{}}
}

// full reports whether p may not have one more update held.
func (b heldBudget) full(p peer.ID) bool { return b.count[p] >= MaxHeldPerPeer }

// charge counts held update id against p.
func (b heldBudget) charge(p peer.ID, id protocol.ID) {
	if _, ok := b.from[id]; ok {
		return
	}
	b.from[id] = p
	b.count[p]++
}

// release stops counting id, placed or dropped, and returns the peer it
// was counted against.
func (b heldBudget) release(id protocol.ID) (peer.ID, bool) {
	p, ok := b.from[id]
	if !ok {
		return "", false
	}
	delete(b.from, id)
	if b.count[p]--; b.count[p] <= 0 {
		delete(b.count, p)
	}
	return p, true
}
