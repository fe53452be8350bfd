package node

import (
	"context"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// NetworkOptions configure StartNetwork. RunDaemon fills them from the
// config; tests and simulations set the tuning fields.
type NetworkOptions struct {
	Listen    []string        // libp2p listen multiaddrs; empty: dial only
	Bootstrap []peer.AddrInfo // peers to join through
	SwarmKey  pnet.PSK        // a private network's key; nil: open
	Limits    repo.Limits
	Gossip    bool         // carry new objects on the announce topic too
	Storage   repo.Storage // budgets of what peers make the node store unasked
	// Announcer is the kind of announcer, swarm.AnnounceSweep or
	// swarm.AnnounceEach; empty: the sweeper.
	Announcer string

	// Tuning, for tests and simulations; zero takes the defaults.
	Announce         p2p.AnnouncerOptions
	DHT              []dht.Option
	FetchServer      fetch.ServerOptions
	FetchTimeout     time.Duration
	GossipHeartbeat  time.Duration
	GovHeadsInterval time.Duration
	// OutsiderGrace is how long a peer may stay connected without
	// speaking this commons' DHT protocol; default
	// swarm.DefaultOutsiderGrace.
	OutsiderGrace time.Duration
	// Gater, when set, may refuse connections besides the peer scores'
	// bans (tests partition swarms with one).
	Gater connmgr.ConnectionGater
	// Metrics receives libp2p's metrics; nil keeps them off.
	Metrics prometheus.Registerer
}

// StartNetwork joins the node's commons (package swarm): the host, the DHT
// under the network's prefix, the fetch server over the store, the
// announcer of every key the store holds (SPEC.md §7.2), the governance
// topic (§8.9) and, when opts.Gossip, the announce topic. Close stops it
// all; a node joins its network once.
func (n *Node) StartNetwork(ctx context.Context, opts NetworkOptions) error {
	const op = "start network"
	if n.net != nil {
		return protocol.E(op, protocol.Exists, "the network is already started")
	}
	if n.repo.Network.IsZero() {
		return protocol.E(op, protocol.Invalid, "the repo belongs to no network yet: give it a genesis")
	}
	sw, err := swarm.New(ctx, n.swarmConfig(), n.swarmOptions(opts))
	if err != nil {
		return err
	}
	n.net = sw // the swarm's hooks (storeFetched) read it once Start joins the topics
	if err := sw.Start(); err != nil {
		n.net = nil
		return err
	}
	n.log.Info("network started", "peer_id", sw.ID(), "addrs", sw.Addrs(), "bootstrap", len(opts.Bootstrap), "gossip", opts.Gossip)
	return nil
}

// swarmConfig is what the swarm needs of this node.
func (n *Node) swarmConfig() swarm.Config {
	c := swarm.Config{
		Network:       n.repo.Network,
		Key:           n.repo.NodeKey,
		Store:         n.store,
		Source:        storeSource{n.store},
		Logger:        n.log,
		Metrics:       n.metrics.Swarm,
		Now:           func() time.Time { return n.now() },
		StoreFetched:  n.storeFetched,
		StoreGossiped: n.putGossiped,
		Exempt:        n.exemptFromBudget,
		Policy:        n.policy,
		OwnKeys:       n.repo.Keys.DIDs, // no key decrypted: DIDs only
	}
	if n.gov != nil {
		c.Gov = n.gov.sync
	}
	return c
}

// swarmOptions converts opts, with the config's defaults, for the swarm.
func (n *Node) swarmOptions(opts NetworkOptions) swarm.Options {
	l := opts.Limits
	return swarm.Options{
		Listen:    opts.Listen,
		Bootstrap: opts.Bootstrap,
		SwarmKey:  opts.SwarmKey,
		ConnLow:   l.ConnLow,
		ConnHigh:  l.ConnHigh,
		Resources: p2p.ResourceLimits{
			Memory: l.MaxMemory, FD: l.MaxFD,
			Conns: l.MaxConns, Streams: l.MaxStreams,
			ConnsInbound: l.MaxConnsInbound,
		},
		Gossip:           opts.Gossip,
		Budgets:          budgetsOf(opts.Storage),
		DiskProbe:        diskProbe(n.repo.DataDir()),
		ProvidersDir:     n.repo.ProviderRecordsDir(),
		Providers:        providerLimitsOf(opts.Storage),
		Announcer:        opts.Announcer,
		Announce:         opts.Announce,
		DHT:              opts.DHT,
		FetchServer:      opts.FetchServer,
		FetchTimeout:     opts.FetchTimeout,
		GossipHeartbeat:  opts.GossipHeartbeat,
		GovHeadsInterval: opts.GovHeadsInterval,
		OutsiderGrace:    opts.OutsiderGrace,
		Gater:            opts.Gater,
		LibP2PMetrics:    opts.Metrics,
	}
}

// budgetsOf is the config's storage section, with its defaults, as the
// swarm's budgets.
func budgetsOf(s repo.Storage) swarm.Budgets {
	s = s.WithDefaults()
	return swarm.Budgets{
		SignerObjects: s.SignerObjects, SignerBytes: s.SignerBytes,
		PeerObjects: s.PeerObjects, PeerBytes: s.PeerBytes,
		StrangerObjects: s.StrangerObjects, StrangerBytes: s.StrangerBytes,
		MinFree: s.MinFree, MaxBytes: s.MaxBytes, Trusted: s.Trusted,
		Period: repo.BudgetPeriod,
	}
}

// providerLimitsOf is the config's bound on the DHT provider records,
// with its defaults.
func providerLimitsOf(s repo.Storage) p2p.DatastoreLimits {
	s = s.WithDefaults()
	return p2p.DatastoreLimits{MaxRecords: s.ProviderRecords, MaxBytes: s.ProviderBytes}
}

// Close leaves the network, if the node joined one. It does not close the
// store or the repo.
func (n *Node) Close() error { return n.net.Close() }

// Host returns the node's libp2p host, nil before StartNetwork.
func (n *Node) Host() host.Host { return n.net.Host() }

// Connect dials the peer at addr, a multiaddr ending in /p2p/PEER.
func (n *Node) Connect(ctx context.Context, addr string) (api.PeerInfo, error) {
	p, err := n.net.Connect(ctx, addr)
	if err != nil {
		return api.PeerInfo{}, err
	}
	return peerInfo(p), nil
}

// Peers lists the peers the node is connected to, by peer ID.
func (n *Node) Peers(context.Context) ([]api.PeerInfo, error) {
	ps := n.net.Peers()
	out := make([]api.PeerInfo, len(ps))
	for i, p := range ps {
		out[i] = peerInfo(p)
	}
	return out, nil
}

func peerInfo(p swarm.Peer) api.PeerInfo {
	return api.PeerInfo{PeerID: p.ID.String(), Addrs: p.Addrs, Score: p.Score, Credit: p.Credit}
}

// newSearch starts the search of a read on the network, bounded by
// q.Timeout (api.DefaultQueryTimeout when zero, at most api.MaxQueryTimeout); nil
// when q.Local or the node is not on a network.
func (n *Node) newSearch(ctx context.Context, q api.QueryOptions) (*swarm.Search, context.CancelFunc) {
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = api.DefaultQueryTimeout
	}
	return n.net.NewSearch(ctx, swarm.Query{Local: q.Local, Timeout: min(timeout, api.MaxQueryTimeout)})
}

