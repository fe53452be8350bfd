package p2p_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// A swarm of ten bootstrapped as a line: keys provided on the first node
// are found from the last, for each kind of key; claims about a subject
// and the subject itself are separate records.
func TestLineFindsProvider(t *testing.T) {
	nodes := newLine(t, 10, nodeConfig{})
	first, middle, last := nodes[0], nodes[5], nodes[len(nodes)-1]
	subject := protocol.ObjectID([]byte(`{"a dataset":1}`))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, tc := range []struct {
		name string
		key  cid.Cid
		by   *testNode
	}{
		{"object", protocol.ObjectKey(subject), middle},
		{"file", protocol.FileKey(protocol.SumDigest([]byte("hello\n"))), first},
		{"claims about", protocol.ClaimsAboutKey(subject), first},
	} {
		if err := p2p.Provide(ctx, tc.by.d, tc.key); err != nil {
			t.Fatalf("provide %s key: %v", tc.name, err)
		}
		provs := findEventually(t, last, tc.key, tc.by.h.ID())
		if len(provs) != 1 || provs[0].ID != tc.by.h.ID() {
			t.Errorf("%s key %s: providers %v, want only %s", tc.name, tc.key, provs, tc.by.h.ID())
			continue
		}
		if len(provs[0].Addrs) == 0 {
			t.Errorf("%s key: provider without addresses", tc.name)
		}
		// The provider's addresses are enough to reach it.
		if err := last.h.Connect(ctx, provs[0]); err != nil {
			t.Errorf("%s key: connect to provider: %v", tc.name, err)
		}
	}
	if provs, _ := findProviders(t, last, randomKey(t), 0); len(provs) != 0 {
		t.Errorf("a key no one provided has providers %v", provs)
	}
}

// With buckets of three (records on the three nodes closest to a key) a
// swarm of ten behaves like a large one: the last node does not hold the
// record and must walk the DHT to the nodes that do.
func TestLineLookupWalks(t *testing.T) {
	const n = 10
	nodes := newLine(t, n, nodeConfig{dht: p2p.DHTOptions{Extra: []dht.Option{dht.BucketSize(3)}}})
	first, last := nodes[0], nodes[n-1]
	walked := 0
	for range 10 {
		subject := protocol.ObjectID([]byte(randomKey(t).String()))
		key := protocol.ClaimsAboutKey(subject)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := p2p.Provide(ctx, first.d, key)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		// ADD_PROVIDER is a message without an answer: Provide returns
		// before the records are stored, and every record it gave is
		// stored once the peers have handled what came before a ping.
		first.delivered(t)
		holders := 0
		for _, nd := range nodes[1:] {
			if nd.holds(t, key) {
				holders++
			}
		}
		if holders == 0 {
			t.Fatalf("key %s: no node holds the record", key)
		}
		if h := holders; h > 3 {
			t.Errorf("key %s: %d nodes hold the record, want at most 3", key, h)
		}
		if last.holds(t, key) {
			continue // found without a lookup: try another key
		}
		provs, queried := findProviders(t, last, key, 1)
		if !hasProvider(provs, first.h.ID()) {
			t.Fatalf("key %s: providers %v, want node 0", key, provs)
		}
		if queried == 0 {
			t.Errorf("key %s found without querying a peer", key)
		}
		t.Logf("key %s: %d peers queried", key, queried)
		walked++
	}
	if walked == 0 {
		t.Fatal("the last node held every record: no lookup was tested")
	}
}

// Two commons, A and B, with hosts connected across them: B's nodes never
// put A's nodes in their routing tables, and a record on A is not found
// from B.
func TestNetworksApart(t *testing.T) {
	a := newLine(t, 3, nodeConfig{network: testNetwork("A")})
	b := newLine(t, 3, nodeConfig{network: testNetwork("B")})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range a {
		if err := b[i].h.Connect(ctx, a[i].info()); err != nil {
			t.Fatalf("connect B%d to A%d: %v", i, i, err)
		}
	}
	key := randomKey(t)
	if err := p2p.Provide(ctx, a[0].d, key); err != nil {
		t.Fatal(err)
	}
	if provs := findEventually(t, a[2], key, a[0].h.ID()); !hasProvider(provs, a[0].h.ID()) {
		t.Fatalf("A cannot find its own record: %v", provs)
	}
	if provs, _ := findProviders(t, b[0], key, 0); len(provs) != 0 {
		t.Errorf("B found A's record: %v", provs)
	}
	inA := map[peer.ID]bool{}
	for _, n := range a {
		inA[n.h.ID()] = true
	}
	for i, n := range b {
		for _, p := range n.d.RoutingTable().ListPeers() {
			if inA[p] {
				t.Errorf("B%d has A's node %s in its routing table", i, p)
			}
		}
		if n.h.Network().Connectedness(a[i].h.ID()) != network.Connected {
			t.Errorf("B%d is not connected to A%d: the test shows nothing", i, i)
		}
	}
}

