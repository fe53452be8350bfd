package swarm

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
)

// validateAnnounced is the announce topic's validator (SPEC.md §7.4): a
// message is one envelope, which must verify, pass the clock check and be
// one the store accepts (Store.CheckPut, the store's own judgement) before
// the node stores or forwards it. A message that does not verify, or that
// the store refuses by its rules (a revocation of another's claim, of a
// dataset), is Invalid — its sender is penalised, and nothing is forwarded
// that no node will keep; one stamped too far ahead of this node's clock
// is ignored, since the fault may be this clock's, as is one the store
// cannot judge now, and one over the storage budgets of its signer or of
// the peer it came from (Budget.AdmitUnasked): valid volume is never
// invalid.
func (s *Swarm) validateAnnounced(_ context.Context, from peer.ID, data []byte) (any, error) {
	gossiped := s.cfg.Metrics.Gossiped
	o, err := protocol.VerifyObject(data)
	if err != nil {
		gossiped.WithLabelValues("refused").Inc()
		return nil, err
	}
	if err := protocol.CheckTime(o, s.cfg.Now()); err != nil {
		gossiped.WithLabelValues("refused").Inc()
		return nil, protocol.E("announce", protocol.Transient, "from %s: %w", from, err)
	}
	if err := s.cfg.Store.CheckPut(o); err != nil {
		gossiped.WithLabelValues("refused").Inc()
		if k := protocol.KindOf(err); k == protocol.Invalid || k == protocol.Forbidden {
			return nil, protocol.E("announce", protocol.Invalid, "from %s: the store refuses it: %w", from, err)
		}
		return nil, protocol.E("announce", protocol.Transient, "from %s: %w", from, err)
	}
	if err := s.budget.AdmitUnasked(from, o, len(data)); err != nil {
		return nil, err
	}
	return o, nil
}

// deliverAnnounced stores an object that arrived on the announce topic.
func (s *Swarm) deliverAnnounced(from peer.ID, _ []byte, v any) {
	o, ok := v.(*protocol.Object)
	if !ok {
		return
	}
	gossiped := s.cfg.Metrics.Gossiped
	res, err := s.cfg.StoreGossiped(o)
	switch {
	case err != nil:
		gossiped.WithLabelValues("refused").Inc()
		s.log.Debug("announce: not stored", "from", from, "id", o.ID, "err", err)
	case !res.New && res.Added == 0:
		gossiped.WithLabelValues("known").Inc()
	default:
		gossiped.WithLabelValues("stored").Inc()
		s.Stored(o, res, FromGossip)
	}
}

// publish queues o for the announce topic; the publisher sends the
// envelope as stored, with every signature merged so far.
func (s *Swarm) publish(o *protocol.Object) {
	select {
	case s.outbox <- o.ID:
	default:
		s.cfg.Metrics.Gossiped.WithLabelValues("dropped").Inc()
	}
}

// publishOwnRotations publishes, once the announce topic has a peer, the
// rotations that name a key of this node's keystore, retired keys
// included (SPEC.md §6.1): `key rotate` runs with the daemon stopped, and
// this is how the rotation it stored travels at once. Nodes that miss it
// learn it from the DHT (§7.5).
func (s *Swarm) publishOwnRotations(ctx context.Context) {
	st := s.cfg.Store
	var ids []protocol.ID
	for _, d := range s.cfg.OwnKeys() {
		if !st.HasRotations(d) {
			continue
		}
		rs, err := st.RotationsOf(d)
		if err != nil {
			s.log.Warn("gossip: own rotations", "err", err)
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
	for len(s.topic.Peers()) == 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	for _, id := range ids {
		select {
		case s.outbox <- id:
		case <-ctx.Done():
			return
		}
	}
}

// publishNew publishes the queued objects until ctx ends.
func (s *Swarm) publishNew(ctx context.Context) {
	gossiped := s.cfg.Metrics.Gossiped
	for {
		var id protocol.ID
		select {
		case <-ctx.Done():
			return
		case id = <-s.outbox:
		}
		env, err := s.cfg.Store.Envelope(id)
		if err != nil {
			continue
		}
		err = s.topic.Publish(ctx, env.Encode())
		switch {
		case err == nil:
			gossiped.WithLabelValues("published").Inc()
		case errors.Is(err, context.Canceled):
			return
		default:
			gossiped.WithLabelValues("dropped").Inc()
			s.log.Debug("announce: publish", "id", id, "err", err)
		}
	}
}
