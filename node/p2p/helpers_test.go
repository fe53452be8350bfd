package p2p_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	"github.com/libp2p/go-libp2p/core/routing"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// longTests reports whether the measurements that take minutes run:
// COMMONS_LONG=1.
func longTests() bool { return os.Getenv("COMMONS_LONG") == "1" }

// testNetwork is the network ID of a genesis that is not one: NewDHT needs
// only the ID.
func testNetwork(name string) protocol.NetworkID { return protocol.NetworkIDOf([]byte(name)) }

var netA = testNetwork("network A")

// testNode is a host and its DHT on loopback.
type testNode struct {
	key  *protocol.Key
	h    host.Host
	d    *dht.IpfsDHT
	once sync.Once
}

// nodeConfig says how to make a testNode; the zero value is a node of
// netA with no swarm key and a fresh key.
type nodeConfig struct {
	network  protocol.NetworkID
	key      *protocol.Key
	swarmKey pnet.PSK
	dht      p2p.DHTOptions
}

func newKey(t testing.TB) *protocol.Key {
	t.Helper()
	k, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newHost(t testing.TB, key *protocol.Key, swarmKey pnet.PSK) host.Host {
	t.Helper()
	h, err := p2p.NewHost(p2p.HostConfig{Key: key, Listen: []string{"/ip4/127.0.0.1/tcp/0"}, SwarmKey: swarmKey})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newNode starts a node and closes it when the test ends (or earlier,
// through stop).
func newNode(t testing.TB, cfg nodeConfig) *testNode {
	t.Helper()
	if cfg.network.IsZero() {
		cfg.network = netA
	}
	if cfg.key == nil {
		cfg.key = newKey(t)
	}
	h := newHost(t, cfg.key, cfg.swarmKey)
	d, err := p2p.NewDHT(h, cfg.network, cfg.dht)
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	n := &testNode{key: cfg.key, h: h, d: d}
	t.Cleanup(n.stop)
	return n
}

func (n *testNode) stop() {
	n.once.Do(func() {
		n.d.Close()
		n.h.Close()
	})
}

func (n *testNode) info() peer.AddrInfo { return peer.AddrInfo{ID: n.h.ID(), Addrs: n.h.Addrs()} }

// newLine starts n nodes, node i bootstrapped to node i-1 only, and waits
// until every routing table holds a peer.
func newLine(t testing.TB, n int, cfg nodeConfig) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	for i := range nodes {
		c := cfg
		c.key = nil
		if i > 0 {
			c.dht.Bootstrap = []peer.AddrInfo{nodes[i-1].info()}
		}
		nodes[i] = newNode(t, c)
	}
	waitRouting(t, nodes)
	return nodes
}

func waitRouting(t testing.TB, nodes []*testNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, n := range nodes {
		if err := p2p.WaitForPeers(ctx, n.d); err != nil {
			var prev string
			if i > 0 {
				p := nodes[i-1].h.ID()
				protos, _ := n.h.Peerstore().GetProtocols(p)
				prev = fmt.Sprintf("; to node %d: %v, protocols %v", i-1, n.h.Network().Connectedness(p), protos)
			}
			t.Fatalf("node %d: %v (peers %v%s)", i, err, n.h.Network().Peers(), prev)
		}
	}
}

// randomKey is a key no one has announced: the file key of 32 random bytes.
func randomKey(t testing.TB) cid.Cid {
	t.Helper()
	var b [32]byte
	rand.Read(b[:])
	return protocol.FileKey(protocol.SumDigest(b[:]))
}

// holds reports whether n keeps a live provider record for key in its own
// provider store, so that finding key there needs no lookup.
func (n *testNode) holds(t testing.TB, key cid.Cid) bool {
	t.Helper()
	provs, err := n.d.ProviderStore().GetProviders(context.Background(), key.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return len(provs) > 0
}

// delivered returns once every peer n is connected to has handled what n's
// DHT sent it: ADD_PROVIDER has no answer, but a peer handles the messages
// of a DHT stream in order, and a ping goes on one of the streams of the
// messages n sent the peer before it (as many pings, all of them).
func (n *testNode) delivered(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	peers := n.h.Network().Peers()
	// The messages to a peer went out on up to MaxIdleDHTStreams
	// streams: as many pings at once take each of them.
	const m = p2p.MaxIdleDHTStreams
	errs := make([]error, len(peers)*m)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = n.d.Ping(ctx, peers[i/m]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ping %s: %v", peers[i/m], err)
		}
	}
}

// findProviders looks key up from n and returns the providers and the
// number of peers n queried on the way.
func findProviders(t testing.TB, n *testNode, key cid.Cid, max int) ([]peer.AddrInfo, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx, events := routing.RegisterForQueryEvents(ctx)
	var wg sync.WaitGroup
	queried := 0
	wg.Go(func() {
		for ev := range events {
			if ev.Type == routing.SendingQuery {
				queried++
			}
		}
	})
	provs, err := p2p.FindProviders(ctx, n.d, key, max)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("find providers of %s: %v", key, err)
	}
	return provs, queried
}

func hasProvider(provs []peer.AddrInfo, id peer.ID) bool {
	for _, p := range provs {
		if p.ID == id {
			return true
		}
	}
	return false
}

// eventually polls cond every 100 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keyList is a KeySource over a fixed list.
func keyList(keys ...cid.Cid) p2p.KeySource {
	return func(yield func(cid.Cid) bool) error {
		for _, k := range keys {
			if !yield(k) {
				return nil
			}
		}
		return nil
	}
}

// findEventually looks key up from n until want is among the providers, for
// up to five seconds: Provide returns before the nodes it gave records to
// have stored them (ADD_PROVIDER has no answer).
func findEventually(t testing.TB, n *testNode, key cid.Cid, want peer.ID) []peer.AddrInfo {
	t.Helper()
	var provs []peer.AddrInfo
	deadline := time.Now().Add(5 * time.Second)
	for {
		provs, _ = findProviders(t, n, key, 0)
		if hasProvider(provs, want) || time.Now().After(deadline) {
			return provs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fakeClock is a clock that moves only when told: Scores and the
// Announcer take its Now, the Announcer its After.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock on by d and fires the timers due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- c.now
	}
	c.timers = kept
}

// pending returns how long from now each waiting timer is due, soonest
// first.
func (c *fakeClock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []time.Duration
	for _, tm := range c.timers {
		ds = append(ds, tm.at.Sub(c.now))
	}
	slices.Sort(ds)
	return ds
}
