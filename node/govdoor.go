package node

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// The door of governance (SPEC.md §8.2). Every update, whatever brings it —
// the governance topic, a heads sync, the fetch of a proposal for a vote,
// the store at start, the API — passes admitGov before it is placed or
// stored: addGovUpdate takes nothing else.

// Bounds of what the door remembers.
const (
	// maxGovEarly bounds the IDs of updates refused as dated too far
	// ahead that a node remembers, so as not to fetch them again before
	// their time. Past it, such an update is fetched again at the next
	// heads announcement, and refused again.
	maxGovEarly = 1024
	// maxGovHeldPerPeer bounds the updates held for missing parents that
	// one peer delivered by gossip and whose author was never a steward
	// in what this node has placed: what anyone can make up at no cost.
	maxGovHeldPerPeer = 256
)

// admittedGov is an update that passed the door.
type admittedGov struct{ *gov.Update }

// admitGov is the door (gov.Admit) at this node's network and clock. The
// ID of an update refused for its time is remembered so that syncs do not
// fetch it again before its time.
func (n *Node) admitGov(raw []byte, want protocol.ID) (admittedGov, error) {
	u, err := gov.Admit(raw, want, n.repo.Network, n.now())
	gv := n.gov
	switch {
	case err != nil && u != nil: // dated too far ahead: refused for now
		gv.mu.Lock()
		if _, ok := gv.early[u.ID]; ok || len(gv.early) < maxGovEarly {
			gv.early[u.ID] = u.Time
		}
		gv.mu.Unlock()
		return admittedGov{}, err
	case err != nil:
		return admittedGov{}, err
	}
	gv.mu.Lock()
	delete(gv.early, u.ID)
	gv.mu.Unlock()
	return admittedGov{u}, nil
}

// tooEarly reports whether update id was refused as dated too far ahead
// and its time has not come yet. The caller holds gv.mu.
func (gv *governance) tooEarly(id protocol.ID, now time.Time) bool {
	t, ok := gv.early[id]
	return ok && gov.TooEarly(t, now)
}

// retryDeferredGov places the stored updates that were dated too far ahead
// when the node started and whose time has come.
func (n *Node) retryDeferredGov() {
	gv := n.gov
	gv.mu.Lock()
	waiting := gv.deferred
	gv.deferred = nil
	gv.mu.Unlock()
	var still []*gov.Update
	for _, u := range waiting {
		a, err := n.admitGov(u.Encode(), u.ID)
		if protocol.IsKind(err, protocol.Transient) {
			still = append(still, u)
			continue
		}
		if err == nil {
			_, err = n.addGovUpdate(a, "")
		}
		if err != nil {
			n.log.Warn("governance: stored update refused", "id", u.ID, "err", err)
		} else {
			n.log.Info("governance: stored update placed, its time has come", "id", u.ID)
		}
	}
	if len(still) > 0 {
		gv.mu.Lock()
		gv.deferred = append(gv.deferred, still...)
		gv.mu.Unlock()
	}
}

// heldBudget counts, per peer, the updates it delivered by gossip that are
// held for missing parents and whose author was never a steward here
// (SPEC.md §8.9). The caller holds gv.mu.
type heldBudget struct {
	from  map[protocol.ID]peer.ID
	count map[peer.ID]int
}

func newHeldBudget() heldBudget {
	return heldBudget{from: map[protocol.ID]peer.ID{}, count: map[peer.ID]int{}}
}

// full reports whether p may not have one more update held.
func (b heldBudget) full(p peer.ID) bool { return b.count[p] >= maxGovHeldPerPeer }

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
