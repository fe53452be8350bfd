package swarm

import (
	"context"

	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"

	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
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
	if err := st.EachFile(func(d protocol.Digest) bool { // manifests' entries included
		more = yield(protocol.FileKey(d))
		return more
	}); err != nil || !more {
		return err
	}
	if err := st.EachWholeManifest(func(id protocol.ID) bool {
		o, err := st.Object(id)
		if err != nil {
			s.log.Warn("announce: a dataset with a whole manifest cannot be read", "dataset", id, "err", err)
			return true
		}
		if root, ok := rootOf(o); ok {
			more = yield(ManifestKey(root))
		}
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
	if err := st.EachDerivedFrom(func(id protocol.ID) bool {
		more = yield(protocol.DerivedFromKey(id))
		return more
	}); err != nil || !more {
		return err
	}
	return st.EachRotatedKey(func(d protocol.DID) bool {
		return yield(protocol.RotationsKey(d))
	})
}

// keysOf returns the DHT keys that holding o gives a node: its ID, the
// digest of each file it names, the subject it speaks about, the parents
// or inputs it was made from. The keys of a manifest come from the store
// once it is whole (announceManifest).
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
	for _, id := range madeFrom(o) {
		keys = append(keys, protocol.DerivedFromKey(id))
	}
	return keys
}

// madeFrom returns what o was made from: a dataset's parents, a
// derivation's inputs.
func madeFrom(o *protocol.Object) []protocol.ID {
	switch o.Kind {
	case protocol.KindDataset:
		return o.Dataset.Parents
	case protocol.KindDerivation:
		return o.Derivation.Inputs
	}
	return nil
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
		lone := s.dht.RoutingTable().Size() == 0
		for _, k := range keysOf(o) {
			s.queueKey(k, lone)
		}
		s.AnnounceManifest(o)
	}
	if from == FromAPI && s.topic != nil {
		s.publish(o)
	}
}

// queueKey queues k to be announced at once, and reports whether the
// queue had room. Announcements wait for a peer (announceNew); meanwhile,
// when lone, the node's own record answers the first peers that ask it.
func (s *Swarm) queueKey(k cid.Cid, lone bool) bool {
	if lone {
		if err := p2p.ProvideLocal(s.ctx, s.dht, k); err != nil {
			s.log.Warn("announce: record a key locally", "key", k, "err", err)
		}
	}
	s.pending.Add(1)
	select {
	case s.keys <- k:
		return true
	default:
		s.pending.Add(-1)
		s.cfg.Metrics.AnnounceDropped.Inc()
		return false
	}
}

// AnnounceManifest announces at once the keys that the manifest of o, a
// dataset with a manifest, gives this node now that it is whole here
// (IndexManifest completed): the manifest key and the file key of every
// entry's digest, as far as the announce queue has room; the rest wait
// for the Announcer's next round, which derives them from the store.
// Stored calls it for a new dataset; a node that completes a manifest
// later calls it then. On a nil swarm, or for a manifest not whole, it
// does nothing.
func (s *Swarm) AnnounceManifest(o *protocol.Object) {
	if s == nil || s.ctx.Err() != nil {
		return
	}
	if _, ok := rootOf(o); ok {
		lone := s.dht.RoutingTable().Size() == 0
		s.pending.Add(1) // the hand-over itself, until its keys are queued
		s.wg.Go(func() {
			defer s.pending.Add(-1)
			s.announceManifest(o, lone)
		})
	}
}

// announceManifest queues the manifest key of o, then the file keys of its
// entries read from the store's chunks, until the queue is full; an
// announcer that holds keys without bound (the sweeper) is handed them all.
func (s *Swarm) announceManifest(o *protocol.Object, lone bool) {
	root, _ := rootOf(o)
	st := s.cfg.Store
	if whole, err := st.ManifestWhole(o.ID); err != nil || !whole {
		return
	}
	if s.ann.Holds() {
		s.handManifest(o, root, lone)
		return
	}
	if !s.queueKey(ManifestKey(root), lone) {
		return
	}
	seen := map[protocol.Digest]bool{}
	err := manifest.NewReader(root, st.Chunk).Walk(func(e manifest.Entry) bool {
		if seen[e.Digest] {
			return true
		}
		seen[e.Digest] = true
		return s.ctx.Err() == nil && len(seen) <= announceQueue && s.queueKey(protocol.FileKey(e.Digest), lone)
	})
	if err != nil {
		s.log.Warn("announce: read a whole manifest", "dataset", o.ID, "err", err)
	}
}

// handBatch is how many keys of a manifest handManifest hands the
// announcer at once.
const handBatch = 4096

