package govsync

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Messages of the governance topic (SPEC.md §8): a type byte, then the body.
const (
	MsgUpdate byte = 0x01 // an update envelope, as encoded
	MsgHeads  byte = 0x02 // the sender's heads: {"heads": [ID, …]}
)

// maxAnswered bounds the peers whose lag an early announcement answered
// that a node remembers (answerBehind).
const maxAnswered = 1024

// maxHeadsMsg bounds the body of a heads announcement: gov.MaxParents IDs
// of about 60 characters, quoted, and room to spare.
const maxHeadsMsg = 8 << 10

// HeadsMsg is the body of a heads announcement.
type HeadsMsg struct {
	Heads []protocol.ID `json:"heads"`
}

// Validate is the governance topic's validator (SPEC.md §8.9): the
// decisions are gov.DecideUpdate's, the lock the node's, the per-peer
// count and the fetch this sync's. An update passes the door (Admit): it
// is rejected (not forwarded; its sender penalised) when it does not
// decode and verify or names another network, and ignored when it is
// dated too far ahead. It is then ignored when already held; rejected
// when its author was never a steward in a history that holds all its
// parents; and otherwise, when that cannot be judged yet, held — up to
// MaxHeldPerPeer such updates per peer, past which it is rejected — while
// the node fetches its ancestors from the sender, and ignored. Heads
// announcements are never forwarded: each node announces its own.
func (s *Sync) Validate(_ context.Context, from peer.ID, data []byte) (any, error) {
	const op = "governance message"
	self := from == s.net.ID()
	raw, heads, err := decodeMessage(data)
	switch {
	case err != nil:
		return nil, err
	case raw != nil:
		a, err := s.Admit(raw, protocol.ID{})
		if err != nil || self {
			return a, err
		}
		u := a.u
		var d gov.Decision
		s.view(func(g *gov.DAG) { d = gov.DecideUpdate(g, u, s.heldFull(from)) })
		switch d.Why {
		case gov.WhyKnown:
			return nil, protocol.E(op, protocol.Transient, "update %s is held already", u.ID)
		case gov.WhyNeverSteward:
			return nil, protocol.E(op, protocol.Invalid, "update %s is by %s, who was never a steward", u.ID, u.Author)
		case gov.WhyHeldFull:
			return nil, protocol.E(op, protocol.Invalid, "update %s is by %s, not known as a steward, and %s has %d such updates held here already", u.ID, u.Author, from, MaxHeldPerPeer)
		case gov.WhyStandingUnknown:
			// Its author may have become a steward in what this node has
			// not seen yet: hold it, fetch its ancestors from the sender,
			// and do not forward it until it can be judged.
			s.Deliver(from, nil, a)
			return nil, protocol.E(op, protocol.Transient, "update %s: its author's standing is not known yet", u.ID)
		}
		return a, nil
	default:
		if self {
			return heads, nil
		}
		s.headsFrom(from, heads)
		return nil, protocol.E(op, protocol.Transient, "heads are not forwarded")
	}
}

// decodeMessage reads a message of the governance topic: the bytes of an
// update, which the caller passes through the door, or the heads its
// sender announces.
func decodeMessage(data []byte) ([]byte, []protocol.ID, error) {
	const op = "governance message"
	if len(data) == 0 {
		return nil, nil, protocol.E(op, protocol.Invalid, "empty")
	}
	switch data[0] {
	case MsgUpdate:
		if len(data) == 1 {
			return nil, nil, protocol.E(op, protocol.Invalid, "update: empty")
		}
		return data[1:], nil, nil
	case MsgHeads:
		if len(data)-1 > maxHeadsMsg {
			return nil, nil, protocol.E(op, protocol.Invalid, "heads: %d bytes, over %d", len(data)-1, maxHeadsMsg)
		}
		var h HeadsMsg
		if err := protocol.DecodeStrict("heads", data[1:], &h); err != nil {
			return nil, nil, protocol.E(op, protocol.Invalid, "heads: %v", err)
		}
		if len(h.Heads) == 0 || len(h.Heads) > gov.MaxParents {
			return nil, nil, protocol.E(op, protocol.Invalid, "heads: %d IDs, want 1 to %d", len(h.Heads), gov.MaxParents)
		}
		for _, id := range h.Heads {
			if id.IsZero() || !id.IsObject() {
				return nil, nil, protocol.E(op, protocol.Invalid, "heads: %s is not an update or network ID", id)
			}
		}
		return nil, h.Heads, nil
	default:
		return nil, nil, protocol.E(op, protocol.Invalid, "unknown message type 0x%02x", data[0])
	}
}

