package swarm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/swarm/govsync"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Config is what a swarm is made of: the node's network, key and store,
// and the hooks through which it asks the node what only the node knows.
// Every field is required but Logger and the governance hooks.
type Config struct {
	Network protocol.NetworkID
	Key     *protocol.Key // the node key: the host's peer ID
	Store   *store.Store
	Source  fetch.Source // what the fetch server serves: the store, adapted
	Logger  *slog.Logger // nil: discard
	Metrics *metrics.Swarm
	// Now is the node's clock, for the clock check of what peers send and
	// the budgets' refill.
	Now func() time.Time

	// StoreFetched passes objects a peer gave for a query, verified by the
	// fetch client, through the rest of the node's door (the clock, the
	// store) and tells the swarm of each one stored (Swarm.Stored). It
	// returns, for each object, nil when the store holds it, or why the
	// door refused it: the peer that gave it earns credit for what the
	// store holds alone (SPEC.md §7.3).
	StoreFetched func([]*protocol.Object) []error
	// StoreGossiped stores an object admitted on the announce topic,
	// counting it as the node counts what it stores.
	StoreGossiped func(*protocol.Object) (store.PutResult, error)
	// Exempt reports whether objects signed by d are stored without
	// budget: d is a current steward's key that governance has not
	// revoked, or a key of the node's keystore.
	Exempt func(d protocol.DID) bool
	// Policy is what attribution obeys now (the governance state).
	Policy func() protocol.Policy
	// OwnKeys are the keys of the node's keystore, retired ones included,
	// whose rotations the swarm publishes once the announce topic has a
	// peer.
	OwnKeys func() []protocol.DID
	// Gov is the sync of the node's governance (package govsync), which
	// the swarm attaches and runs on the governance topic (SPEC.md §8.9);
	// nil for a node of no governance: the topic is not joined.
	Gov *govsync.Sync
}

// Options tune a swarm; zero fields take the defaults.
type Options struct {
	Listen    []string        // libp2p listen multiaddrs; empty: dial only
	Bootstrap []peer.AddrInfo // peers to join through
	SwarmKey  pnet.PSK        // a private network's key; nil: open
	ConnLow   int             // the connection manager's watermarks
	ConnHigh  int
	Resources p2p.ResourceLimits
	Gossip    bool    // carry new objects on the announce topic too
	Budgets   Budgets // what peers make the node store unasked
	// DiskProbe reads the disk under the store for the watermark; nil:
	// the disk is not read.
	DiskProbe func() (DiskState, error)

	// ProvidersDir is the directory of the provider records that other
	// nodes give this one (p2p.OpenDatastore), which then survive a
	// restart; empty: they are kept in memory.
	ProvidersDir string
	// Providers bound the records kept in ProvidersDir; zero fields: no
	// bound. DiskFull and Refused are the swarm's: nothing new is written
	// below the budgets' MinFree watermark, and each refusal is counted
	// and logged.
	Providers p2p.DatastoreLimits
	// Announcer is the kind of announcer, AnnounceSweep or AnnounceEach;
	// empty: AnnounceSweep.
	Announcer string
	// Announce tunes it: Interval for both, the rest for AnnounceEach.
	Announce        p2p.AnnouncerOptions
	DHT             []dht.Option
	FetchServer     fetch.ServerOptions
	FetchTimeout    time.Duration
	GossipHeartbeat time.Duration
	// GovHeadsInterval is how often the governance heads are announced;
	// default govsync.DefaultHeadsInterval.
	GovHeadsInterval time.Duration
	// OutsiderGrace is how long a peer may stay connected without
	// speaking this commons' DHT protocol; default DefaultOutsiderGrace.
	OutsiderGrace time.Duration
	// Gater, when set, may refuse connections besides the peer scores'
	// bans (tests partition swarms with one).
	Gater connmgr.ConnectionGater
	// LibP2PMetrics receives libp2p's metrics; nil keeps them off.
	LibP2PMetrics prometheus.Registerer
}

// announceQueue bounds the keys of new objects waiting to be announced.
// Beyond it keys are dropped from the fast path: the next round of the
// Announcer, which walks the whole store, announces them.
const announceQueue = 1 << 16

// publishQueue bounds the objects waiting to be published on the announce
// topic. A bulk load beyond it is not gossiped object by object; the DHT
// still announces every one of them.
const publishQueue = 1024

