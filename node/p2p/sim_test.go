package p2p_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/routing"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/commons-p2p/commons/node/p2p"
)

// TestDHTScale measures how lookups grow with the size of a commons: for
// each size it builds a network of that many DHT nodes in one process
// (libp2p's mocknet: in-memory links with a fixed one-way latency), lets
// every node refresh its routing table, then has random nodes provide
// random keys and other random nodes look them up with FindProviders.
//
//	COMMONS_LONG=1 go test -run TestDHTScale -v -timeout 60m ./node/p2p/
//
// COMMONS_SIM_SIZES (default 50,100,200,500), COMMONS_SIM_LOOKUPS (100 per
// size) and COMMONS_SIM_LATENCY (one-way, default 10ms) change it.
//
// hops is the depth, in the lookup's own tree, of the first node queried
// that holds the record: 1 for a node of the finder's routing table, 2 for
// one that a node at depth 1 named, and so on; 0 when the finder holds the
// record itself (local counts those lookups). queried is the peers the
// lookup sent a request to; holders the nodes that stored the record.
func TestDHTScale(t *testing.T) {
	if !longTests() {
		t.Skip("a simulation of many minutes: COMMONS_LONG=1")
	}
	sizes := envInts(t, "COMMONS_SIM_SIZES", []int{50, 100, 200, 500})
	lookups := envInts(t, "COMMONS_SIM_LOOKUPS", []int{100})[0]
	latency := 10 * time.Millisecond
	if s := os.Getenv("COMMONS_SIM_LATENCY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("COMMONS_SIM_LATENCY=%q: %v", s, err)
		}
		latency = d
	}
	var rows []string
	for _, n := range sizes {
		rows = append(rows, simulate(t, n, lookups, latency))
		runtime.GC()
	}
	t.Logf("%d lookups per size, one-way link latency %v, FindProviders(max 1) from a random node "+
		"for a key provided by another\n"+
		"  nodes  setup  rt-size  holders  local  hops p50/p95/max  queried p50/p95/max  latency ms p50/p95/max    found  heap MiB\n%s",
		lookups, latency, strings.Join(rows, "\n"))
}

func envInts(t *testing.T, name string, def []int) []int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want positive integers separated by commas", name, s)
		}
		out = append(out, n)
	}
	return out
}

type simNode struct {
	id peer.ID
	d  *dht.IpfsDHT
}

