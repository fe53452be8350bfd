package p2p

import (
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	basicconnmgr "github.com/libp2p/go-libp2p/p2p/net/connmgr"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/protocol"
)

// Defaults of HostConfig. They suit a small node: an institution's server
// in a commons of tens to hundreds of nodes, not a public IPFS peer.
const (
	// DefaultConnLow and DefaultConnHigh are the connection manager's
	// watermarks: past High it closes the least useful connections down to
	// Low. A Kademlia node of a network of n nodes keeps about
	// 20·log2(n/20) peers in its routing table (≈ 100 at n = 1000), and
	// lookups open more for a while.
	DefaultConnLow  = 64
	DefaultConnHigh = 96

	// DefaultMaxMemory is what the resource manager lets the libp2p stack
	// reserve for connection and stream buffers, in bytes.
	DefaultMaxMemory = 128 << 20
	// DefaultMaxFD is the file descriptors it may hold for connections.
	DefaultMaxFD = 512
	// DefaultMaxConns is the connections, inbound and outbound together,
	// it admits; above DefaultConnHigh so that the connection manager, not
	// the resource manager, is what normally keeps the count down.
	DefaultMaxConns = 128
	// DefaultMaxStreams is the streams it admits at once, over all peers.
	DefaultMaxStreams = 2048
	// DefaultMaxConnsInboundPerPeer is the inbound connections one peer
	// may hold: one per transport, and a spare for a redial racing the
	// close of an old connection.
	DefaultMaxConnsInboundPerPeer = 4
)

// Inbound connections and streams may take at most half of the system
// limits (ResourceLimits.ConnsInbound defaults to Conns/2): however many
// identities dial in, the other half stays for the connections and streams
// this node opens — to its bootstrap peers, DHT lookups and fetches. The
// inbound guard keeps inbound connections between half and seven eighths
// of their limit (SPEC.md §7.2).
func inboundShare(n int) int { return max(n/2, 1) }

func inboundWatermarks(inbound int) (low, high int) {
	return inbound / 2, max(inbound-inbound/8, 1)
}

// The connections one address or subnet may hold, in both directions:
// libp2p's defaults, written here because SPEC.md §7.2 states them. The
// resource manager exempts loopback (127.0.0.0/8, ::1).
var (
	ipv4Limits = []rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: 8}}
	ipv6Limits = []rcmgr.ConnLimitPerSubnet{{PrefixLength: 56, ConnCount: 8}, {PrefixLength: 48, ConnCount: 64}}
)

// HostConfig configures NewHost. Fields left zero take the defaults above.
type HostConfig struct {
	// Key is the node key; the host's peer ID is this key (SPEC.md §1.2).
	// Required.
	Key *protocol.Key
	// Listen are the listen multiaddrs, e.g. "/ip4/0.0.0.0/tcp/4780" and
	// "/ip4/0.0.0.0/udp/4780/quic-v1". Empty means listen nowhere: the
	// host can dial but not be dialled.
	Listen []string
	// SwarmKey, when set, is the 32-byte pre-shared key of a private
	// network (ParseSwarmKey reads one): the host talks only to hosts with
	// the same key. Private networks are TCP only: NewHost refuses a QUIC
	// listen address with a swarm key.
	SwarmKey pnet.PSK
	// ConnLow and ConnHigh are the connection manager's watermarks, over
	// connections in both directions.
	ConnLow, ConnHigh int
	// InboundGrace is how long a new inbound peer is spared by the
	// inbound guard; default DefaultInboundGrace. TrimBackoff is how long
	// a peer the guard disconnected is refused inbound; default
	// DefaultTrimBackoff.
	InboundGrace, TrimBackoff time.Duration
	// ResourceLimits bound the whole libp2p stack.
	ResourceLimits ResourceLimits
	// Metrics, when set, receives libp2p's Prometheus metrics. When nil
	// they are off, which is what many hosts in one process need.
	Metrics prometheus.Registerer
	// Scores, when set, is the host's opinion of its peers: the host
	// refuses the connections of banned peers and tags every scored peer
	// in the connection manager with its standing, so that a penalised
	// peer is trimmed first and one with credit after new ones. A Scores
	// serves one host. Nil means no scoring.
	Scores *Scores
	// Gater, when set, is asked about every connection too, after Scores:
	// a node may keep out peers by rules of its own (tests partition
	// swarms with one).
	Gater connmgr.ConnectionGater
}

