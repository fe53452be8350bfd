package p2p_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// targetConfig is the host configuration of a node under attack: the
// defaults of every connection count divided by scale, through the same
// code path as the daemon's (NewHost derives the inbound limit, the
// per-peer limit and the inbound guard's watermarks from them).
func targetConfig(t testing.TB, scale int, grace time.Duration) p2p.HostConfig {
	scores, err := p2p.NewScores(p2p.ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p2p.HostConfig{
		Key:            newKey(t),
		Listen:         []string{"/ip4/127.0.0.1/tcp/0"},
		ConnLow:        p2p.DefaultConnLow / scale,
		ConnHigh:       p2p.DefaultConnHigh / scale,
		ResourceLimits: p2p.ResourceLimits{Conns: p2p.DefaultMaxConns / scale},
		InboundGrace:   grace,
		Scores:         scores,
	}
}

// newTarget starts a node of netA with cfg.
func newTarget(t testing.TB, cfg p2p.HostConfig) *testNode {
	t.Helper()
	h, err := p2p.NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := p2p.NewDHT(h, netA, p2p.DHTOptions{})
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	n := &testNode{key: cfg.Key, h: h, d: d}
	t.Cleanup(n.stop)
	return n
}

// flood is many identities in one process, each a host that runs the
// commons DHT in server mode (so that a node cannot tell them from
// honest nodes by their protocols) and keeps dialling one target.
type flood struct {
	hosts  []host.Host
	dhts   []*dht.IpfsDHT
	cancel context.CancelFunc
	wg     sync.WaitGroup

	connected atomic.Int64 // dials that succeeded
	refused   atomic.Int64 // dials that failed
}

// startFlood starts n identities dialling target whenever they are not
// connected to it, every period, bypassing libp2p's dial backoff as a
// determined attacker would.
func startFlood(t testing.TB, target peer.AddrInfo, n int, period time.Duration) *flood {
	t.Helper()
	f := &flood{}
	for range n {
		priv, _, err := crypto.GenerateEd25519Key(nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := libp2p.New(libp2p.Identity(priv), libp2p.NoListenAddrs, libp2p.DisableMetrics(),
			libp2p.Transport(tcp.NewTCPTransport), libp2p.ResourceManager(&network.NullResourceManager{}))
		if err != nil {
			t.Fatal(err)
		}
		d, err := p2p.NewDHT(h, netA, p2p.DHTOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f.hosts, f.dhts = append(f.hosts, h), append(f.dhts, d)
	}
	t.Cleanup(f.stop)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	for _, h := range f.hosts {
		f.wg.Go(func() {
			tick := time.NewTicker(period)
			defer tick.Stop()
			for {
				if h.Network().Connectedness(target.ID) != network.Connected {
					dctx, cancel := context.WithTimeout(network.WithForceDirectDial(ctx, "flood"), 5*time.Second)
					if err := h.Connect(dctx, target); err == nil {
						f.connected.Add(1)
					} else if ctx.Err() == nil {
						f.refused.Add(1)
					}
					cancel()
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	return f
}

func (f *flood) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	f.wg.Wait()
	f.cancel = nil
	for i, h := range f.hosts {
		f.dhts[i].Close()
		h.Close()
	}
}

// inboundConns returns h's inbound connections as its resource manager
// counts them.
func inboundConns(h host.Host) int {
	var n int
	h.Network().ResourceManager().ViewSystem(func(s network.ResourceScope) error {
		n = s.Stat().NumConnsInbound
		return nil
	})
	return n
}

// waitHeld waits until h holds its connection to p, and the clock has
// moved past the time it opened: the inbound guard ranks peers by that
// time, so a peer that dials next ranks as newer.
func waitHeld(t testing.TB, h host.Host, p peer.ID) {
	t.Helper()
	eventually(t, 10*time.Second, "the node holds the connection of the peer that dialled it", func() bool {
		cs := h.Network().ConnsToPeer(p)
		return len(cs) > 0 && time.Now().After(cs[0].Stat().Opened)
	})
}

// waitPastGrace waits until each inbound connection of h has been open
// for longer than grace, the time the inbound guard spares a new one.
func waitPastGrace(t testing.TB, h host.Host, grace time.Duration) {
	t.Helper()
	eventually(t, 10*time.Second, "every inbound connection past its grace period", func() bool {
		for _, c := range h.Network().Conns() {
			if c.Stat().Direction == network.DirInbound && time.Since(c.Stat().Opened) <= grace {
				return false
			}
		}
		return true
	})
}

// dial connects from to to, bypassing the dial backoff, within 5 s.
func dial(from host.Host, to peer.AddrInfo) error {
	ctx, cancel := context.WithTimeout(network.WithForceDirectDial(context.Background(), "test"), 5*time.Second)
	defer cancel()
	return from.Connect(ctx, to)
}

// A flood of identities that speak the commons DHT protocol dials a node
// (with the default limits scaled down eightfold) over and over. The node
// admits no more inbound connections than its inbound limit, half its
// connection limit; it can still dial out; the honest peer in its gossip
// mesh keeps its connection and its use; the inbound guard trims the
// flood, refusing the trimmed identities for a while, until a new honest
// peer can connect and look things up.
func TestConnectionFloodLeavesRoomForHonestPeers(t *testing.T) {
	const scale, floodSize = 8, 100
	cfg := targetConfig(t, scale, 500*time.Millisecond)
	inboundLimit := p2p.DefaultMaxConns / scale / 2
	target := newTarget(t, cfg)

	// An honest peer, connected before the flood, in the gossip mesh.
	honest := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{target.info()}}})
	waitRouting(t, []*testNode{target, honest})
	topic := netA.AnnounceTopic()
	for _, n := range []*testNode{target, honest} {
		g, err := p2p.NewGossip(context.Background(), n.h, netA, p2p.GossipOptions{Heartbeat: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		accept := func(context.Context, peer.ID, []byte) (any, error) { return nil, nil }
		if _, err := g.Join(topic, accept, func(peer.ID, []byte, any) {}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "the honest peer in the target's gossip mesh", func() bool {
		return target.h.ConnManager().IsProtected(honest.h.ID(), "pubsub:"+topic)
	})
	key := randomKey(t)

	f := startFlood(t, target.info(), floodSize, 100*time.Millisecond)
	maxInbound := 0
	watch := func() {
		maxInbound = max(maxInbound, inboundConns(target.h))
	}
	eventually(t, 60*time.Second, "the flood reaches the inbound limit and is refused", func() bool {
		watch()
		return f.connected.Load() >= int64(inboundLimit-1) && f.refused.Load() >= floodSize
	})
	t.Logf("flood: %d connections, %d refused; target inbound %d (at most %d seen)",
		f.connected.Load(), f.refused.Load(), inboundConns(target.h), maxInbound)

	// The node dials out during the flood.
	out := newNode(t, nodeConfig{})
	var err error
	for range 3 {
		if err = dial(target.h, out.info()); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the node under a flood cannot dial out: %v (connections %d, inbound %d)",
			err, len(target.h.Network().Conns()), inboundConns(target.h))
	}

	// The guard trims the flood, round after round.
	eventually(t, 60*time.Second, "the guard trims the flood several times over", func() bool {
		watch()
		return f.connected.Load() >= 4*int64(inboundLimit)
	})
	if got := target.h.Network().Connectedness(honest.h.ID()); got != network.Connected {
		t.Fatalf("the honest peer in the mesh lost its connection to the flood: %v", got)
	}
	pctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p2p.Provide(pctx, honest.d, key); err != nil {
		t.Fatalf("the honest peer cannot provide during the flood: %v", err)
	}
	if provs := findEventually(t, target, key, honest.h.ID()); !hasProvider(provs, honest.h.ID()) {
		t.Fatalf("the target does not find the honest peer's provider record during the flood: %v", provs)
	}

	// A new honest peer gets in and looks the key up through the target.
	newcomer := newNode(t, nodeConfig{})
	var found bool
	eventually(t, 60*time.Second, "a new honest peer connects to the target and finds the provider", func() bool {
		watch()
		if err := dial(newcomer.h, target.info()); err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		provs, err := p2p.FindProviders(ctx, newcomer.d, key, 0)
		found = err == nil && hasProvider(provs, honest.h.ID())
		return found
	})
	watch()
	if maxInbound > inboundLimit {
		t.Errorf("inbound connections reached %d, above the inbound limit %d", maxInbound, inboundLimit)
	}
	t.Logf("flood: %d connections, %d refused; most inbound seen %d of %d",
		f.connected.Load(), f.refused.Load(), maxInbound, inboundLimit)
}

// How many honest dials succeed, in and out, while 300 identities flood a
// node with the default limits. A measurement, not a check: COMMONS_LONG=1
// go test ./node/p2p/ -run TestConnectionFloodMeasure -v
func TestConnectionFloodMeasure(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement of about three minutes: COMMONS_LONG=1")
	}
	const floodSize, measure = 300, 2 * time.Minute
	target := newTarget(t, targetConfig(t, 1, 0))
	honest := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{target.info()}}})
	waitRouting(t, []*testNode{target, honest})

	f := startFlood(t, target.info(), floodSize, time.Second)
	eventually(t, 60*time.Second, "the flood reaches the inbound limit", func() bool {
		return f.refused.Load() >= floodSize
	})
	maxInbound := inboundConns(target.h)
	const window = 30 * time.Second
	type counts struct{ in, inOK, out, outOK int }
	var windows []counts
	failures := make(map[string]int)
	start := time.Now()
	for time.Since(start) < measure {
		w := int(time.Since(start) / window)
		for len(windows) <= w {
			windows = append(windows, counts{})
		}
		c := &windows[w]
		// A new honest identity dials in, once.
		priv, _, _ := crypto.GenerateEd25519Key(nil)
		h, err := libp2p.New(libp2p.Identity(priv), libp2p.NoListenAddrs, libp2p.DisableMetrics(), libp2p.Transport(tcp.NewTCPTransport))
		if err != nil {
			t.Fatal(err)
		}
		c.in++
		if err := dial(h, target.info()); err == nil {
			c.inOK++
		} else {
			failures[failure(err)]++
		}
		h.Close()
		// The node dials a new peer out.
		other := newHost(t, newKey(t), nil)
		c.out++
		if dial(target.h, peer.AddrInfo{ID: other.ID(), Addrs: other.Addrs()}) == nil {
			c.outOK++
		}
		other.Close()
		maxInbound = max(maxInbound, inboundConns(target.h))
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d identities flooding for %v, each redialling every second:", floodSize, measure)
	for i, c := range windows {
		t.Logf("  %3ds–%3ds: honest dials in %d of %d succeeded; the node's dials out %d of %d",
			i*int(window/time.Second), (i+1)*int(window/time.Second), c.inOK, c.in, c.outOK, c.out)
	}
	t.Logf("  flood: %d connections admitted, %d refused; most inbound seen %d (limit %d)",
		f.connected.Load(), f.refused.Load(), maxInbound, p2p.DefaultMaxConns/2)
	t.Logf("  honest dials in that failed, by cause: %v", failures)
	t.Logf("  the honest peer connected before the flood: %v", target.h.Network().Connectedness(honest.h.ID()))
}

// failure names the cause of a failed dial in a few words.
func failure(err error) string {
	s := err.Error()
	for _, cause := range []string{"resource limit exceeded", "rate limit exceeded", "per ip limit exceeded",
		"context deadline exceeded", "connection reset", "EOF", "gater"} {
		if strings.Contains(s, cause) {
			return cause
		}
	}
	return "other"
}

// The inbound guard closes a penalised peer first, then the newest; the
// peers it closed are refused inbound for a while, but the node can still
// dial them.
func TestInboundGuardOrder(t *testing.T) {
	const scale = 8
	cfg := targetConfig(t, scale, 100*time.Millisecond)
	target := newTarget(t, cfg)
	inboundLimit := p2p.DefaultMaxConns / scale / 2
	low, high := inboundLimit/2, inboundLimit-inboundLimit/8

	var peers []host.Host
	for i := range high - 1 {
		h := newHost(t, newKey(t), nil)
		t.Cleanup(func() { h.Close() })
		if err := dial(h, target.info()); err != nil {
			t.Fatalf("peer %d: %v", i, err)
		}
		peers = append(peers, h)
		waitHeld(t, target.h, h.ID())
	}
	waitPastGrace(t, target.h, cfg.InboundGrace)
	cfg.Scores.Penalise(peers[0].ID(), "bad request")
	last := newHost(t, newKey(t), nil)
	t.Cleanup(func() { last.Close() })
	if err := dial(last, target.info()); err != nil {
		t.Fatal(err)
	}
	peers = append(peers, last) // high inbound connections: the guard trims to low
	closed := func(i int) bool { return target.h.Network().Connectedness(peers[i].ID()) != network.Connected }
	eventually(t, 10*time.Second, "the guard trims to its low watermark", func() bool {
		return inboundConns(target.h) <= low
	})
	var got []bool
	for i := range peers {
		got = append(got, closed(i))
	}
	// Closed: the penalised peer, then the newest (the last, once its
	// grace period is over); kept: the oldest unpenalised ones.
	want := make([]bool, len(peers))
	want[0] = true
	for i := len(peers) - (high - low - 1); i < len(peers); i++ {
		want[i] = true
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("closed peers %v, want %v (the penalised one, then the newest)", got, want)
		}
	}
	eventually(t, 10*time.Second, "the closed peer sees its connection closed", func() bool {
		return peers[0].Network().Connectedness(target.h.ID()) != network.Connected
	})
	// With early muxer negotiation the dialler may see its dial succeed
	// before the node refuses the connection.
	dial(peers[0], target.info())
	eventually(t, 10*time.Second, "the node refuses the peer its guard closed when it dials in again", func() bool {
		return peers[0].Network().Connectedness(target.h.ID()) != network.Connected &&
			target.h.Network().Connectedness(peers[0].ID()) != network.Connected
	})
	if err := dial(target.h, peer.AddrInfo{ID: peers[0].ID(), Addrs: peers[0].Addrs()}); err != nil {
		t.Errorf("the node cannot dial a peer its guard closed: %v", err)
	}
}

// A peer that served this node keeps its connection when the inbound guard
// trims: it answered a fetch with an object the node asked for and
// verified, earned credit in the node's Scores, and ranks above peers as
// old that did nothing. Without the credit, the newer of two equals would
// be closed first, and that is the useful one.
func TestInboundGuardKeepsPeersThatServed(t *testing.T) {
	const scale = 8
	cfg := targetConfig(t, scale, 100*time.Millisecond)
	target := newTarget(t, cfg)
	inboundLimit := p2p.DefaultMaxConns / scale / 2
	low, high := inboundLimit/2, inboundLimit-inboundLimit/8

	dialIn := func() host.Host {
		h := newHost(t, newKey(t), nil)
		t.Cleanup(func() { h.Close() })
		if err := dial(h, target.info()); err != nil {
			t.Fatal(err)
		}
		waitHeld(t, target.h, h.ID())
		return h
	}
	// The oldest peers, then an unscored one and, just after it, one that
	// will serve the node: the two are the newest of the kept ones.
	var older []host.Host
	for range high - 3 {
		older = append(older, dialIn())
	}
	unscored := dialIn()
	useful := dialIn()

	// The useful peer serves an object from its store; the node fetches it
	// with the client the daemon uses, stores it, and credits the peer as
	// the daemon does for what it stored (SPEC.md §7.3).
	st := storetest.Open(t)
	obj := storetest.NewDataset(t, storetest.Key(t, "publisher"), "served")
	storetest.MustPut(t, st, obj)
	fetch.NewServer(netA, storeEnvelopes{st}, fetch.ServerOptions{}).Register(useful)
	client := fetch.NewClient(target.h, netA, fetch.ClientOptions{Penalty: cfg.Scores.Penalise})
	objs, _, err := client.Objects(context.Background(), useful.ID(), []protocol.ID{obj.ID})
	if err != nil || len(objs) != 1 {
		t.Fatalf("fetch from the useful peer: %d objects, %v", len(objs), err)
	}
	storetest.MustPut(t, storetest.Open(t), objs...)
	cfg.Scores.Reward(useful.ID())
	if got := cfg.Scores.Credit(useful.ID()); math.Abs(got-p2p.DefaultReward) > 0.01 { // decayed a little since
		t.Fatalf("the useful peer's credit is %g, want one reward, %g", got, p2p.DefaultReward)
	}
	if got := cfg.Scores.Credit(unscored.ID()); got != 0 {
		t.Fatalf("the unscored peer has credit %g", got)
	}
	eventually(t, 10*time.Second, "the credit in the connection manager's tag", func() bool {
		ti := target.h.ConnManager().GetTagInfo(useful.ID())
		return ti != nil && ti.Value > 0
	})
	if c := target.h.Network().ConnsToPeer(useful.ID()); len(c) != 1 || c[0].Stat().Direction != network.DirInbound {
		t.Fatalf("the useful peer's connections: %v, want one inbound", c)
	}

	waitPastGrace(t, target.h, cfg.InboundGrace)
	last := dialIn() // high inbound connections: the guard trims to low
	eventually(t, 10*time.Second, "the guard trims to its low watermark", func() bool {
		return inboundConns(target.h) <= low
	})
	connected := func(h host.Host) bool { return target.h.Network().Connectedness(h.ID()) == network.Connected }
	if !connected(useful) {
		t.Errorf("the peer that served the node was closed (credit %g)", cfg.Scores.Credit(useful.ID()))
	}
	if connected(unscored) {
		t.Errorf("the unscored peer as old as the useful one was kept")
	}
	if connected(last) {
		t.Errorf("the newest peer was kept")
	}
	// Kept: the useful peer and the oldest; closed: the newest, the
	// unscored one, and the newest of the older ones.
	for i, h := range older {
		if want := i < low-1; connected(h) != want {
			t.Errorf("old peer %d of %d: connected %v, want %v", i, len(older), connected(h), want)
		}
	}
}

// storeEnvelopes is a fetch source that serves the objects of a store and
// lists nothing.
type storeEnvelopes struct{ st *store.Store }

var _ fetch.Source = storeEnvelopes{}

func (s storeEnvelopes) Envelope(id protocol.ID) ([]byte, error) {
	env, err := s.st.Envelope(id)
	if err != nil {
		return nil, err
	}
	return env.Encode(), nil
}

func (storeEnvelopes) ClaimsAbout(_, _ protocol.ID, _ int) ([]protocol.ID, bool, error) {
	return nil, false, nil
}

func (storeEnvelopes) DatasetsWithFile(_ protocol.Digest, _ protocol.ID, _ int) ([]fetch.DatasetPaths, bool, error) {
	return nil, false, nil
}

func (storeEnvelopes) Chunk(id manifest.ChunkID) ([]byte, error) {
	return nil, protocol.E("chunk", protocol.NotFound, "%s is not here", id)
}

func (storeEnvelopes) Rotations(_ protocol.DID, _ protocol.ID, _ int) ([]protocol.ID, bool, error) {
	return nil, false, nil
}

func (storeEnvelopes) DerivedFrom(_, _ protocol.ID, _ int) ([]protocol.ID, bool, error) {
	return nil, false, nil
}

func (storeEnvelopes) GovNode(protocol.ID) ([]byte, error) {
	return nil, protocol.E("gov node", protocol.NotFound, "no governance node here")
}
