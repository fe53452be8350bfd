package node

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Messages of the governance topic (SPEC.md §8): a type byte, then the body.
const (
	govMsgUpdate byte = 0x01 // an update envelope, as encoded
	govMsgHeads  byte = 0x02 // the sender's heads: {"heads": [ID, …]}
)

// Defaults of governance sync.
const (
	// DefaultGovHeadsInterval is how often a node announces its heads, so
	// that a partition heals without anyone acting.
	DefaultGovHeadsInterval = 10 * time.Second
	// govHeadsDebounce groups the triggers of an early announcement (a
	// peer joined, a peer is behind) into one.
	govHeadsDebounce = 300 * time.Millisecond
	// maxGovSync bounds the updates one sync with a peer fetches.
	maxGovSync = 1 << 17
	// govSyncs bounds the syncs running at once.
	govSyncs = 4
	// govJoinDelay is the wait, after a peer connects, before the heads
	// are announced for it: a GossipSub heartbeat and then some.
	govJoinDelay = 1500 * time.Millisecond
	// govSyncTimeout bounds one sync.
	govSyncTimeout = 2 * time.Minute
)

// maxHeadsMsg bounds the body of a heads announcement: gov.MaxParents IDs
// of about 60 characters, quoted, and room to spare.
const maxHeadsMsg = 8 << 10

// headsMsg is the body of a heads announcement.
type headsMsg struct {
	Heads []protocol.ID `json:"heads"`
}

// govNet is the governance part of a node's network.
type govNet struct {
	topicReady chan struct{}
	early      chan struct{} // asks for an announcement of the heads soon
	sem        chan struct{} // a token per sync running
	mu         sync.Mutex
	syncing    map[peer.ID]bool
}

func newGovNet() *govNet {
	return &govNet{
		early:   make(chan struct{}, 1),
		sem:     make(chan struct{}, govSyncs),
		syncing: map[peer.ID]bool{},
	}
}

// soon asks for an early announcement of the heads.
func (g *govNet) soon() {
	select {
	case g.early <- struct{}{}:
	default:
	}
}

// validateGov is the governance topic's validator (SPEC.md §8.9): the
// decisions are gov.DecideUpdate's, the lock, the per-peer count and the
// fetch this node's. An update passes the door (admitGov): it is rejected (not forwarded; its
// sender penalised) when it does not decode and verify or names another
// network, and ignored when it is dated too far ahead. It is then ignored
// when already held; rejected when its author was never a steward in a
// history that holds all its parents; and otherwise, when that cannot be
// judged yet, held — up to maxGovHeldPerPeer such updates per peer, past
// which it is rejected — while the node fetches its ancestors from the
// sender, and ignored. Heads announcements are never forwarded: each node
// announces its own.
func (n *Node) validateGov(_ context.Context, from peer.ID, data []byte) (any, error) {
	const op = "governance message"
	self := from == n.net.ID()
	raw, heads, err := decodeGovMessage(data)
	switch {
	case err != nil:
		return nil, err
	case raw != nil:
		a, err := n.admitGov(raw, protocol.ID{})
		if err != nil || self {
			return a, err
		}
		u := a.Update
		gv := n.gov
		gv.mu.Lock()
		d := gov.DecideUpdate(gv.g, u, gv.held.full(from))
		gv.mu.Unlock()
		switch d.Why {
		case gov.WhyKnown:
			return nil, protocol.E(op, protocol.Transient, "update %s is held already", u.ID)
		case gov.WhyNeverSteward:
			return nil, protocol.E(op, protocol.Invalid, "update %s is by %s, who was never a steward", u.ID, u.Author)
		case gov.WhyHeldFull:
			return nil, protocol.E(op, protocol.Invalid, "update %s is by %s, not known as a steward, and %s has %d such updates held here already", u.ID, u.Author, from, maxGovHeldPerPeer)
		case gov.WhyStandingUnknown:
			// Its author may have become a steward in what this node has
			// not seen yet: hold it, fetch its ancestors from the sender,
			// and do not forward it until it can be judged.
			n.deliverGov(from, nil, a)
			return nil, protocol.E(op, protocol.Transient, "update %s: its author's standing is not known yet", u.ID)
		}
		return a, nil
	default:
		if self {
			return heads, nil
		}
		n.headsFrom(from, heads)
		return nil, protocol.E(op, protocol.Transient, "heads are not forwarded")
	}
}