// ResourceLimits are the system-wide limits of the resource manager. Zero
// fields take the defaults. Limits per protocol and for connections still
// in their handshake are libp2p's, scaled to Memory and FD; limits per IP
// address and subnet are fixed (ipv4Limits, ipv6Limits; SPEC.md §7.2).
type ResourceLimits struct {
	Memory  int64 // bytes; default DefaultMaxMemory
	FD      int   // default DefaultMaxFD
	Conns   int   // default DefaultMaxConns, in either direction or both
	Streams int   // default DefaultMaxStreams, in either direction or both
	// ConnsInbound is the part of Conns inbound connections may take;
	// default Conns/2. Inbound streams may take half of Streams.
	ConnsInbound int
}

func (l ResourceLimits) withDefaults() ResourceLimits {
	if l.Memory <= 0 {
		l.Memory = DefaultMaxMemory
	}
	if l.FD <= 0 {
		l.FD = DefaultMaxFD
	}
	if l.Conns <= 0 {
		l.Conns = DefaultMaxConns
	}
	if l.Streams <= 0 {
		l.Streams = DefaultMaxStreams
	}
	if l.ConnsInbound <= 0 {
		l.ConnsInbound = inboundShare(l.Conns)
	}
	return l
}

// limiter returns the resource manager's limits: libp2p's defaults for its
// own services, scaled to l.Memory and l.FD, with the system scope set to l.
// Inbound connections and streams have their own, smaller limits, so that
// peers dialling in can never take what this node needs to dial out.
func (l ResourceLimits) limiter() rcmgr.Limiter {
	scaling := rcmgr.DefaultLimits
	libp2p.SetDefaultServiceLimits(&scaling)
	base := scaling.Scale(l.Memory, l.FD)
	conns, streams := rcmgr.LimitVal(l.Conns), rcmgr.LimitVal(l.Streams)
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns: conns, ConnsInbound: rcmgr.LimitVal(l.ConnsInbound), ConnsOutbound: conns,
			Streams: streams, StreamsInbound: rcmgr.LimitVal(inboundShare(l.Streams)), StreamsOutbound: streams,
			Memory: rcmgr.LimitVal64(l.Memory), FD: rcmgr.LimitVal(l.FD),
		},
		PeerDefault: rcmgr.ResourceLimits{ConnsInbound: DefaultMaxConnsInboundPerPeer},
	}
	return rcmgr.NewFixedLimiter(partial.Build(base))
}

