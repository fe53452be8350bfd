package p2p

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"
	dssync "github.com/ipfs/go-datastore/sync"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/provider"
	"github.com/libp2p/go-libp2p-kad-dht/provider/keystore"
	"github.com/libp2p/go-libp2p-kad-dht/provider/stats"
	mh "github.com/multiformats/go-multihash"

	"github.com/commons-p2p/commons/protocol"
)

// SweepOptions configures a Sweeper. Fields left zero take the defaults.
type SweepOptions struct {
	// Datastore keeps the keys the node provides, indexed by their place
	// in the keyspace (kad-dht's keystore), and the schedule of
	// re-announcements, so that a restarted node resumes its cycle instead
	// of announcing everything again. Default: an in-memory map.
	Datastore ds.Batching
	// Interval is the time within which every region of the keyspace is
	// announced again; default DefaultReannounceInterval.
	Interval time.Duration
	// Extra are further options of kad-dht's provider, applied last.
	Extra []provider.Option
}

// sweepConnectivityCheck is the least time between two checks of whether
// the node is online, made after a provide fails.
const sweepConnectivityCheck = 5 * time.Second

// keySourceBatch is how many keys of the KeySource a Sweeper hands the
// provider at once.
const keySourceBatch = 4096

// Sweeper keeps a node's provider records on the DHT as an Announcer does,
// but with kad-dht's sweeping provider: keys are grouped by the region of
// the keyspace they fall in, and one exploration of a region finds the
// nodes closest to all its keys, which then get the records of every key
// of the region; a region is announced again every Interval, the regions
// spread over it. An Announcer pays a lookup per key. A Sweeper is safe for
// concurrent use.
type Sweeper struct {
	dht  *dht.IpfsDHT
	src  KeySource
	prov *provider.SweepingProvider
	keys keystore.Keystore

	interval time.Duration
	loaded   atomic.Bool // every key of the source handed to the provider

	cancel context.CancelFunc
	done   chan struct{}
}

// NewSweeper returns a Sweeper of the keys of src on d. It announces
// nothing until Start or Announce.
func NewSweeper(d *dht.IpfsDHT, src KeySource, opts SweepOptions) (*Sweeper, error) {
	const op = "new sweeper"
	store := opts.Datastore
	if store == nil {
		store = dssync.MutexWrap(ds.NewMapDatastore())
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultReannounceInterval
	}
	keys, err := keystore.NewKeystore(namespace.Wrap(store, ds.NewKey("keys")))
	if err != nil {
		return nil, fmt.Errorf("%s: keystore: %w", op, err)
	}
	popts := []provider.Option{
		provider.WithHost(d.Host()),
		provider.WithRouter(d),
		provider.WithMessageSender(d.MessageSender()),
		provider.WithSelfAddrs(d.FilteredAddrs),
		provider.WithReplicationFactor(d.BucketSize()),
		// This node answers for its own keys too, as Provide makes it.
		provider.WithAddLocalRecord(func(ctx context.Context, h mh.Multihash) error {
			return d.Provide(ctx, cid.NewCidV1(cid.Raw, h), false)
		}),
		provider.WithKeystore(keys),
		provider.WithDatastore(namespace.Wrap(store, ds.NewKey("schedule"))),
		provider.WithReprovideInterval(interval),
		// A provide that fails marks the node disconnected until its next
		// connectivity check; kad-dht's default of a minute between checks
		// would pause every announcement that long after one failure.
		provider.WithConnectivityCheckOnlineInterval(sweepConnectivityCheck),
	}
	prov, err := provider.New(append(popts, opts.Extra...)...)
	if err != nil {
		keys.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &Sweeper{dht: d, src: src, prov: prov, keys: keys, interval: interval}, nil
}

// Start hands every key of the source to the provider, which announces
// the keys it did not hold yet, region by region, and schedules their
// regions; the keys it held (a restart on the same Datastore) are
// announced when their region's turn comes. It walks the source again
// every Interval, so that keys that reached it without Announce (objects
// received by gossip) are announced within an Interval, as an
// Announcer's next round would. Start returns at once; call it once.
func (s *Sweeper) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		for {
			if s.load(ctx) {
				s.loaded.Store(true)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.interval):
			}
		}
	}()
}

// load hands every key of the source to the provider and reports whether
// it did.
func (s *Sweeper) load(ctx context.Context) bool {
	batch := make([]mh.Multihash, 0, keySourceBatch)
	ok := true
	flush := func() bool {
		err := s.prov.StartProviding(false, batch...)
		batch = batch[:0]
		ok = ok && err == nil
		return ok
	}
	err := s.src(func(k cid.Cid) bool {
		batch = append(batch, k.Hash())
		if len(batch) == cap(batch) && !flush() {
			return false
		}
		return ctx.Err() == nil
	})
	if len(batch) > 0 {
		flush()
	}
	return ok && err == nil && ctx.Err() == nil
}

// Loaded reports whether Start has handed every key of the source to the
// provider.
func (s *Sweeper) Loaded() bool { return s.loaded.Load() }

// Announce hands keys to the provider at once, to be announced with the
// other new keys of their regions and kept announced. Unlike an
// Announcer's, it returns before the keys are announced.
func (s *Sweeper) Announce(_ context.Context, keys ...cid.Cid) error {
	hs := make([]mh.Multihash, len(keys))
	for i, k := range keys {
		hs[i] = k.Hash()
	}
	if err := s.prov.StartProviding(false, hs...); err != nil {
		return protocol.E("announce", protocol.Transient, "%w", err)
	}
	return nil
}

// Stats are the provider's counters: keys and regions scheduled, provides
// done and failed, rates.
func (s *Sweeper) Stats(ctx context.Context) (stats.Stats, error) { return s.prov.Stats(ctx) }

// Close stops the walk of the source and the provider, which persists its
// queue and schedule in the Datastore, and closes the keystore. The
// Datastore stays open: its owner closes it.
func (s *Sweeper) Close() error {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	err := s.prov.Close()
	if kerr := s.keys.Close(); err == nil {
		err = kerr
	}
	return err
}
