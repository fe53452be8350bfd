package p2p

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	basicconnmgr "github.com/libp2p/go-libp2p/p2p/net/connmgr"
	ma "github.com/multiformats/go-multiaddr"
)

// Defaults of the inbound guard (HostConfig.InboundGrace, TrimBackoff).
const (
	// DefaultInboundGrace is how long a new inbound peer is spared by the
	// inbound guard: time to join the routing table or the gossip mesh.
	DefaultInboundGrace = 10 * time.Second
	// DefaultTrimBackoff is how long a peer whose inbound connections the
	// guard closed is refused when it dials in again: however fast a flood
	// redials, each of its identities gets one turn per backoff.
	DefaultTrimBackoff = 10 * time.Minute
	// maxBackoffs bounds the peers the guard remembers as trimmed.
	maxBackoffs = 4096
)

// dhtBucketTag is the tag and protection name go-libp2p-kad-dht gives the
// peers of its routing table.
const dhtBucketTag = "kbucket"

// dhtProtectedValue is the tag value that replaces the DHT's protection of
// its two widest buckets: the value of the other buckets' peers.
const dhtProtectedValue = 5

// connManager is libp2p's basic connection manager with two changes.
//
// The DHT protects the peers of its two widest buckets from trimming; but
// any identity that answers the DHT protocol gets there, so the protection
// would let a flood of identities hold connections no trim can close. The
// protection becomes an ordinary tag value instead.
//
// An inbound guard caps what strangers can hold: the basic manager counts
// connections in both directions and trims only above its high watermark,
// so inbound connections held at the resource manager's inbound limit would
// never be trimmed. The guard trims inbound connections on its own
// watermarks.
type connManager struct {
	*basicconnmgr.BasicConnMgr
	guard *inboundGuard
}

// newConnManager returns the connection manager of a host: watermarks low
// and high over all connections, and an inbound guard over inbound ones
// with the watermarks of inbound connections allowed at most.
func newConnManager(low, high, inbound int, grace, backoff time.Duration) (*connManager, error) {
	basic, err := basicconnmgr.NewConnManager(low, high)
	if err != nil {
		return nil, err
	}
	if grace <= 0 {
		grace = DefaultInboundGrace
	}
	if backoff <= 0 {
		backoff = DefaultTrimBackoff
	}
	inLow, inHigh := inboundWatermarks(inbound)
	return &connManager{basic, newInboundGuard(basic, inLow, inHigh, grace, backoff)}, nil
}

func (cm *connManager) Protect(p peer.ID, tag string) {
	if tag == dhtBucketTag {
		cm.TagPeer(p, dhtBucketTag, dhtProtectedValue)
		return
	}
	cm.BasicConnMgr.Protect(p, tag)
}

func (cm *connManager) Unprotect(p peer.ID, tag string) bool {
	if tag == dhtBucketTag {
		return cm.IsProtected(p, "")
	}
	return cm.BasicConnMgr.Unprotect(p, tag)
}

func (cm *connManager) Notifee() network.Notifiee {
	return notifees{cm.BasicConnMgr.Notifee(), cm.guard}
}

func (cm *connManager) Close() error {
	cm.guard.close()
	return cm.BasicConnMgr.Close()
}

// notifees passes connection events on to both.
type notifees struct{ a, b network.Notifiee }

func (n notifees) Listen(net network.Network, m ma.Multiaddr) { n.a.Listen(net, m); n.b.Listen(net, m) }
func (n notifees) ListenClose(net network.Network, m ma.Multiaddr) {
	n.a.ListenClose(net, m)
	n.b.ListenClose(net, m)
}
func (n notifees) Connected(net network.Network, c network.Conn) {
	n.a.Connected(net, c)
	n.b.Connected(net, c)
}
func (n notifees) Disconnected(net network.Network, c network.Conn) {
	n.a.Disconnected(net, c)
	n.b.Disconnected(net, c)
}

// inboundGuard keeps the inbound connections of a host between two
// watermarks (SPEC.md §7.2). When an inbound connection takes their count
// to high, it closes the peers connected only inbound, past their grace
// period and not protected, least valued first (the connection manager's
// tag values but the routing table's: penalised peers below 0, new and
// unscored peers 0, peers that served this node's fetches (their Scores
// credit) and peers that delivered gossip above; gossip mesh peers are
// protected), the newest first among equals, until low remain. A peer
// in its grace period is spared, but it keeps its place in that order: no
// older or better peer is closed in its stead. A closed peer is refused
// inbound for the backoff, so that the same identities cannot take the
// slots back at once. Outbound connections are never closed: the node
// chose those peers.
type inboundGuard struct {
	cm             *basicconnmgr.BasicConnMgr
	high, low      int
	grace, backoff time.Duration
	now            func() time.Time

	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// unfinished says that the last trim spared peers in their grace
	// period: the next ones go on down to low. Only run touches it.
	unfinished bool

	mu      sync.Mutex
	net     network.Network
	trimmed map[peer.ID]time.Time // refused inbound until
}

