package p2p_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// testHeartbeat is the GossipSub heartbeat of the tests: the mesh forms
// within a few of them.
const testHeartbeat = 100 * time.Millisecond

// gossipNode is a host on loopback with its scores and its gossip, joined
// to the announce topic of its network.
type gossipNode struct {
	h      host.Host
	scores *p2p.Scores
	g      *p2p.Gossip
	topic  *p2p.Topic
	got    chan delivery
	seen   atomic.Int32 // messages from others its validator was asked about
	judged atomic.Int32 // of which its validator has answered
}

type delivery struct {
	from peer.ID
	data string
	v    any
}

// gossipConfig says how to make a gossipNode; the zero value is an honest
// node of netA with scores.
type gossipConfig struct {
	network   protocol.NetworkID
	noScores  bool // GossipSub's own scoring alone
	acceptAll bool // a node that validates nothing: it publishes and forwards anything
}

// testValidate is the validator of honest test nodes: a message that
// begins "bad" is invalid, one that begins "later" is ignored; the value
// of any other is its text.
func testValidate(_ context.Context, _ peer.ID, data []byte) (any, error) {
	switch {
	case bytes.HasPrefix(data, []byte("bad")):
		return nil, protocol.E("validate", protocol.Invalid, "a bad message")
	case bytes.HasPrefix(data, []byte("later")):
		return nil, protocol.E("validate", protocol.Transient, "not yet")
	}
	return string(data), nil
}

