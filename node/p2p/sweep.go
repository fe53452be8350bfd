package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
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
	// Logger says when every region is announced again (after a stop
	// without Close, or after the provider went offline); nil: discard.
	Logger *slog.Logger
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
//
// The provider holds the keys handed to it in its keystore at once, but
// the keys waiting to be sent only in memory, and it announces again on
// coming online only the regions it has no record of announcing within the
// Interval. So keys handed over just before the process dies, or while the
// provider is offline (its queue is then cleared), would wait for their
// region's turn, up to an Interval. A Sweeper closes both gaps (SPEC.md
// §7.2): a marker in its Datastore, written at start and removed only by a
// Close made while the provider was online, tells the next start that the
// last run ended otherwise, and that start forgets the record of regions
// announced, so that every region is announced again once online; and a
// provider that goes offline is replaced by one started the same way.
type Sweeper struct {
	dht   *dht.IpfsDHT
	src   KeySource
	store ds.Batching
	keys  keystore.Keystore
	opts  []provider.Option // of every provider; the resume and connectivity options are added per provider

	mu     sync.RWMutex // held to replace prov
	prov   *provider.SweepingProvider
	gen    atomic.Uint64        // of prov: the callbacks of a replaced provider are ignored
	before stats.PastOperations // the totals of the providers replaced, so that Stats' never go back

	interval time.Duration
	log      *slog.Logger
	loaded   atomic.Bool   // every key of the source handed to the provider
	offline  chan struct{} // a provider went offline: replace it

	cancel context.CancelFunc
	done   chan struct{}
}

// sweepOpenKey marks a Sweeper's Datastore as in use: present at start, the
// last run did not Close with its provider online.
var sweepOpenKey = ds.NewKey("/open")

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
	ctx := context.Background()
	unclean, err := store.Has(ctx, sweepOpenKey)
	if err != nil {
		return nil, fmt.Errorf("%s: read the datastore: %w", op, err)
	}
	if err := store.Put(ctx, sweepOpenKey, nil); err != nil {
		return nil, fmt.Errorf("%s: mark the datastore in use: %w", op, err)
	}
	if err := store.Sync(ctx, sweepOpenKey); err != nil {
		return nil, fmt.Errorf("%s: mark the datastore in use: %w", op, err)
	}
	keys, err := keystore.NewKeystore(namespace.Wrap(store, ds.NewKey("keys")))
	if err != nil {
		return nil, fmt.Errorf("%s: keystore: %w", op, err)
	}
	s := &Sweeper{dht: d, src: src, store: store, keys: keys, interval: interval, log: opts.Logger, offline: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if unclean {
		s.log.Info("announcer: the last run did not stop cleanly online; every region is announced again once online")
	}
	s.opts = []provider.Option{
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
	s.opts = append(s.opts, opts.Extra...)
	if s.prov, err = s.newProvider(!unclean); err != nil {
		keys.Close()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return s, nil
}

// newProvider starts the provider of generation s.gen+1. Unless resume, it
// forgets which regions were announced when, so that it announces every
// region of its keystore once online.
func (s *Sweeper) newProvider(resume bool) (*provider.SweepingProvider, error) {
	gen := s.gen.Add(1)
	wentOffline := func() {
		// Called by the provider's connectivity checker, which must not
		// wait (its Close waits for it).
		if s.gen.Load() == gen {
			s.wentOffline()
		}
	}
	opts := append(slices.Clip(s.opts),
		provider.WithResumeCycle(resume),
		provider.WithConnectivityCallbacks(nil, nil, wentOffline))
	return provider.New(opts...)
}

// wentOffline asks Start's loop to replace the provider.
func (s *Sweeper) wentOffline() {
	select {
	case s.offline <- struct{}{}:
	default:
	}
}

// replace closes a provider that went offline, whose queue of keys not yet
// sent is lost, and starts one that announces every region once online.
func (s *Sweeper) replace() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen.Add(1)
	if st, err := s.prov.Stats(context.Background()); err == nil {
		s.before.RecordsProvided += st.Operations.Past.RecordsProvided
		s.before.KeysProvided += st.Operations.Past.KeysProvided
		s.before.KeysFailed += st.Operations.Past.KeysFailed
	}
	// A provider closes once: an error persisting its empty queue leaves
	// it closed all the same.
	_ = s.prov.Close()
	prov, err := s.newProvider(false)
	if err != nil {
		return err
	}
	s.prov = prov
	s.log.Info("announcer: the provider went offline; every region is announced again once online")
	return nil
}

// Start hands every key of the source to the provider, which announces
// the keys it did not hold yet, region by region, and schedules their
// regions; the keys it held (a restart on the same Datastore) are
// announced when their region's turn comes. It walks the source again
// every Interval, so that keys that reached it without Announce (objects
// received by gossip) are announced within an Interval, as an
// Announcer's next round would. Until Close it also replaces a provider
// that went offline. Start returns at once; call it once.
func (s *Sweeper) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		next := time.Now()
		for {
			if !time.Now().Before(next) {
				if s.load(ctx) {
					s.loaded.Store(true)
				}
				next = time.Now().Add(s.interval)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			case <-s.offline:
				if err := s.replace(); err != nil {
					// Try again shortly; meanwhile Announce fails as
					// Transient and the keys wait in the store.
					time.AfterFunc(sweepConnectivityCheck, s.wentOffline)
				}
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
		err := s.startProviding(batch)
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
	if err := s.startProviding(hs); err != nil {
		return protocol.E("announce", protocol.Transient, "%w", err)
	}
	return nil
}

// startProviding hands keys to the current provider, which keeps them in
// its keystore and queues those new to it.
func (s *Sweeper) startProviding(keys []mh.Multihash) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.prov.StartProviding(false, keys...)
}

// Stats are the provider's counters: keys and regions scheduled, provides
// done and failed (since NewSweeper, across the providers it replaced),
// rates.
func (s *Sweeper) Stats(ctx context.Context) (stats.Stats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := s.prov.Stats(ctx)
	if err != nil {
		return st, err
	}
	past := &st.Operations.Past
	past.RecordsProvided += s.before.RecordsProvided
	past.KeysProvided += s.before.KeysProvided
	past.KeysFailed += s.before.KeysFailed
	return st, nil
}

// Close stops the walk of the source and the provider, which persists its
// queue and schedule in the Datastore, and closes the keystore. The
// Datastore stays open: its owner closes it. Only when the provider was
// online (its queue and its estimate of the network's size are then what
// it persists) does Close remove the marker that makes the next start
// announce every region.
func (s *Sweeper) Close() error {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen.Add(1)
	st, err := s.prov.Stats(context.Background())
	online := err == nil && st.Schedule.AvgPrefixLength >= 0
	err = s.prov.Close()
	if kerr := s.keys.Close(); err == nil {
		err = kerr
	}
	if err == nil && online {
		ctx := context.Background()
		if err = s.store.Delete(ctx, sweepOpenKey); err == nil {
			err = s.store.Sync(ctx, sweepOpenKey)
		}
	}
	return err
}