// storeFetched puts objects a peer gave (verified by the fetch client)
// through the rest of the door: the clock check, then the store. It
// returns, for each object, nil when the store holds it, or why it was
// refused.
func (n *Node) storeFetched(objs []*protocol.Object) []error {
	errs := make([]error, len(objs))
	if len(objs) == 0 {
		return errs
	}
	now := n.now()
	ok := objs[:0:0]
	at := make([]int, 0, len(objs)) // the place in objs of each of ok
	for i, o := range objs {
		if err := protocol.CheckTime(o, now); err != nil {
			n.metrics.Refused(err)
			errs[i] = err
			continue
		}
		ok, at = append(ok, o), append(at, i)
	}
	results, err := n.store.PutBatch(ok)
	if err != nil {
		n.log.Warn("store fetched objects", "err", err)
		for _, i := range at {
			errs[i] = err
		}
		return errs
	}
	for i, r := range results {
		if r.Err != nil {
			n.metrics.Refused(r.Err)
			errs[at[i]] = r.Err
			continue
		}
		n.metrics.ObservePut(r)
		if r.New {
			n.metrics.Fetched.Inc()
		}
		n.net.Stored(ok[i], r, swarm.FromFetch)
	}
	return errs
}

// putGossiped stores an object the swarm admitted on the announce topic.
func (n *Node) putGossiped(o *protocol.Object) (store.PutResult, error) {
	res, err := n.store.Put(o)
	if err != nil {
		n.metrics.Refused(err)
		return res, err
	}
	n.metrics.ObservePut(res)
	return res, nil
}

// exemptFromBudget reports whether objects signed by d are stored without
// budget: d is a key of this node's keystore, or a current steward's key
// that governance has not revoked. The swarm adds the keys the config
// trusts.
func (n *Node) exemptFromBudget(d protocol.DID) bool {
	if n.repo.Keys.Has(d) {
		return true
	}
	if gs := n.govState(); gs != nil && gs.IsSteward(d) {
		_, revoked := gs.KeyRevokedAt(d)
		return !revoked
	}
	return false
}