// decodeGovMessage reads a message of the governance topic: the bytes of
// an update, which the caller passes through the door, or the heads its
// sender announces.
func decodeGovMessage(data []byte) ([]byte, []protocol.ID, error) {
	const op = "governance message"
	if len(data) == 0 {
		return nil, nil, protocol.E(op, protocol.Invalid, "empty")
	}
	switch data[0] {
	case govMsgUpdate:
		if len(data) == 1 {
			return nil, nil, protocol.E(op, protocol.Invalid, "update: empty")
		}
		return data[1:], nil, nil
	case govMsgHeads:
		if len(data)-1 > maxHeadsMsg {
			return nil, nil, protocol.E(op, protocol.Invalid, "heads: %d bytes, over %d", len(data)-1, maxHeadsMsg)
		}
		var h headsMsg
		if err := strictDecode(data[1:], &h); err != nil {
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

// deliverGov places an update another node published.
func (n *Node) deliverGov(from peer.ID, _ []byte, v any) {
	u, ok := v.(admittedGov)
	if !ok {
		return
	}
	if from == n.net.ID() {
		from = ""
	}
	res, err := n.addGovUpdate(u, from)
	if err != nil {
		n.log.Debug("governance: update refused", "from", from, "id", u.ID, "err", err)
		return
	}
	if len(res.Missing) > 0 {
		n.syncGov(from, res.Missing)
	}
}

// headsFrom compares a peer's heads with this node's (gov.CompareHeads): unknown heads are
// fetched from the peer; a peer whose heads are all known here but differ
// is behind, and an early announcement lets it catch up.
func (n *Node) headsFrom(p peer.ID, heads []protocol.ID) {
	gv := n.gov
	gv.mu.Lock()
	d := gov.CompareHeads(gv.g, heads)
	gv.mu.Unlock()
	if len(d.Fetch) > 0 {
		n.syncGov(p, d.Fetch)
	} else if d.Behind {
		n.netGov.soon()
	}
}

// syncGov fetches from p the updates want and every ancestor of them this
// node lacks, in the background. One sync per peer runs at a time; a
// request while one runs is dropped (the next heads announcement repeats
// it).
func (n *Node) syncGov(p peer.ID, want []protocol.ID) {
	gn := n.netGov
	gn.mu.Lock()
	if gn.syncing[p] {
		gn.mu.Unlock()
		return
	}
	gn.syncing[p] = true
	gn.mu.Unlock()
	want = slices.Clone(want)
	n.net.Go(func() {
		defer func() {
			gn.mu.Lock()
			delete(gn.syncing, p)
			gn.mu.Unlock()
		}()
		ctx := n.net.Context()
		select {
		case gn.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-gn.sem }()
		ctx, cancel := context.WithTimeout(ctx, govSyncTimeout)
		defer cancel()
		if err := n.fetchGov(ctx, p, want); err != nil {
			n.log.Debug("governance: sync", "peer", p, "err", err)
		}
	})
}

// fetchGov fetches want from p, then the missing ancestors of what arrives,
// breadth first, until nothing is missing or maxGovSync updates came.
// Every update passes the door (admitGov) before it is placed: one dated
// too far ahead is left out for now, with its ancestors; any other refusal
// stops the sync and penalises p.
func (n *Node) fetchGov(ctx context.Context, p peer.ID, want []protocol.ID) error {
	asked := map[protocol.ID]bool{}
	queue := n.govMissing(want, asked)
	for fetched := 0; len(queue) > 0 && fetched < maxGovSync; {
		batch := queue[:min(len(queue), fetch.MaxIDs)]
		queue = queue[len(batch):]
		nodes, _, err := n.net.Fetch().GovNodes(ctx, p, batch)
		admitted := 0
		for _, raw := range nodes {
			fetched++
			a, aerr := n.admitGov(raw.Bytes, raw.ID)
			switch {
			case protocol.IsKind(aerr, protocol.Transient):
				n.log.Debug("governance: sync", "peer", p, "err", aerr)
				continue
			case aerr != nil:
				n.net.Scores().Penalise(p, "bad answer: governance node: "+aerr.Error())
				return aerr
			}
			res, err := n.addGovUpdate(a, "")
			if err != nil {
				return err
			}
			admitted++
			queue = append(queue, n.govMissing(res.Missing, asked)...)
		}
		if err != nil {
			return err
		}
		if admitted > 0 {
			// Updates this node lacked, asked for and checked: the peer
			// earns credit, as for objects (fetch.ClientOptions.Answered).
			n.net.Scores().Reward(p)
		}
	}
	return nil
}

// govMissing returns the IDs of ids that are neither held nor asked for
// yet, nor refused as too early until their time comes, marking them asked
// (gov.ToFetch).
func (n *Node) govMissing(ids []protocol.ID, asked map[protocol.ID]bool) []protocol.ID {
	now := n.now()
	gv := n.gov
	gv.mu.Lock()
	defer gv.mu.Unlock()
	return gov.ToFetch(gv.g, ids, asked, func(id protocol.ID) bool { return gv.tooEarly(id, now) })
}

// publishGov publishes an update this node made on the governance topic.
func (n *Node) publishGov(u *gov.Update) {
	if n.net.GovTopic() == nil {
		return
	}
	msg := append([]byte{govMsgUpdate}, u.Encode()...)
	if err := n.net.GovTopic().Publish(n.net.Context(), msg); err != nil {
		n.log.Warn("governance: publish", "id", u.ID, "err", err)
	}
	n.netGov.soon()
}

// announceHeads publishes this node's heads every interval, and soon after
// something asks for it, until ctx ends.
func (n *Node) announceHeads(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.retryDeferredGov()
		case <-n.netGov.early:
			select { // gather the triggers of the next moment into one
			case <-time.After(govHeadsDebounce):
			case <-ctx.Done():
				return
			}
		}
		if len(n.net.GovTopic().Peers()) == 0 {
			continue
		}
		n.gov.mu.Lock()
		heads := n.gov.g.Heads()
		n.gov.mu.Unlock()
		body, _ := json.Marshal(headsMsg{Heads: heads})
		if err := n.net.GovTopic().Publish(ctx, append([]byte{govMsgHeads}, body...)); err != nil && ctx.Err() == nil {
			n.log.Debug("governance: announce heads", "err", err)
		}
	}
}

// peerJoined asks for an early announcement of the heads when a peer
// connects, so that a node that returns, or a partition that heals, catches
// up in about a heartbeat.
type peerJoined struct{ g *govNet }

func (j peerJoined) Connected(network.Network, network.Conn) {
	// After the peer's subscriptions arrive and a heartbeat puts it in
	// the mesh; the periodic announcement covers a slower join.
	time.AfterFunc(govJoinDelay, j.g.soon)
}
func (j peerJoined) Disconnected(network.Network, network.Conn) {}
func (j peerJoined) Listen(network.Network, ma.Multiaddr)       {}
func (j peerJoined) ListenClose(network.Network, ma.Multiaddr)  {}