// simulate builds a network of n nodes, runs the lookups and returns a row
// of the table.
func simulate(t *testing.T, n, lookups int, latency time.Duration) string {
	start := time.Now()
	mn := mocknet.New()
	defer mn.Close()
	nodes := make([]simNode, n)
	for i := range nodes {
		h, err := mn.GenPeer()
		if err != nil {
			t.Fatal(err)
		}
		d, err := p2p.NewDHT(h, netA, p2p.DHTOptions{})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = simNode{h.ID(), d}
	}
	defer func() {
		for _, nd := range nodes {
			nd.d.Close()
		}
	}()
	if err := mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	// Each node joins through up to three earlier ones, as nodes of a
	// commons started one after the other would.
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	for i := 1; i < n; i++ {
		for range min(i, 3) {
			if _, err := mn.ConnectPeers(nodes[i].id, nodes[rng.IntN(i)].id); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for i, nd := range nodes {
		if err := p2p.WaitForPeers(ctx, nd.d); err != nil {
			t.Fatalf("node %d of %d: %v", i, n, err)
		}
	}
	// Every node refreshes its routing table, a few at a time, as each
	// would when it starts; then the latency is switched on.
	refresh(nodes, 8)
	for _, byPeer := range mn.Links() {
		for _, links := range byPeer {
			for l := range links {
				l.SetOptions(mocknet.LinkOptions{Latency: latency})
			}
		}
	}
	rtSize := 0
	for _, nd := range nodes {
		rtSize += nd.d.RoutingTable().Size()
	}
	setup := time.Since(start)

	var hops, queried []int
	var lat []time.Duration
	holders, found, local := 0, 0, 0
	for range lookups {
		p, f := rng.IntN(n), rng.IntN(n-1)
		if f >= p {
			f++
		}
		key := randomKey(t)
		if err := p2p.Provide(ctx, nodes[p].d, key); err != nil {
			t.Fatal(err)
		}
		hold, err := waitHolders(ctx, nodes, p, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(hold) == 0 {
			t.Errorf("%d nodes: node %d provided %s and no other node holds the record", n, p, key)
		}
		holders += len(hold)
		tr := traceLookup(ctx, nodes[f], key, nodes[p].id, hold)
		if tr.found {
			found++
		} else {
			t.Errorf("%d nodes: node %d did not find node %d, the provider of %s (%d holders, %d peers queried; err %v)",
				n, f, p, key, len(hold), tr.queried, tr.err)
		}
		if hold[nodes[f].id] {
			local++
		}
		hops = append(hops, tr.hops)
		queried = append(queried, tr.queried)
		lat = append(lat, tr.latency)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return fmt.Sprintf("  %5d  %4.0fs  %7.1f  %7.1f  %5d  %14s  %19s  %22s  %7s  %8.0f",
		n, setup.Seconds(), float64(rtSize)/float64(n), float64(holders)/float64(lookups), local,
		pct(hops), pct(queried), pctDur(lat), fmt.Sprintf("%d/%d", found, lookups), float64(ms.HeapInuse)/(1<<20))
}

// refresh refreshes every node's routing table, k at a time.
func refresh(nodes []simNode, k int) {
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	for _, nd := range nodes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			<-nd.d.RefreshRoutingTable()
		})
	}
	wg.Wait()
}

// waitHolders waits until the nodes the provider gave the record to have
// stored it, and returns them, the provider excepted. ADD_PROVIDER has no
// answer, but a node handles the messages of a DHT stream in order, and a
// ping goes on the stream of the messages before it: once every peer of
// the provider answered a ping, every record it gave is stored.
func waitHolders(ctx context.Context, nodes []simNode, provider int, key cid.Cid) (map[peer.ID]bool, error) {
	d := nodes[provider].d
	sem := make(chan struct{}, 64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for _, p := range d.Host().Network().Peers() {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := d.Ping(ctx, p); err != nil {
				select {
				case errs <- fmt.Errorf("ping %s from the provider: %w", p, err):
				default:
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	hold := map[peer.ID]bool{}
	for i, nd := range nodes {
		if i == provider {
			continue
		}
		if provs, _ := nd.d.ProviderStore().GetProviders(ctx, key.Hash()); len(provs) > 0 {
			hold[nd.id] = true
		}
	}
	return hold, nil
}

type lookupTrace struct {
	found   bool
	hops    int // -1: no holder was queried
	queried int
	latency time.Duration
	err     error // FindProviders' error
}

// traceLookup runs FindProviders(max 1) of key from nd and follows its
// query events to tell how deep in the lookup the first holder was.
func traceLookup(ctx context.Context, nd simNode, key cid.Cid, provider peer.ID, holders map[peer.ID]bool) lookupTrace {
	if holders[nd.id] {
		start := time.Now()
		provs, err := p2p.FindProviders(ctx, nd.d, key, 1)
		return lookupTrace{found: hasProvider(provs, provider), latency: time.Since(start), err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ctx, events := routing.RegisterForQueryEvents(ctx)
	tr := lookupTrace{hops: -1}
	var wg sync.WaitGroup
	wg.Go(func() {
		// Events come in the order the lookup made them: a peer is named
		// in a response before anyone queries it.
		depth := map[peer.ID]int{}
		for ev := range events {
			switch ev.Type {
			case routing.SendingQuery:
				tr.queried++
				if _, ok := depth[ev.ID]; !ok {
					depth[ev.ID] = 1 // from the finder's routing table
				}
				if holders[ev.ID] && (tr.hops < 0 || depth[ev.ID] < tr.hops) {
					tr.hops = depth[ev.ID]
				}
			case routing.PeerResponse:
				for _, ai := range ev.Responses {
					if _, ok := depth[ai.ID]; !ok {
						depth[ai.ID] = depth[ev.ID] + 1
					}
				}
			}
		}
	})
	start := time.Now()
	provs, err := p2p.FindProviders(ctx, nd.d, key, 1)
	tr.latency = time.Since(start)
	cancel()
	wg.Wait()
	tr.found, tr.err = hasProvider(provs, provider), err
	return tr
}

func pct(v []int) string {
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("%d/%d/%d", s[len(s)/2], s[len(s)*95/100], s[len(s)-1])
}

func pctDur(v []time.Duration) string {
	s := slices.Clone(v)
	slices.Sort(s)
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 0, 64) }
	return ms(s[len(s)/2]) + "/" + ms(s[len(s)*95/100]) + "/" + ms(s[len(s)-1])
}
