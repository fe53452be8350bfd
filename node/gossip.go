package node

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
)

// publishQueue bounds the objects waiting to be published on the announce
// topic. A bulk load beyond it is not gossiped object by object; the DHT
// still announces every one of them.
const publishQueue = 1024

// validateAnnounced is the announce topic's validator (SPEC.md §7.4): a
// message is one envelope, which must verify, pass the clock check and be
// one the store accepts (Store.CheckPut, the store's own judgement) before
// the node stores or forwards it. A message that does not verify, or that
// the store refuses by its rules (a revocation of another's claim, of a
// dataset), is Invalid — its sender is penalised, and nothing is forwarded
// that no node will keep; one stamped too far ahead of this node's clock
// is ignored, since the fault may be this clock's, as is one the store
// cannot judge now, and one over the storage budgets of its signer or of
// the peer it came from (admitUnasked): valid volume is never invalid.
func (n *Node) validateAnnounced(_ context.Context, from peer.ID, data []byte) (any, error) {
	o, err := protocol.VerifyObject(data)
	if err != nil {
		n.metrics.gossiped.WithLabelValues("refused").Inc()
		return nil, err
	}
	if err := protocol.CheckTime(o, n.now()); err != nil {
		n.metrics.gossiped.WithLabelValues("refused").Inc()
		return nil, protocol.E("announce", protocol.Transient, "from %s: %w", from, err)
	}
	if err := n.store.CheckPut(o); err != nil {
		n.metrics.gossiped.WithLabelValues("refused").Inc()
		if k := protocol.KindOf(err); k == protocol.Invalid || k == protocol.Forbidden {
			return nil, protocol.E("announce", protocol.Invalid, "from %s: the store refuses it: %w", from, err)
		}
		return nil, protocol.E("announce", protocol.Transient, "from %s: %w", from, err)
	}
	if err := n.admitUnasked(from, o, len(data)); err != nil {
		return nil, err
	}
	return o, nil
}

// deliverAnnounced stores an object that arrived on the announce topic.
func (n *Node) deliverAnnounced(from peer.ID, _ []byte, v any) {
	o, ok := v.(*protocol.Object)
	if !ok {
		return
	}
	res, err := n.store.Put(o)
	switch {
	case err != nil:
		n.metrics.gossiped.WithLabelValues("refused").Inc()
		n.metrics.refused.WithLabelValues(protocol.KindOf(err).String()).Inc()
		n.log.Debug("announce: not stored", "from", from, "id", o.ID, "err", err)
	case !res.New && res.Added == 0:
		n.metrics.gossiped.WithLabelValues("known").Inc()
	default:
		n.metrics.gossiped.WithLabelValues("stored").Inc()
		n.metrics.observePut(res)
		n.stored(o, res, fromGossip)
	}
}

// publish queues o for the announce topic; the publisher sends the
// envelope as stored, with every signature merged so far.
func (n *Node) publish(o *protocol.Object) {
	select {
	case n.net.outbox <- o.ID:
	default:
		n.metrics.gossiped.WithLabelValues("dropped").Inc()
	}
}

// publishOwnRotations publishes, once the announce topic has a peer, the
// rotations that name a key of this node's keystore, retired keys
// included (SPEC.md §6.1): `key rotate` runs with the daemon stopped, and
// this is how the rotation it stored travels at once. Nodes that miss it
// learn it from the DHT (§7.5).
func (n *Node) publishOwnRotations(ctx context.Context) {
	var ids []protocol.ID
	for _, d := range n.repo.Keys.DIDs() { // no key decrypted: DIDs only
		if !n.store.HasRotations(d) {
			continue
		}
		rs, err := n.store.RotationsOf(d)
		if err != nil {
			n.log.Warn("gossip: own rotations", "err", err)
			return
		}
		for _, id := range rs {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for len(n.net.topic.Peers()) == 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	for _, id := range ids {
		select {
		case n.net.outbox <- id:
		case <-ctx.Done():
			return
		}
	}
}

// publishNew publishes the queued objects until ctx ends.
func (n *Node) publishNew(ctx context.Context) {
	for {
		var id protocol.ID
		select {
		case <-ctx.Done():
			return
		case id = <-n.net.outbox:
		}
		env, err := n.store.Envelope(id)
		if err != nil {
			continue
		}
		err = n.net.topic.Publish(ctx, env.Encode())
		switch {
		case err == nil:
			n.metrics.gossiped.WithLabelValues("published").Inc()
		case errors.Is(err, context.Canceled):
			return
		default:
			n.metrics.gossiped.WithLabelValues("dropped").Inc()
			n.log.Debug("announce: publish", "id", id, "err", err)
		}
	}
}