// handManifest hands the announcer the manifest key of o and the file key
// of every entry, in batches, keeping the node's own record of each while
// it has no peer (queueKey).
func (s *Swarm) handManifest(o *protocol.Object, root manifest.ChunkID, lone bool) {
	batch := make([]cid.Cid, 0, handBatch)
	flush := func() {
		for _, k := range batch {
			if lone {
				if err := p2p.ProvideLocal(s.ctx, s.dht, k); err != nil {
					s.log.Warn("announce: record a key locally", "key", k, "err", err)
				}
			}
		}
		if err := s.ann.Announce(s.ctx, batch...); err != nil {
			s.log.Warn("announce: the keys of a manifest", "dataset", o.ID, "err", err)
		}
		batch = batch[:0]
	}
	batch = append(batch, ManifestKey(root))
	err := manifest.NewReader(root, s.cfg.Store.Chunk).Walk(func(e manifest.Entry) bool {
		batch = append(batch, protocol.FileKey(e.Digest))
		if len(batch) == cap(batch) {
			flush()
		}
		return s.ctx.Err() == nil
	})
	if len(batch) > 0 && s.ctx.Err() == nil {
		flush()
	}
	if err != nil {
		s.log.Warn("announce: read a whole manifest", "dataset", o.ID, "err", err)
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

// The kinds of announcer (Options.Announcer, SPEC.md §7.2).
const (
	// AnnounceSweep sweeps the keyspace: keys are grouped by region, one
	// exploration of a region gives the nodes closest to it the records
	// of all its keys, and regions are renewed in turn over the
	// reannounce interval (p2p.Sweeper). The default.
	AnnounceSweep = "sweep"
	// AnnounceEach provides every key on its own, a DHT lookup per key,
	// all of them again every round (p2p.Announcer).
	AnnounceEach = "each"
)

// Announcer keeps the keys of the store announced on the DHT (SPEC.md
// §7.2). Either kind of announcer fits it.
type Announcer interface {
	// Start announces the keys of the store and keeps them announced
	// until Close; it returns at once.
	Start(ctx context.Context)
	// Announce announces keys of new objects, at once or with their
	// region; failures are retried and counted, not returned.
	Announce(ctx context.Context, keys ...cid.Cid) error
	// Counts are the counts the node's metrics report.
	Counts() metrics.Announcer
	// Holds reports whether Announce only records keys, cheaply and
	// without bound, to be announced with their region (the sweeper's
	// keystore), so that every key of a manifest can be handed to it at
	// once instead of through the bounded queue.
	Holds() bool
	Close() error
}

// newAnnouncer returns the announcer of kind over the keys of the store;
// the sweeper keeps its keystore and schedule in store, under their own
// namespace, or in memory when store is nil.
func (s *Swarm) newAnnouncer(kind string, opts p2p.AnnouncerOptions, store ds.Batching) (Announcer, error) {
	switch kind {
	case AnnounceEach:
		opts.Observe = s.cfg.Metrics.ObserveProvide
		return eachAnnouncer{p2p.NewAnnouncer(s.dht, s.announceKeys, opts)}, nil
	case AnnounceSweep, "":
		var ns ds.Batching
		if store != nil {
			ns = namespace.Wrap(store, SweepNamespace)
		}
		sw, err := p2p.NewSweeper(s.dht, s.announceKeys, p2p.SweepOptions{Datastore: ns, Interval: opts.Interval, Logger: s.log})
		if err != nil {
			return nil, err
		}
		return sweepAnnouncer{sw}, nil
	}
	return nil, protocol.E("start network", protocol.Invalid, "announcer %q: want %q or %q", kind, AnnounceSweep, AnnounceEach)
}

// SweepNamespace is where the sweeping announcer keeps its keystore and
// schedule in the node's providers datastore, beside the provider records
// of the DHT.
var SweepNamespace = ds.NewKey("/commons-sweep")

type eachAnnouncer struct{ *p2p.Announcer }

func (a eachAnnouncer) Close() error { a.Announcer.Close(); return nil }

func (eachAnnouncer) Holds() bool { return false }

func (a eachAnnouncer) Counts() metrics.Announcer {
	st := a.Stats()
	return metrics.Announcer{
		Provided: st.Announced, Failed: st.Failed, Rounds: st.Rounds, Retrying: st.Retrying,
		LastRoundKeys: st.LastRound.Keys, LastRoundDuration: st.LastRound.Duration,
		Keys: int64(st.LastRound.Keys),
	}
}

type sweepAnnouncer struct{ *p2p.Sweeper }

func (sweepAnnouncer) Holds() bool { return true }

func (a sweepAnnouncer) Counts() metrics.Announcer {
	st, err := a.Stats(context.Background())
	if err != nil {
		return metrics.Announcer{}
	}
	past, ongoing, q := st.Operations.Past, st.Operations.Ongoing, st.Queues
	c := metrics.Announcer{
		Provided: uint64(past.KeysProvided), Failed: uint64(past.KeysFailed),
		Keys: st.Schedule.Keys,
		// A region being explored holds at least one key not announced.
		Queued: q.PendingKeyProvides + int64(ongoing.KeyProvides) + q.PendingRegionProvides + int64(ongoing.RegionProvides),
	}
	// Offline — before its first peer is confirmed — the provider keeps
	// new keys in the keystore alone, and announces them once online: of
	// the keys it holds, at least those beyond the provides done wait.
	if st.Connectivity.Status != "online" && c.Keys > past.KeysProvided {
		c.Queued += c.Keys - past.KeysProvided
	}
	if a.Loaded() && c.Queued == 0 {
		c.Rounds = 1
	}
	return c
}