// NewHost starts a libp2p host as cfg says. The caller closes it.
func NewHost(cfg HostConfig) (host.Host, error) {
	const op = "new host"
	if cfg.Key == nil {
		return nil, protocol.E(op, protocol.Invalid, "no node key")
	}
	priv, err := crypto.UnmarshalEd25519PrivateKey(cfg.Key.Private())
	if err != nil {
		return nil, protocol.E(op, protocol.Invalid, "node key: %w", err)
	}
	if cfg.SwarmKey != nil && len(cfg.SwarmKey) != 32 {
		return nil, protocol.E(op, protocol.Invalid, "swarm key has %d bytes, want 32", len(cfg.SwarmKey))
	}
	for _, a := range cfg.Listen {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return nil, protocol.E(op, protocol.Invalid, "listen address %q: %v", a, err)
		}
		if cfg.SwarmKey != nil && isQUIC(m) {
			return nil, protocol.E(op, protocol.Invalid,
				"listen address %q is QUIC, and a private network (swarm key) runs over TCP only: remove it or listen on /tcp/", a)
		}
	}
	low, high := cfg.ConnLow, cfg.ConnHigh
	if low <= 0 {
		low = DefaultConnLow
	}
	if high <= 0 {
		high = max(DefaultConnHigh, low)
	}
	if low > high {
		return nil, protocol.E(op, protocol.Invalid, "connection watermarks low %d > high %d", low, high)
	}
	if cfg.Scores != nil && cfg.Scores.attached() {
		return nil, protocol.E(op, protocol.Invalid, "the scores serve another host already: give each host its own")
	}
	limits := cfg.ResourceLimits.withDefaults()
	if limits.ConnsInbound > limits.Conns {
		return nil, protocol.E(op, protocol.Invalid, "inbound connection limit %d is above the connection limit %d", limits.ConnsInbound, limits.Conns)
	}
	cm, err := newConnManager(low, high, limits.ConnsInbound, cfg.InboundGrace, cfg.TrimBackoff)
	if err != nil {
		return nil, fmt.Errorf("%s: connection manager: %w", op, err)
	}
	rm, err := rcmgr.NewResourceManager(limits.limiter(), rcmgr.WithLimitPerSubnet(ipv4Limits, ipv6Limits))
	if err != nil {
		cm.Close()
		return nil, fmt.Errorf("%s: resource manager: %w", op, err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(priv),
		libp2p.ListenAddrStrings(cfg.Listen...),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.UserAgent("commons"),
		libp2p.Transport(tcp.NewTCPTransport),
	}
	if len(cfg.Listen) == 0 {
		opts = append(opts, libp2p.NoListenAddrs)
	}
	if cfg.SwarmKey != nil {
		opts = append(opts, libp2p.PrivateNetwork(cfg.SwarmKey))
	} else {
		opts = append(opts, libp2p.Transport(quic.NewTransport))
	}
	gaters := allGaters{backoffGater{cm.guard}}
	if cfg.Scores != nil {
		gaters = append(gaters, gater{cfg.Scores})
	}
	if cfg.Gater != nil {
		gaters = append(gaters, cfg.Gater)
	}
	opts = append(opts, libp2p.ConnectionGater(gaters))
	if cfg.Metrics != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(cfg.Metrics))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// libp2p starts when one listen address works; a node that was told
	// to listen somewhere and does not would be silently unreachable there.
	for _, a := range cfg.Listen {
		want, _ := ma.NewMultiaddr(a)
		if !listening(want, h.Network().ListenAddresses()) {
			h.Close()
			return nil, protocol.E(op, protocol.Transient, "could not listen on %s (address in use, or not an address of this machine)", a)
		}
	}
	if cfg.Scores != nil {
		if err := attachScores(cfg.Scores, h, cm.BasicConnMgr); err != nil {
			h.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return h, nil
}

// attachScores makes s the score table of h, whose connection manager
// is cm.
func attachScores(s *Scores, h host.Host, cm *basicconnmgr.BasicConnMgr) error {
	tag, err := s.registerTag(cm)
	if err != nil {
		return fmt.Errorf("score tag: %w", err)
	}
	if err := s.attach(h.Network(), tag); err != nil {
		return protocol.E("attach scores", protocol.Invalid, "%w", err)
	}
	return nil
}

// listening reports whether one of got is want, a port 0 in want matching
// any port.
func listening(want ma.Multiaddr, got []ma.Multiaddr) bool {
	for _, g := range got {
		if len(g) != len(want) {
			continue
		}
		same := true
		for i, c := range want {
			gc := g[i]
			if c.Code() != gc.Code() || (c.Value() != gc.Value() && !(isPort(c) && c.Value() == "0")) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func isPort(c ma.Component) bool { return c.Code() == ma.P_TCP || c.Code() == ma.P_UDP }

func isQUIC(m ma.Multiaddr) bool {
	for _, c := range m {
		if p := c.Protocol().Name; p == "quic" || p == "quic-v1" || strings.HasPrefix(p, "webtransport") {
			return true
		}
	}
	return false
}

// allGaters admits a connection when every one of its gaters does.
type allGaters []connmgr.ConnectionGater

func (gs allGaters) InterceptPeerDial(p peer.ID) bool {
	for _, g := range gs {
		if !g.InterceptPeerDial(p) {
			return false
		}
	}
	return true
}

func (gs allGaters) InterceptAddrDial(p peer.ID, m ma.Multiaddr) bool {
	for _, g := range gs {
		if !g.InterceptAddrDial(p, m) {
			return false
		}
	}
	return true
}

func (gs allGaters) InterceptAccept(c network.ConnMultiaddrs) bool {
	for _, g := range gs {
		if !g.InterceptAccept(c) {
			return false
		}
	}
	return true
}

func (gs allGaters) InterceptSecured(d network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	for _, g := range gs {
		if !g.InterceptSecured(d, p, c) {
			return false
		}
	}
	return true
}

func (gs allGaters) InterceptUpgraded(c network.Conn) (bool, control.DisconnectReason) {
	for _, g := range gs {
		if ok, r := g.InterceptUpgraded(c); !ok {
			return ok, r
		}
	}
	return true, 0
}
