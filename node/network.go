package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// NetworkOptions configure StartNetwork. RunDaemon fills them from the
// config; tests and simulations set the tuning fields.
type NetworkOptions struct {
	Listen    []string        // libp2p listen multiaddrs; empty: dial only
	Bootstrap []peer.AddrInfo // peers to join through
	SwarmKey  pnet.PSK        // a private network's key; nil: open
	Limits    Limits
	Gossip    bool    // carry new objects on the announce topic too
	Storage   Storage // budgets of what peers make the node store unasked

	// Tuning, for tests and simulations; zero takes the defaults.
	Announce         p2p.AnnouncerOptions
	DHT              []dht.Option
	FetchServer      fetch.ServerOptions
	FetchTimeout     time.Duration
	GossipHeartbeat  time.Duration
	GovHeadsInterval time.Duration
	// OutsiderGrace is how long a peer may stay connected without
	// speaking this commons' DHT protocol; default DefaultOutsiderGrace.
	OutsiderGrace time.Duration
	// Gater, when set, may refuse connections besides the peer scores'
	// bans (tests partition swarms with one).
	Gater connmgr.ConnectionGater
	// Metrics receives libp2p's metrics; nil keeps them off.
	Metrics prometheus.Registerer
}

// announceQueue bounds the keys of new objects waiting to be announced.
// Beyond it keys are dropped from the fast path: the next round of the
// Announcer, which walks the whole store, announces them.
const announceQueue = 1 << 16