// Swarm is a node's part in its commons: the libp2p host, the DHT, the
// announcer of what the store holds, the fetch protocol both ways, the
// scores, the gossip topics and the storage budgets. Close, Host, Scores,
// GovTopic, PublishGov, FindGov, Addrs, Peers, Connect, Stored and
// NewSearch are safe on a nil *Swarm, the swarm of a node not on a
// network, and do nothing there.
type Swarm struct {
	cfg      Config
	opts     Options
	log      *slog.Logger
	host     host.Host
	dht      *dht.IpfsDHT
	records  *p2p.Datastore // the DHT's provider records; nil: in memory
	ann      Announcer
	fetch    *fetch.Client
	scores   *p2p.Scores
	budget   *Budget
	early    *refusedEarly // objects refused for their time (SPEC.md §7.5)
	gossip   *p2p.Gossip
	topic    *p2p.Topic       // the announce topic; nil with gossip off
	govTopic *p2p.Topic       // the governance topic; nil without governance
	keys     chan cid.Cid     // keys of new objects to announce now
	pending  atomic.Int64     // keys queued or being announced
	outbox   chan protocol.ID // new objects to publish on the announce topic

	ctx    context.Context // ends when the swarm closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New makes the host, the DHT under the network's prefix, the fetch server
// over cfg.Source and client, the announcer and the budgets. Start joins
// the topics and starts the work; Close stops it all.
func New(ctx context.Context, cfg Config, opts Options) (*Swarm, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scores, err := p2p.NewScores(p2p.ScoreOptions{Metrics: cfg.Metrics.Registry(), Logger: log})
	if err != nil {
		return nil, err
	}
	h, err := p2p.NewHost(p2p.HostConfig{
		Key:            cfg.Key,
		Listen:         opts.Listen,
		SwarmKey:       opts.SwarmKey,
		ConnLow:        opts.ConnLow,
		ConnHigh:       opts.ConnHigh,
		ResourceLimits: opts.Resources,
		Metrics:        opts.LibP2PMetrics,
		Scores:         scores,
		Gater:          opts.Gater,
	})
	if err != nil {
		return nil, err
	}
	budget := NewBudget(BudgetOptions{
		Budgets: opts.Budgets, Now: func() time.Time { return cfg.Now() }, Probe: opts.DiskProbe,
		Self: h.ID(), Held: cfg.Store.Has, Exempt: cfg.Exempt,
		NotStored: cfg.Metrics.NotStored, Penalise: scores.Penalise,
	})
	dopts := p2p.DHTOptions{Bootstrap: opts.Bootstrap, Extra: opts.DHT}
	var records *p2p.Datastore
	if opts.ProvidersDir != "" {
		lim := opts.Providers
		lim.DiskFull = budget.BelowMinFree
		lim.Refused = newRefusals(log, cfg.Metrics, cfg.Now).refused
		lim.Own = SweepNamespace
		if records, err = p2p.OpenDatastore(opts.ProvidersDir, lim); err != nil {
			h.Close()
			return nil, err
		}
		dopts.Datastore = records
	}
	d, err := p2p.NewDHT(h, cfg.Network, dopts)
	if err != nil {
		h.Close()
		closeRecords(records)
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Swarm{
		cfg:    cfg,
		opts:   opts,
		log:    log,
		host:   h,
		dht:    d,
		scores: scores,
		keys:   make(chan cid.Cid, announceQueue),
		outbox: make(chan protocol.ID, publishQueue),
		ctx:    sctx,
		cancel: cancel,
	}
	s.records = records
	penalty := scores.Penalise
	srvOpts := opts.FetchServer
	srvOpts.Penalty, srvOpts.Logger = penalty, log
	fetch.NewServer(cfg.Network, cfg.Source, srvOpts).Register(h)
	// A peer that answers with objects this node asked for earns credit
	// once the node has stored them (Search.fetch, chunksOf), so that
	// trimming keeps it over new and unscored peers.
	s.fetch = fetch.NewClient(h, cfg.Network, fetch.ClientOptions{
		Timeout: opts.FetchTimeout, Penalty: penalty,
	})
	s.early = newRefusedEarly(MaxRefusedEarly)
	var annStore ds.Batching
	if records != nil {
		annStore = records
	}
	if s.ann, err = s.newAnnouncer(opts.Announcer, opts.Announce, annStore); err != nil {
		cancel()
		d.Close()
		h.Close()
		closeRecords(records)
		return nil, err
	}
	s.budget = budget
	return s, nil
}

// Start joins the topics — the announce topic when Options.Gossip, the
// governance topic when Config.Gov is set — and starts announcing,
// publishing, syncing governance and watching for peers of other
// networks. On an error the swarm is closed.
func (s *Swarm) Start() error {
	if s.cfg.Gov != nil {
		s.cfg.Gov.Attach(s) // before the topic's handlers run
	}
	if err := s.joinTopics(); err != nil {
		s.Close()
		return fmt.Errorf("start network: gossip: %w", err)
	}
	if s.govTopic != nil {
		s.cfg.Gov.Run(s.opts.GovHeadsInterval)
	}
	s.ann.Start(s.ctx)
	s.wg.Go(func() { s.announceNew(s.ctx) })
	if s.topic != nil {
		s.wg.Go(func() { s.publishNew(s.ctx) })
		s.wg.Go(func() { s.publishOwnRotations(s.ctx) })
	}
	s.registerMetrics()
	if err := s.dropOutsiders(s.ctx, cmp.Or(s.opts.OutsiderGrace, DefaultOutsiderGrace)); err != nil {
		s.log.Warn("network: cannot watch for peers of other networks", "err", err)
	}
	return nil
}

// joinTopics starts GossipSub and joins the topics: the announce topic
// when Options.Gossip, the governance topic whenever there is governance
// — governance travels by gossip alone.
func (s *Swarm) joinTopics() error {
	gov := s.cfg.Gov != nil
	if !s.opts.Gossip && !gov {
		return nil
	}
	g, err := p2p.NewGossip(s.ctx, s.host, s.cfg.Network, p2p.GossipOptions{Scores: s.scores, Heartbeat: s.opts.GossipHeartbeat, Logger: s.log})
	if err != nil {
		return err
	}
	s.gossip = g
	if s.opts.Gossip {
		if s.topic, err = g.Join(s.cfg.Network.AnnounceTopic(), s.validateAnnounced, s.deliverAnnounced); err != nil {
			return err
		}
	}
	if gov {
		if s.govTopic, err = g.Join(s.cfg.Network.GovernanceTopic(), s.cfg.Gov.Validate, s.cfg.Gov.Deliver); err != nil {
			return err
		}
	}
	return nil
}

// Close leaves the network. It does not close the store.
func (s *Swarm) Close() error {
	if s == nil {
		return nil
	}
	s.cancel()
	errs := []error{s.ann.Close()}
	s.wg.Wait()
	if s.gossip != nil {
		errs = append(errs, s.gossip.Close())
	}
	// The DHT flushes its provider records as it closes, and the host's
	// handlers may read them until it closes: the records' store is last.
	errs = append(errs, s.dht.Close(), s.host.Close(), closeRecords(s.records))
	return errors.Join(errs...)
}

func closeRecords(r *p2p.Datastore) error {
	if r == nil {
		return nil
	}
	return r.Close()
}

// Go runs f in the background until Close, which waits for it.
func (s *Swarm) Go(f func()) { s.wg.Go(f) }

// Context ends when the swarm closes.
func (s *Swarm) Context() context.Context { return s.ctx }

// Host returns the libp2p host; nil for a nil swarm.
func (s *Swarm) Host() host.Host {
	if s == nil {
		return nil
	}
	return s.host
}

// ID is the host's peer ID.
func (s *Swarm) ID() peer.ID { return s.host.ID() }

// DHT returns the Kademlia DHT.
func (s *Swarm) DHT() *dht.IpfsDHT { return s.dht }

// Announcer returns the announcer of the store's keys.
func (s *Swarm) Announcer() Announcer { return s.ann }

// Fetch returns the client of the fetch protocol.
func (s *Swarm) Fetch() *fetch.Client { return s.fetch }

// Scores returns the peer scores; nil for a nil swarm.
func (s *Swarm) Scores() *p2p.Scores {
	if s == nil {
		return nil
	}
	return s.scores
}

// Gossip returns GossipSub; nil when no topic is joined.
func (s *Swarm) Gossip() *p2p.Gossip { return s.gossip }

// Topic returns the announce topic; nil with gossip off.
func (s *Swarm) Topic() *p2p.Topic { return s.topic }

// GovTopic returns the governance topic; nil for a nil swarm or one
// without governance.
func (s *Swarm) GovTopic() *p2p.Topic {
	if s == nil {
		return nil
	}
	return s.govTopic
}

// Budget returns the storage budgets.
func (s *Swarm) Budget() *Budget { return s.budget }

// Pending is how many keys of new objects are queued or being announced.
func (s *Swarm) Pending() int64 { return s.pending.Load() }

// Queued is how many keys of new objects wait in the announce queue.
func (s *Swarm) Queued() int { return len(s.keys) }