func newInboundGuard(cm *basicconnmgr.BasicConnMgr, low, high int, grace, backoff time.Duration) *inboundGuard {
	ctx, cancel := context.WithCancel(context.Background())
	g := &inboundGuard{
		cm: cm, high: high, low: low, grace: grace, backoff: backoff, now: time.Now,
		kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
		trimmed: make(map[peer.ID]time.Time),
	}
	go g.run()
	return g
}

func (g *inboundGuard) close() {
	g.cancel()
	<-g.done
}

// run trims when kicked, and every half grace period: the count may have
// stayed at high, or a trim spared peers in their grace period.
func (g *inboundGuard) run() {
	defer close(g.done)
	tick := time.NewTicker(min(max(g.grace/2, 100*time.Millisecond), 5*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-g.kick:
		case <-tick.C:
		}
		g.trim()
	}
}

// inboundPeer is a peer connected to the host inbound only.
type inboundPeer struct {
	id     peer.ID
	conns  int       // inbound connections
	opened time.Time // of the oldest
	value  int       // in the guard's order
}

// trim closes inbound peers as the guard's rule says, if the count of
// inbound connections is at or above high, or if the last trim spared
// peers and the count is still above low.
func (g *inboundGuard) trim() {
	g.mu.Lock()
	n := g.net
	g.mu.Unlock()
	if n == nil {
		return
	}
	inbound, peers := g.inboundPeers(n)
	if inbound < g.high && !(g.unfinished && inbound > g.low) {
		g.unfinished = false
		return
	}
	// The peers in their grace period keep their rank: they are closed at
	// a later round if they still rank among the excess, and an older peer
	// is not closed in their place.
	spared := g.now().Add(-g.grace)
	excess := inbound - g.low
	g.unfinished = false
	for _, ip := range peers {
		if excess <= 0 {
			break
		}
		excess -= ip.conns
		if ip.opened.After(spared) {
			g.unfinished = true
			continue
		}
		g.refuseFor(ip.id)
		n.ClosePeer(ip.id)
	}
}

// inboundPeers returns the count of n's inbound connections, and the peers
// the guard may close, in the order it closes them: connected inbound
// only, not protected, least valued and then newest first.
func (g *inboundGuard) inboundPeers(n network.Network) (int, []*inboundPeer) {
	byPeer := make(map[peer.ID]*inboundPeer)
	outbound := make(map[peer.ID]bool)
	inbound := 0
	for _, c := range n.Conns() {
		st, p := c.Stat(), c.RemotePeer()
		if st.Direction != network.DirInbound {
			outbound[p] = true
			continue
		}
		inbound++
		ip := byPeer[p]
		if ip == nil {
			ip = &inboundPeer{id: p, opened: st.Opened}
			byPeer[p] = ip
		}
		ip.conns++
		if st.Opened.Before(ip.opened) {
			ip.opened = st.Opened
		}
	}
	var peers []*inboundPeer
	for p, ip := range byPeer {
		if outbound[p] || g.cm.IsProtected(p, "") {
			continue
		}
		if ti := g.cm.GetTagInfo(p); ti != nil {
			ip.value = ti.Value - ti.Tags[dhtBucketTag] // any identity can enter the routing table
		}
		peers = append(peers, ip)
	}
	slices.SortFunc(peers, func(a, b *inboundPeer) int {
		return cmp.Or(cmp.Compare(a.value, b.value), b.opened.Compare(a.opened))
	})
	return inbound, peers
}

// refuseFor records that p's inbound connections are refused for the
// backoff.
func (g *inboundGuard) refuseFor(p peer.ID) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.trimmed) >= maxBackoffs {
		for q, until := range g.trimmed {
			if !until.After(now) {
				delete(g.trimmed, q)
			}
		}
		if len(g.trimmed) >= maxBackoffs {
			return // a flood of more identities than the table holds: the watermarks still bound it
		}
	}
	g.trimmed[p] = now.Add(g.backoff)
}

// refused reports whether p's inbound connections are refused now.
func (g *inboundGuard) refused(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.trimmed[p]
	if ok && !until.After(g.now()) {
		delete(g.trimmed, p)
		return false
	}
	return ok
}

func (g *inboundGuard) Connected(n network.Network, c network.Conn) {
	g.mu.Lock()
	g.net = n
	g.mu.Unlock()
	if c.Stat().Direction == network.DirInbound {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
}

func (g *inboundGuard) Disconnected(network.Network, network.Conn) {}
func (g *inboundGuard) Listen(network.Network, ma.Multiaddr)       {}
func (g *inboundGuard) ListenClose(network.Network, ma.Multiaddr)  {}

// backoffGater refuses the inbound connections of the peers the inbound
// guard disconnected, for its backoff.
type backoffGater struct{ g *inboundGuard }

var _ connmgr.ConnectionGater = backoffGater{}

func (backoffGater) InterceptPeerDial(peer.ID) bool                                  { return true }
func (backoffGater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool                    { return true }
func (backoffGater) InterceptAccept(network.ConnMultiaddrs) bool                     { return true }
func (backoffGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

func (b backoffGater) InterceptSecured(d network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return d != network.DirInbound || !b.g.refused(p)
}