func TestLoneNodeCannotProvide(t *testing.T) {
	n := newNode(t, nodeConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p2p.Provide(ctx, n.d, randomKey(t))
	if !errors.Is(err, p2p.ErrNoPeers) || !protocol.IsKind(err, protocol.Transient) {
		t.Errorf("provide on a lone node: %v, want ErrNoPeers (transient)", err)
	}
	_, err = p2p.FindProviders(ctx, n.d, randomKey(t), 1)
	if !errors.Is(err, p2p.ErrNoPeers) {
		t.Errorf("find on a lone node: %v, want ErrNoPeers", err)
	}
	if _, err := p2p.NewDHT(n.h, protocol.NetworkID{}, p2p.DHTOptions{}); err == nil {
		t.Error("NewDHT without a network ID succeeded")
	}
}

// TestLoneNodeProvidesOnceJoined: a key provided while a node has no peer
// is refused (ErrNoPeers, retried later) but the node holds its own record
// at once, so that the first peer to join finds it there without waiting
// for the retry.
func TestLoneNodeProvidesOnceJoined(t *testing.T) {
	lone := newNode(t, nodeConfig{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	key := randomKey(t)
	if err := p2p.Provide(ctx, lone.d, key); !errors.Is(err, p2p.ErrNoPeers) {
		t.Fatalf("provide on a lone node: %v, want ErrNoPeers", err)
	}
	joiner := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{{ID: lone.h.ID(), Addrs: lone.h.Addrs()}}}})
	if err := p2p.WaitForPeers(ctx, joiner.d); err != nil {
		t.Fatal(err)
	}
	found, err := p2p.FindProviders(ctx, joiner.d, key, 1)
	if err != nil || len(found) != 1 || found[0].ID != lone.h.ID() {
		t.Fatalf("the joiner found %v, %v; want the lone node, which provided the key before it had peers", found, err)
	}
}

// TestRejoinLateBootstrap: nodes started before their bootstrap peers —
// a line started from its far end — end up in one network, not in groups
// of their own.
func TestRejoinLateBootstrap(t *testing.T) {
	const n = 4
	keys := make([]*protocol.Key, n)
	addrs := make([]peer.AddrInfo, n)
	for i := range keys {
		keys[i] = newKey(t)
		h := newHost(t, keys[i], nil) // only to pick a free port for node i
		addrs[i] = peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}
		h.Close()
	}
	nodes := make([]*testNode, n)
	for i := n - 1; i >= 0; i-- {
		cfg := nodeConfig{key: keys[i]}
		if i > 0 {
			cfg.dht = p2p.DHTOptions{Bootstrap: []peer.AddrInfo{addrs[i-1]}, RejoinIdle: 500 * time.Millisecond}
		}
		h, err := p2p.NewHost(p2p.HostConfig{Key: keys[i], Listen: []string{addrs[i].Addrs[0].String()}})
		if err != nil {
			t.Skipf("port of node %d taken meanwhile: %v", i, err)
		}
		d, err := p2p.NewDHT(h, netA, cfg.dht)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &testNode{key: keys[i], h: h, d: d}
		t.Cleanup(nodes[i].stop)
		time.Sleep(200 * time.Millisecond) // each starts after the one that bootstraps to it has given up once
	}
	key := randomKey(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := p2p.WaitForPeers(ctx, nodes[0].d); err != nil {
		t.Fatal(err)
	}
	if err := p2p.Provide(ctx, nodes[0].d, key); err != nil {
		t.Fatal(err)
	}
	for {
		found, _ := p2p.FindProviders(ctx, nodes[n-1].d, key, 1)
		if len(found) == 1 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the far end never found what the first node announced: the line stayed in groups (tables %d %d %d %d)",
				nodes[0].d.RoutingTable().Size(), nodes[1].d.RoutingTable().Size(), nodes[2].d.RoutingTable().Size(), nodes[3].d.RoutingTable().Size())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