// Deliver places an update another node published: the governance
// topic's delivery.
func (s *Sync) Deliver(from peer.ID, _ []byte, v any) {
	a, ok := v.(Admitted)
	if !ok {
		return
	}
	if from == s.net.ID() {
		from = ""
	}
	res, err := s.Place(a, from)
	if err != nil {
		s.log.Debug("governance: update refused", "from", from, "id", a.u.ID, "err", err)
		return
	}
	if len(res.Missing) > 0 {
		s.sync(from, res.Missing)
	}
}

// headsFrom compares a peer's heads with this node's (gov.CompareHeads):
// unknown heads are fetched from the peer; a peer whose heads are all
// known here but differ is behind, and an early announcement lets it
// catch up — once for what it lacks (answerBehind).
func (s *Sync) headsFrom(p peer.ID, heads []protocol.ID) {
	var d gov.HeadsDecision
	var ours []protocol.ID
	s.view(func(g *gov.DAG) {
		d = gov.CompareHeads(g, heads)
		if d.Behind {
			ours = g.Heads()
		}
	})
	if len(d.Fetch) > 0 {
		s.sync(p, d.Fetch)
		return
	}
	if s.answerBehind(p, d.Behind, ours, heads) {
		s.AnnounceSoon()
	}
}

// answerBehind reports whether peer p, whose heads theirs are all held
// here, should be answered with an early announcement of this node's
// heads ours: when it is behind and lacks a head of this node that no
// early announcement answered it with yet. A peer that announces again
// lacking only what it was answered with heard it, and did not take it —
// refused for its time by a clock behind this one — or has not fetched
// it yet; the periodic announcement repeats it, as it repeats it to every
// peer. Answering it each time would make this node broadcast its heads
// at every one of its announcements, for as long as its clock lags (or,
// for a peer that claims to lag, every 300 ms). A peer not behind is
// forgotten.
func (s *Sync) answerBehind(p peer.ID, behind bool, ours, theirs []protocol.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !behind {
		delete(s.answered, p)
		return false
	}
	// A head of this node has no descendant here, and theirs are all
	// here: it is an ancestor of none of them, and they lack it unless
	// they name it.
	lacks := slices.DeleteFunc(slices.Clone(ours), func(id protocol.ID) bool { return slices.Contains(theirs, id) })
	told, ok := s.answered[p]
	if ok && !slices.ContainsFunc(lacks, func(id protocol.ID) bool { return !slices.Contains(told, id) }) {
		return false
	}
	if !ok && len(s.answered) >= maxAnswered {
		clear(s.answered) // at worst, one more early announcement each
	}
	s.answered[p] = lacks
	return true
}

// Publish publishes an update this node made on the governance topic;
// nothing when the sync is on no network.
func (s *Sync) Publish(u *gov.Update) {
	if s.net == nil || s.net.GovTopic() == nil {
		return
	}
	msg := append([]byte{MsgUpdate}, u.Encode()...)
	if err := s.net.GovTopic().Publish(s.net.Context(), msg); err != nil {
		s.log.Warn("governance: publish", "id", u.ID, "err", err)
	}
	s.AnnounceSoon()
}

// announceHeads publishes this node's heads every interval, and soon after
// something asks for it, until ctx ends.
func (s *Sync) announceHeads(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.RetryDeferred()
		case <-s.early:
			select { // gather the triggers of the next moment into one
			case <-time.After(headsDebounce):
			case <-ctx.Done():
				return
			}
		}
		if len(s.net.GovTopic().Peers()) == 0 {
			continue
		}
		var heads []protocol.ID
		s.view(func(g *gov.DAG) { heads = g.Heads() })
		body, _ := json.Marshal(HeadsMsg{Heads: heads})
		if err := s.net.GovTopic().Publish(ctx, append([]byte{MsgHeads}, body...)); err != nil && ctx.Err() == nil {
			s.log.Debug("governance: announce heads", "err", err)
		}
	}
}

// peerJoined asks for an early announcement of the heads when a peer
// connects, so that a node that returns, or a partition that heals, catches
// up in about a heartbeat.
type peerJoined struct{ s *Sync }

func (j peerJoined) Connected(network.Network, network.Conn) {
	// After the peer's subscriptions arrive and a heartbeat puts it in
	// the mesh; the periodic announcement covers a slower join.
	time.AfterFunc(joinDelay, j.s.AnnounceSoon)
}
func (j peerJoined) Disconnected(network.Network, network.Conn) {}
func (j peerJoined) Listen(network.Network, ma.Multiaddr)       {}
func (j peerJoined) ListenClose(network.Network, ma.Multiaddr)  {}
