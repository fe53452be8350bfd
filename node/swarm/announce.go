package swarm

import (
	"context"

	"github.com/ipfs/go-cid"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// announceKeys is the Announcer's KeySource: every key the store gives
// this node reason to announce (SPEC.md §7.2). It is derived from the store
// on every round, which is why announcements survive restarts.
func (s *Swarm) announceKeys(yield func(cid.Cid) bool) error {
	st := s.cfg.Store
	more := true
	if err := st.EachObject(func(id protocol.ID) bool {
		more = yield(protocol.ObjectKey(id))
		return more
	}); err != nil || !more {
		return err
	}
	if err := st.EachFile(func(d protocol.Digest) bool {
		more = yield(protocol.FileKey(d))
		return more
	}); err != nil || !more {
		return err
	}
	if err := st.EachSubject(func(id protocol.ID) bool {
		more = yield(protocol.ClaimsAboutKey(id))
		return more
	}); err != nil || !more {
		return err
	}
	return st.EachRotatedKey(func(d protocol.DID) bool {
		return yield(protocol.RotationsKey(d))
	})
}

// keysOf returns the DHT keys that holding o gives a node: its ID, the
// digest of each file it names, the subject it speaks about.
func keysOf(o *protocol.Object) []cid.Cid {
	keys := []cid.Cid{protocol.ObjectKey(o.ID)}
	for _, f := range o.Files {
		keys = append(keys, protocol.FileKey(f.Digest))
	}
	if !o.About.IsZero() {
		keys = append(keys, protocol.ClaimsAboutKey(o.About))
	}
	if o.Kind == protocol.KindRotation {
		keys = append(keys, protocol.RotationsKey(o.Rotation.From), protocol.RotationsKey(o.Rotation.To))
	}
	return keys
}

// Origin says where an object that entered the store came from.
type Origin int

const (
	FromAPI    Origin = iota // made or handed in through this node's API
	FromFetch                // fetched from a peer to answer a query
	FromGossip               // received on the announce topic
)

// Stored tells the network about an object the store just took: new
// objects are announced on the DHT at once, and what came through the API
// is also published on the announce topic. Objects received by gossip are
// not announced at once — every online node got them, and if each
// announced them the DHT would carry a provide per node per object — but
// by the next round of the Announcer. On a nil swarm it does nothing.
func (s *Swarm) Stored(o *protocol.Object, res store.PutResult, from Origin) {
	if s == nil || res.Err != nil || (!res.New && res.Added == 0) {
		return
	}
	if res.New && from != FromGossip {
		// Announcements wait for a peer (announceNew); meanwhile the node's
		// own record answers the first peers that ask it.
		lone := s.dht.RoutingTable().Size() == 0
		for _, k := range keysOf(o) {
			if lone {
				if err := p2p.ProvideLocal(s.ctx, s.dht, k); err != nil {
					s.log.Warn("announce: record a key locally", "key", k, "err", err)
				}
			}
			s.pending.Add(1)
			select {
			case s.keys <- k:
			default:
				s.pending.Add(-1)
				s.cfg.Metrics.AnnounceDropped.Inc()
			}
		}
	}
	if from == FromAPI && s.topic != nil {
		s.publish(o)
	}
}

// announceNew announces the keys of new objects as they come, in batches,
// until ctx ends.
func (s *Swarm) announceNew(ctx context.Context) {
	if p2p.WaitForPeers(ctx, s.dht) != nil {
		return
	}
	batch := make([]cid.Cid, 0, 64)
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-s.keys:
			batch = append(batch[:0], k)
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case k := <-s.keys:
				batch = append(batch, k)
			default:
				break more
			}
		}
		// Failures are retried by the Announcer and counted in its stats.
		_ = s.ann.Announce(ctx, batch...)
		s.pending.Add(-int64(len(batch)))
	}
}