func newGossipNode(t testing.TB, cfg gossipConfig) *gossipNode {
	t.Helper()
	if cfg.network.IsZero() {
		cfg.network = netA
	}
	n := &gossipNode{got: make(chan delivery, 100)}
	if !cfg.noScores {
		n.scores = newScores(t, p2p.ScoreOptions{})
	}
	h, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Scores: n.scores})
	if err != nil {
		t.Fatal(err)
	}
	n.h = h
	t.Cleanup(func() { h.Close() })
	n.g, err = p2p.NewGossip(context.Background(), h, cfg.network, p2p.GossipOptions{Scores: n.scores, Heartbeat: testHeartbeat})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.g.Close() })
	validate := func(ctx context.Context, from peer.ID, data []byte) (any, error) {
		if from != h.ID() {
			n.seen.Add(1)
			defer n.judged.Add(1)
		}
		if cfg.acceptAll {
			return string(data), nil
		}
		return testValidate(ctx, from, data)
	}
	deliver := func(from peer.ID, data []byte, v any) { n.got <- delivery{from, string(data), v} }
	if n.topic, err = n.g.Join(cfg.network.AnnounceTopic(), validate, deliver); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *gossipNode) connect(t testing.TB, to *gossipNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.h.Connect(ctx, peer.AddrInfo{ID: to.h.ID(), Addrs: to.h.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

func (n *gossipNode) publish(t testing.TB, msg string) {
	t.Helper()
	if err := n.topic.Publish(context.Background(), []byte(msg)); err != nil {
		t.Fatalf("publish %q: %v", msg, err)
	}
}

// receive waits up to five seconds for n's next delivery.
func (n *gossipNode) receive(t testing.TB) delivery {
	t.Helper()
	select {
	case d := <-n.got:
		return d
	case <-time.After(5 * time.Second):
		t.Fatalf("node %s: no message within 5 s", n.h.ID())
		return delivery{}
	}
}

// quiet fails if n has delivered anything not received yet. It waits
// for nothing: a test calls it once an event has shown that what must not
// be delivered would have been by then.
func (n *gossipNode) quiet(t testing.TB) {
	t.Helper()
	select {
	case got := <-n.got:
		t.Errorf("node %s delivered %q from %s", n.h.ID(), got.data, got.from)
	default:
	}
}

// gossipLine starts n nodes, node i connected to node i-1 only, and waits
// until each has its neighbours in its mesh, where what it publishes or
// forwards goes: a message published before may reach no one.
func gossipLine(t testing.TB, n int, cfg func(i int) gossipConfig) []*gossipNode {
	t.Helper()
	nodes := make([]*gossipNode, n)
	for i := range nodes {
		nodes[i] = newGossipNode(t, cfg(i))
		if i > 0 {
			nodes[i].connect(t, nodes[i-1])
		}
	}
	for i := 1; i < n; i++ {
		waitMeshed(t, nodes[i-1], nodes[i])
		waitMeshed(t, nodes[i], nodes[i-1])
	}
	return nodes
}

// waitMeshed waits until a has b in its mesh of the topic. Before any
// message has passed between them, a's GossipSub score of b turns positive
// only for b's time in that mesh, after a second.
func waitMeshed(t testing.TB, a, b *gossipNode) {
	t.Helper()
	eventually(t, 10*time.Second, "a neighbour in the mesh", func() bool { return a.g.PeerScore(b.h.ID()) > 0 })
}

func honest(int) gossipConfig { return gossipConfig{} }

// A message published at one end of a line of five reaches every other
// node, with its validator's value, and not its publisher.
func TestGossipReachesLine(t *testing.T) {
	nodes := gossipLine(t, 5, honest)
	nodes[0].publish(t, "hello from 0")
	for i, n := range nodes[1:] {
		d := n.receive(t)
		if d.data != "hello from 0" || d.v != "hello from 0" {
			t.Errorf("node %d got %q (value %v), want hello from 0", i+1, d.data, d.v)
		}
		if want := nodes[i].h.ID(); d.from != want {
			t.Errorf("node %d got it from %s, want its neighbour %s", i+1, d.from, want)
		}
	}
	nodes[4].publish(t, "hello from 4")
	if d := nodes[0].receive(t); d.data != "hello from 4" {
		t.Errorf("node 0 got %q, want hello from 4", d.data)
	}
	for i, n := range nodes {
		for len(n.got) > 0 {
			if d := <-n.got; (i == 0 && d.data == "hello from 0") || (i == 4 && d.data == "hello from 4") {
				t.Errorf("node %d delivered its own message %q", i, d.data)
			}
		}
	}
}

// An invalid message is rejected by the first honest node: not delivered,
// not forwarded, and its sender penalised. An ignored one is dropped
// without penalty.
func TestGossipInvalidNotForwarded(t *testing.T) {
	nodes := gossipLine(t, 3, func(i int) gossipConfig { return gossipConfig{acceptAll: i == 0} })
	evil, first, second := nodes[0], nodes[1], nodes[2]
	seen, judged := second.seen.Load(), first.judged.Load()

	evil.publish(t, "later, perhaps")
	eventually(t, 5*time.Second, "the first node validates the ignored message", func() bool { return first.judged.Load() == judged+1 })
	if got := first.scores.Score(evil.h.ID()); got != 0 {
		t.Errorf("score of the sender of an ignored message %g, want 0", got)
	}
	evil.publish(t, "bad message")
	eventually(t, 5*time.Second, "the sender of an invalid message is not penalised", func() bool {
		return first.scores.Score(evil.h.ID()) < 0
	})
	eventually(t, 5*time.Second, "GossipSub counts the invalid message against its sender", func() bool {
		return first.g.PeerScore(evil.h.ID()) < -50
	})
	// The first node has dropped both. A message it publishes now goes
	// the way a forwarded one would have gone before it, and one from the
	// second node is delivered the way the dropped ones would have been:
	// once both have arrived, nothing else came first.
	first.publish(t, "from the first")
	second.publish(t, "from the second")
	for _, tc := range []struct {
		n    *gossipNode
		want string
	}{{first, "from the second"}, {second, "from the first"}} {
		if d := tc.n.receive(t); d.data != tc.want {
			t.Errorf("node %s delivered %q, want %q: an invalid or ignored message went through", tc.n.h.ID(), d.data, tc.want)
		}
		tc.n.quiet(t)
	}
	if got := second.seen.Load(); got != seen+1 {
		t.Errorf("the second node was asked about %d more messages, want 1: an invalid or ignored message was forwarded", got-seen)
	}
	if got := second.scores.Score(first.h.ID()); got != 0 {
		t.Errorf("second node's score of the first %g, want 0", got)
	}
}

// Invalid messages lower GossipSub's own score of their sender, without
// Scores.
func TestGossipScoreOfInvalidSender(t *testing.T) {
	nodes := gossipLine(t, 2, func(i int) gossipConfig { return gossipConfig{acceptAll: i == 0, noScores: true} })
	evil, honest := nodes[0], nodes[1]
	for _, m := range []string{"bad 1", "bad 2", "bad 3"} {
		evil.publish(t, m)
	}
	// Two invalid messages cost 50 × 2² in GossipSub's score and put
	// their sender on the gray list: the third may be dropped unjudged.
	eventually(t, 5*time.Second, "GossipSub's score of the sender of invalid messages does not count two of them", func() bool {
		return honest.g.PeerScore(evil.h.ID()) <= -150
	})
	t.Logf("gossip score %g", honest.g.PeerScore(evil.h.ID()))
	honest.quiet(t)
}

// Publish refuses a message over the size limit before GossipSub sees it;
// a message at the limit arrives.
func TestGossipMessageSize(t *testing.T) {
	nodes := gossipLine(t, 2, honest)
	big := bytes.Repeat([]byte("x"), p2p.MaxGossipMessageSize+1)
	err := nodes[0].topic.Publish(context.Background(), big)
	if !protocol.IsKind(err, protocol.TooLarge) || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("publish of %d bytes: %v, want too large", len(big), err)
	}
	if err := nodes[0].topic.Publish(context.Background(), big[:p2p.MaxGossipMessageSize]); err != nil {
		t.Fatal(err)
	}
	if d := nodes[1].receive(t); len(d.data) != p2p.MaxGossipMessageSize {
		t.Errorf("got %d bytes, want %d", len(d.data), p2p.MaxGossipMessageSize)
	}
}

// Publish refuses what its own validator refuses, with the validator's
// error.
func TestGossipPublishValidates(t *testing.T) {
	n := newGossipNode(t, gossipConfig{})
	err := n.topic.Publish(context.Background(), []byte("bad idea"))
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "a bad message") {
		t.Errorf("publish of an invalid message: %v, want the validator's error", err)
	}
	if err := n.topic.Publish(context.Background(), []byte("fine")); err != nil {
		t.Errorf("publish with no peers: %v, want nil (gossip is best effort)", err)
	}
}

// Nodes of two networks, connected, share no topic and no message; nor do
// they mesh with GossipSub of libp2p's default protocols.
func TestGossipNetworksApart(t *testing.T) {
	netB := testNetwork("network B")
	a := newGossipNode(t, gossipConfig{network: netA})
	b := newGossipNode(t, gossipConfig{network: netB})
	a.connect(t, b)

	// A plain GossipSub node on netA's topic name.
	plain := newHost(t, newKey(t), nil)
	defer plain.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps, err := pubsub.NewGossipSub(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ps.Join(netA.AnnounceTopic())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pt.Subscribe(); err != nil {
		t.Fatal(err)
	}
	plainNode := &gossipNode{h: plain}
	a.connect(t, plainNode)

	// A witness of each network, connected last: once a node has
	// delivered its witness's message, published after the others', it
	// has had its chance to deliver theirs.
	wa := newGossipNode(t, gossipConfig{network: netA})
	wb := newGossipNode(t, gossipConfig{network: netB})
	wa.connect(t, a)
	wb.connect(t, b)
	eventually(t, 5*time.Second, "the nodes of the two networks have opened their gossip streams to each other", func() bool {
		return gossipStreams(a.h, b.h.ID()) && gossipStreams(b.h, a.h.ID())
	})
	eventually(t, 5*time.Second, "the plain node and the commons node have identified each other", func() bool {
		pa, _ := plain.Peerstore().GetProtocols(a.h.ID())
		ap, _ := a.h.Peerstore().GetProtocols(plain.ID())
		return len(pa) > 0 && len(ap) > 0
	})
	waitMeshed(t, wa, a)
	waitMeshed(t, wb, b)
	a.publish(t, "to network A")
	b.publish(t, "to network B")
	if err := pt.Publish(ctx, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	wa.publish(t, "witness A")
	wb.publish(t, "witness B")
	for _, tc := range []struct {
		n    *gossipNode
		want string
	}{{a, "witness A"}, {b, "witness B"}} {
		if d := tc.n.receive(t); d.data != tc.want {
			t.Errorf("node %s delivered %q from %s, want only its witness's message", tc.n.h.ID(), d.data, d.from)
		}
		tc.n.quiet(t)
	}
	if p := a.topic.Peers(); !slices.Equal(p, []peer.ID{wa.h.ID()}) {
		t.Errorf("node of network A sees %v on its topic, want its witness alone", p)
	}
	if p := b.topic.Peers(); !slices.Equal(p, []peer.ID{wb.h.ID()}) {
		t.Errorf("node of network B sees %v on its topic, want its witness alone", p)
	}
	if p := pt.ListPeers(); len(p) != 0 {
		t.Errorf("plain GossipSub sees %v on the topic, want no one", p)
	}
	for _, id := range a.h.Mux().Protocols() {
		if strings.HasPrefix(string(id), "/meshsub/") || strings.HasPrefix(string(id), "/floodsub/") {
			t.Errorf("a commons node speaks %s", id)
		}
	}
}

func TestGossipJoin(t *testing.T) {
	n := newGossipNode(t, gossipConfig{})
	ok := func(context.Context, peer.ID, []byte) (any, error) { return nil, nil }
	drop := func(peer.ID, []byte, any) {}
	for _, tc := range []struct {
		name, topic string
		kind        protocol.Kind
	}{
		{"another network's", testNetwork("network B").AnnounceTopic(), protocol.Invalid},
		{"not a commons topic", "blocks", protocol.Invalid},
		{"twice", netA.AnnounceTopic(), protocol.Exists},
	} {
		if _, err := n.g.Join(tc.topic, ok, drop); !protocol.IsKind(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
	if _, err := n.g.Join(netA.GovernanceTopic(), ok, drop); err != nil {
		t.Errorf("governance topic: %v", err)
	}
}

// gossipStreams reports whether h has a gossip stream to p and one from p.
func gossipStreams(h host.Host, p peer.ID) bool {
	var in, out bool
	for _, c := range h.Network().ConnsToPeer(p) {
		for _, st := range c.GetStreams() {
			if st.Protocol() == p2p.GossipProtocolID {
				in = in || st.Stat().Direction == network.DirInbound
				out = out || st.Stat().Direction == network.DirOutbound
			}
		}
	}
	return in && out
}