// swarm is a node's part in its commons: the libp2p host, the DHT, the
// announcer of what the store holds, and the fetch protocol both ways.
type swarm struct {
	host     host.Host
	dht      *dht.IpfsDHT
	ann      *p2p.Announcer
	fetch    *fetch.Client
	scores   *p2p.Scores
	gossip   *p2p.Gossip
	topic    *p2p.Topic // the announce topic; nil with gossip off
	govTopic *p2p.Topic // the governance topic; nil for a node of no network
	gov      *govNet
	keys     chan cid.Cid     // keys of new objects to announce now
	pending  atomic.Int64     // keys queued or being announced
	outbox   chan protocol.ID // new objects to publish on the announce topic

	ctx    context.Context // ends when the network closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartNetwork joins the node's commons: it starts the host, the DHT under
// the network's prefix, the fetch server over the store, the announcer of
// every key the store holds (SPEC.md §7.2), the governance topic (§8.9)
// and, when opts.Gossip, the announce topic. Close stops it all; a node
// joins its network once.
func (n *Node) StartNetwork(ctx context.Context, opts NetworkOptions) error {
	const op = "start network"
	if n.net != nil {
		return protocol.E(op, protocol.Exists, "the network is already started")
	}
	if n.repo.Network.IsZero() {
		return protocol.E(op, protocol.Invalid, "the repo belongs to no network yet: give it a genesis")
	}
	scores, err := p2p.NewScores(p2p.ScoreOptions{Metrics: n.metrics.reg, Logger: n.log})
	if err != nil {
		return err
	}
	h, err := p2p.NewHost(p2p.HostConfig{
		Key:      n.repo.NodeKey,
		Listen:   opts.Listen,
		SwarmKey: opts.SwarmKey,
		ConnLow:  opts.Limits.ConnLow,
		ConnHigh: opts.Limits.ConnHigh,
		ResourceLimits: p2p.ResourceLimits{
			Memory: opts.Limits.MaxMemory, FD: opts.Limits.MaxFD,
			Conns: opts.Limits.MaxConns, Streams: opts.Limits.MaxStreams,
			ConnsInbound: opts.Limits.MaxConnsInbound,
		},
		Metrics: opts.Metrics,
		Scores:  scores,
		Gater:   opts.Gater,
	})
	if err != nil {
		return err
	}
	d, err := p2p.NewDHT(h, n.repo.Network, p2p.DHTOptions{Bootstrap: opts.Bootstrap, Extra: opts.DHT})
	if err != nil {
		h.Close()
		return err
	}
	nctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	nt := &swarm{
		host:   h,
		dht:    d,
		scores: scores,
		keys:   make(chan cid.Cid, announceQueue),
		outbox: make(chan protocol.ID, publishQueue),
		ctx:    nctx,
		cancel: cancel,
		gov:    newGovNet(),
	}
	penalty := scores.Penalise
	srvOpts := opts.FetchServer
	srvOpts.Penalty, srvOpts.Logger = penalty, n.log
	fetch.NewServer(n.repo.Network, fetch.StoreSource{Store: n.store}, srvOpts).Register(h)
	// A peer that answers with objects this node asked for and verified
	// earns credit, so that trimming keeps it over new and unscored peers.
	nt.fetch = fetch.NewClient(h, n.repo.Network, fetch.ClientOptions{
		Timeout: opts.FetchTimeout, Penalty: penalty, Answered: scores.Reward,
	})
	annOpts := opts.Announce
	annOpts.Observe = n.metrics.observeProvide
	nt.ann = p2p.NewAnnouncer(d, n.announceKeys, annOpts)
	n.budget = newBudget(opts.Storage, func() time.Time { return n.now() }, diskProbe(n.repo.DataDir()))
	if err := n.joinTopics(nctx, nt, opts); err != nil {
		cancel()
		if nt.gossip != nil {
			nt.gossip.Close()
		}
		d.Close()
		h.Close()
		return fmt.Errorf("%s: gossip: %w", op, err)
	}
	n.net = nt
	nt.ann.Start(nctx)
	nt.wg.Go(func() { nt.announceNew(nctx) })
	if nt.topic != nil {
		nt.wg.Go(func() { n.publishNew(nctx) })
		nt.wg.Go(func() { n.publishOwnRotations(nctx) })
	}
	if nt.govTopic != nil {
		interval := opts.GovHeadsInterval
		if interval <= 0 {
			interval = DefaultGovHeadsInterval
		}
		nt.wg.Go(func() { n.announceHeads(nctx, interval) })
		h.Network().Notify(peerJoined{nt.gov})
	}
	n.registerNetworkMetrics()
	n.metrics.registerStorage(n.budget)
	if err := n.dropOutsiders(nctx, cmp.Or(opts.OutsiderGrace, DefaultOutsiderGrace)); err != nil {
		n.log.Warn("network: cannot watch for peers of other networks", "err", err)
	}
	n.log.Info("network started", "peer_id", h.ID(), "addrs", n.addrs(), "bootstrap", len(opts.Bootstrap), "gossip", opts.Gossip)
	return nil
}

// joinTopics starts GossipSub and joins the topics: the announce topic
// when opts.Gossip, the governance topic always — governance travels by
// gossip alone.
func (n *Node) joinTopics(ctx context.Context, nt *swarm, opts NetworkOptions) error {
	if !opts.Gossip && n.gov == nil {
		return nil
	}
	g, err := p2p.NewGossip(ctx, nt.host, n.repo.Network, p2p.GossipOptions{Scores: nt.scores, Heartbeat: opts.GossipHeartbeat, Logger: n.log})
	if err != nil {
		return err
	}
	nt.gossip = g
	if opts.Gossip {
		if nt.topic, err = g.Join(n.repo.Network.AnnounceTopic(), n.validateAnnounced, n.deliverAnnounced); err != nil {
			return err
		}
	}
	if n.gov != nil {
		if nt.govTopic, err = g.Join(n.repo.Network.GovernanceTopic(), n.validateGov, n.deliverGov); err != nil {
			return err
		}
	}
	return nil
}

// Close leaves the network, if the node joined one. It does not close the
// store or the repo.
func (n *Node) Close() error {
	nt := n.net
	if nt == nil {
		return nil
	}
	nt.cancel()
	nt.ann.Close()
	nt.wg.Wait()
	var errs []error
	if nt.gossip != nil {
		errs = append(errs, nt.gossip.Close())
	}
	errs = append(errs, nt.dht.Close(), nt.host.Close())
	return errors.Join(errs...)
}

// Host returns the node's libp2p host, nil before StartNetwork.
func (n *Node) Host() host.Host {
	if n.net == nil {
		return nil
	}
	return n.net.host
}

// announceKeys is the Announcer's KeySource: every key the store gives
// this node reason to announce (SPEC.md §7.2). It is derived from the store
// on every round, which is why announcements survive restarts.
func (n *Node) announceKeys(yield func(cid.Cid) bool) error {
	more := true
	if err := n.store.EachObject(func(id protocol.ID) bool {
		more = yield(protocol.ObjectKey(id))
		return more
	}); err != nil || !more {
		return err
	}
	if err := n.store.EachFile(func(d protocol.Digest) bool {
		more = yield(protocol.FileKey(d))
		return more
	}); err != nil || !more {
		return err
	}
	if err := n.store.EachSubject(func(id protocol.ID) bool {
		more = yield(protocol.ClaimsAboutKey(id))
		return more
	}); err != nil || !more {
		return err
	}
	return n.store.EachRotatedKey(func(d protocol.DID) bool {
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

// origin says where an object that entered the store came from.
type origin int

const (
	fromAPI    origin = iota // made or handed in through this node's API
	fromFetch                // fetched from a peer to answer a query
	fromGossip               // received on the announce topic
)

// stored tells the network about an object the store just took: new
// objects are announced on the DHT at once, and what came through the API
// is also published on the announce topic. Objects received by gossip are
// not announced at once — every online node got them, and if each
// announced them the DHT would carry a provide per node per object — but
// by the next round of the Announcer.
func (n *Node) stored(o *protocol.Object, res store.PutResult, from origin) {
	nt := n.net
	if nt == nil || res.Err != nil || (!res.New && res.Added == 0) {
		return
	}
	if res.New && from != fromGossip {
		for _, k := range keysOf(o) {
			nt.pending.Add(1)
			select {
			case nt.keys <- k:
			default:
				nt.pending.Add(-1)
				n.metrics.announceDropped.Inc()
			}
		}
	}
	if from == fromAPI && nt.topic != nil {
		n.publish(o)
	}
}

// announceNew announces the keys of new objects as they come, in batches,
// until ctx ends.
func (nt *swarm) announceNew(ctx context.Context) {
	if p2p.WaitForPeers(ctx, nt.dht) != nil {
		return
	}
	batch := make([]cid.Cid, 0, 64)
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-nt.keys:
			batch = append(batch[:0], k)
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case k := <-nt.keys:
				batch = append(batch, k)
			default:
				break more
			}
		}
		// Failures are retried by the Announcer and counted in its stats.
		_ = nt.ann.Announce(ctx, batch...)
		nt.pending.Add(-int64(len(batch)))
	}
}

// addrs returns the node's full multiaddrs (ending in /p2p/PEER).
func (n *Node) addrs() []string {
	if n.net == nil {
		return []string{}
	}
	h := n.net.host
	full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return []string{}
	}
	out := make([]string, len(full))
	for i, a := range full {
		out[i] = a.String()
	}
	return out
}

// Connect dials the peer at addr, a multiaddr ending in /p2p/PEER.
func (n *Node) Connect(ctx context.Context, addr string) (api.PeerInfo, error) {
	const op = "connect"
	if n.net == nil {
		return api.PeerInfo{}, protocol.E(op, protocol.Transient, "the node is not on the network")
	}
	m, err := ma.NewMultiaddr(addr)
	if err != nil {
		return api.PeerInfo{}, protocol.E(op, protocol.Invalid, "%q is not a multiaddr: %v", addr, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return api.PeerInfo{}, protocol.E(op, protocol.Invalid, "%q does not end in /p2p/PEER: %v", addr, err)
	}
	if ai.ID == n.net.host.ID() {
		return api.PeerInfo{}, protocol.E(op, protocol.Invalid, "%s is this node", ai.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.net.host.Connect(ctx, *ai); err != nil {
		return api.PeerInfo{}, protocol.E(op, protocol.Transient, "%s: %v", addr, err)
	}
	if err := n.checkMember(ctx, ai.ID); err != nil {
		n.net.host.Network().ClosePeer(ai.ID)
		return api.PeerInfo{}, protocol.E(op, protocol.Forbidden, "%s: %v", addr, err)
	}
	return n.peerInfo(ai.ID), nil
}

// checkMember asks p to speak this network's DHT protocol: a peer of
// another commons (another genesis) does not, and a connection to it would
// serve neither side.
func (n *Node) checkMember(ctx context.Context, p peer.ID) error {
	proto := libp2pprotocol.ID(n.repo.Network.ProtocolPrefix() + "/kad/1.0.0")
	st, err := n.net.host.NewStream(ctx, p, proto)
	if err != nil {
		return fmt.Errorf("the peer is not a member of this commons (network %s): %v", n.repo.Network, err)
	}
	st.Reset()
	return nil
}

// Peers lists the peers the node is connected to, by peer ID.
func (n *Node) Peers(context.Context) ([]api.PeerInfo, error) {
	out := []api.PeerInfo{}
	if n.net == nil {
		return out, nil
	}
	for _, p := range n.net.host.Network().Peers() {
		out = append(out, n.peerInfo(p))
	}
	slices.SortFunc(out, func(a, b api.PeerInfo) int { return strings.Compare(a.PeerID, b.PeerID) })
	return out, nil
}

func (n *Node) peerInfo(p peer.ID) api.PeerInfo {
	info := api.PeerInfo{PeerID: p.String(), Addrs: []string{}, Score: n.net.scores.Score(p), Credit: n.net.scores.Credit(p)}
	for _, c := range n.net.host.Network().ConnsToPeer(p) {
		info.Addrs = append(info.Addrs, c.RemoteMultiaddr().String())
	}
	return info
}

// registerNetworkMetrics adds the gauges of the network to the node's
// registry.
func (n *Node) registerNetworkMetrics() {
	nt := n.net
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	n.metrics.reg.MustRegister(
		gauge("commons_peers", "Peers connected.", func() float64 { return float64(len(nt.host.Network().Peers())) }),
		gauge("commons_dht_routing_table_size", "Peers in the DHT routing table.", func() float64 { return float64(nt.dht.RoutingTable().Size()) }),
		counter("commons_announce_provided_total", "Provides that succeeded since start.", func() float64 { return float64(nt.ann.Stats().Announced) }),
		counter("commons_announce_failed_total", "Provides that failed since start.", func() float64 { return float64(nt.ann.Stats().Failed) }),
		counter("commons_announce_rounds_total", "Announce rounds completed since start.", func() float64 { return float64(nt.ann.Stats().Rounds) }),
		gauge("commons_announce_retrying", "Keys whose provide failed, waiting for a retry.", func() float64 { return float64(nt.ann.Stats().Retrying) }),
		gauge("commons_announce_last_round_keys", "Keys of the last round.", func() float64 { return float64(nt.ann.Stats().LastRound.Keys) }),
		gauge("commons_announce_last_round_seconds", "Duration of the last round.", func() float64 { return nt.ann.Stats().LastRound.Duration.Seconds() }),
	)
}

// DefaultOutsiderGrace is how long a peer may stay connected without
// speaking this commons' DHT protocol: time for a node that is starting to
// register it and tell its peers (identify push).
const DefaultOutsiderGrace = 10 * time.Second

// dropOutsiders closes the connections of peers that, grace after
// identifying themselves, still do not speak this commons' DHT protocol:
// nodes of another genesis, or no commons node at all. They could share
// nothing with this node (SPEC.md §7.2) and would only hold its resources.
func (n *Node) dropOutsiders(ctx context.Context, grace time.Duration) error {
	h := n.net.host
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		return err
	}
	kad := libp2pprotocol.ID(n.repo.Network.ProtocolPrefix() + "/kad/1.0.0")
	n.net.wg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-sub.Out():
				p := e.(event.EvtPeerIdentificationCompleted).Peer
				time.AfterFunc(grace, func() {
					if ctx.Err() != nil || h.Network().Connectedness(p) != network.Connected {
						return
					}
					if ok, _ := h.Peerstore().SupportsProtocols(p, kad); len(ok) == 0 {
						n.log.Info("network: closing a peer of no commons or another", "peer", p)
						h.Network().ClosePeer(p)
					}
				})
			}
		}
	})
	return nil
}
