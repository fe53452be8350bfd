package sim

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestEventOrder(t *testing.T) {
	var s Sim
	var got []string
	s.At(20, func() { got = append(got, "c") })
	s.At(10, func() {
		got = append(got, "a")
		s.After(0, func() { got = append(got, "b2") }) // same time, scheduled later: after b
	})
	s.At(10, func() { got = append(got, "b") })
	s.At(30, func() {
		got = append(got, "d")
		s.At(5, func() { got = append(got, "e") }) // the past runs now
	})
	s.Run(0)
	if want := []string{"a", "b", "b2", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if s.Now() != 30 {
		t.Fatalf("now %v, want 30", s.Now())
	}
}

func TestRunLimit(t *testing.T) {
	var s Sim
	ran := 0
	for i := 1; i <= 5; i++ {
		s.At(time.Duration(i)*time.Second, func() { ran++ })
	}
	if n := s.Run(3 * time.Second); n != 3 || ran != 3 || s.Pending() != 2 {
		t.Fatalf("ran %d (%d), pending %d; want 3 run, 2 pending", n, ran, s.Pending())
	}
}

// closestByBruteForce sorts every node by XOR distance to key.
func closestByBruteForce(n *Network, key string, k int, online bool) []peer.ID {
	var ids []peer.ID
	for _, node := range n.Nodes {
		if !online || node.Online {
			ids = append(ids, node.ID)
		}
	}
	return kb.SortClosestPeers(ids, kb.ConvertKey(key))[:k]
}

// A closest-peers lookup on a network of 300 nodes finds the K nodes
// closest to the key, as a sort of every node by distance gives them.
func TestLookupFindsClosest(t *testing.T) {
	net, err := Build(Params{N: 300, Seed: 1, RTT: 100 * time.Millisecond, Jitter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		r := newRun(net, uint64(i))
		from, _ := r.pickTwo()
		key := r.newDataset(from).object
		var got []peer.ID
		l := r.newLookup(from, key, false)
		l.done = func(_ *lookup, closest []peer.ID) { got = closest }
		l.run()
		r.sim.Run(0)
		want := closestByBruteForce(net, key, DefaultBucketSize, false)
		// The searcher is never among the peers it is told of.
		want = slices.DeleteFunc(want, func(p peer.ID) bool { return p == net.Nodes[from].ID })
		if !slices.Equal(got[:len(want)], want) {
			t.Fatalf("lookup %d: closest\n%v\nwant\n%v", i, got, want)
		}
		if r.sim.Now() < 100*time.Millisecond {
			t.Fatalf("lookup %d took %v: less than one round trip", i, r.sim.Now())
		}
	}
}

// With a fifth of the nodes down, a lookup still returns the closest
// online nodes.
func TestLookupAroundOfflineNodes(t *testing.T) {
	net, err := Build(Params{N: 300, Seed: 2, RTT: 50 * time.Millisecond, Offline: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(net, 7)
	from, _ := r.pickTwo()
	key := r.newDataset(from).object
	var got []peer.ID
	l := r.newLookup(from, key, false)
	l.done = func(_ *lookup, closest []peer.ID) { got = closest }
	l.run()
	r.sim.Run(0)
	want := closestByBruteForce(net, key, 5, true)
	for _, p := range want {
		if p != net.Nodes[from].ID && !slices.Contains(got, p) {
			t.Fatalf("closest online node %s missing from %v", p, got)
		}
	}
}

// Routing tables are kbucket's: every peer of a node's bucket cpl shares
// exactly cpl leading bits with it, and no bucket holds more than K.
func TestRoutingTables(t *testing.T) {
	net, err := Build(Params{N: 2000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range net.Nodes[:50] {
		counts := map[int]int{}
		for _, p := range n.RT.ListPeers() {
			counts[kb.CommonPrefixLen(n.Kad, kb.ConvertPeerID(p))]++
		}
		for cpl, c := range counts {
			if c > DefaultBucketSize && cpl < len(counts)-1 {
				t.Fatalf("node %d: %d peers at cpl %d", n.Index, c, cpl)
			}
		}
		if n.RT.Size() < 5*DefaultBucketSize {
			t.Fatalf("node %d: routing table of %d peers in 2000 nodes", n.Index, n.RT.Size())
		}
		// Its closest nodes are all in its table.
		want := kb.SortClosestPeers(idsBut(net, n), n.Kad)[:10]
		for _, p := range want {
			if n.RT.Find(p) == "" {
				t.Fatalf("node %d lacks its close neighbour %s", n.Index, p)
			}
		}
	}
}

func idsBut(net *Network, n *Node) []peer.ID {
	var out []peer.ID
	for _, m := range net.Nodes {
		if m != n {
			out = append(out, m.ID)
		}
	}
	return out
}

// An attribution of a dataset never seen finds its publisher through the
// providers' records and fetches it.
func TestAttributionFindsPublisher(t *testing.T) {
	net, err := Build(Params{N: 500, Seed: 4, RTT: 100 * time.Millisecond, Jitter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		a := net.Attribution(i, AttributionOptions{})
		if !a.Found || !a.EndToEndFound {
			t.Fatalf("attribution %d: found %v, end to end %v", i, a.Found, a.EndToEndFound)
		}
		if a.Hops < 0 || a.Requests < DefaultBucketSize {
			t.Fatalf("attribution %d: %d hops, %d requests", i, a.Hops, a.Requests)
		}
		// a lookup is at least a round trip; the fetch from the
		// publisher another, and a dial
		if a.Query < 200*time.Millisecond {
			t.Fatalf("attribution %d took %v", i, a.Query)
		}
	}
}

// The same seed gives the same network and the same figures; another
// seed, others.
func TestDeterministic(t *testing.T) {
	p := Params{N: 400, Seed: 5, RTT: 100 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.01, Offline: 0.1}
	figures := func(p Params) ([]Attribution, []Gossip, []peer.ID) {
		net, err := Build(p)
		if err != nil {
			t.Fatal(err)
		}
		var as []Attribution
		var gs []Gossip
		for i := range 5 {
			as = append(as, net.Attribution(i, AttributionOptions{}))
			gs = append(gs, net.Gossip(i, 5*time.Second))
		}
		return as, gs, net.Nodes[7].RT.ListPeers()
	}
	a1, g1, rt1 := figures(p)
	a2, g2, rt2 := figures(p)
	if !slices.Equal(a1, a2) || !slices.EqualFunc(g1, g2, gossipEqual) || !slices.Equal(rt1, rt2) {
		t.Fatal("two runs of one seed differ")
	}
	// So with the old model beside the new, and the announce topic on.
	net, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	o := AttributionOptions{Announce: []time.Duration{150 * time.Millisecond, 300 * time.Millisecond}}
	for i := range 3 {
		for _, n := range []*Network{net, net.Old()} {
			if x, y := n.Attribution(i, o), n.Attribution(i, o); x != y {
				t.Fatalf("attribution %d, one stream per peer %v: two runs of one seed differ", i, n.P.OneStreamPerPeer)
			}
		}
	}
	p.Seed = 6
	a3, _, _ := figures(p)
	if slices.Equal(a1, a3) {
		t.Fatal("two seeds give the same figures")
	}
	// So with measured hops on cores shared with other work.
	p.Cores, p.Background, p.HopCPU = 2, 3.5, 300*time.Microsecond
	p.HopCosts = []time.Duration{200 * time.Microsecond, 700 * time.Microsecond, 2 * time.Millisecond}
	a1, g1, _ = figures(p)
	a2, g2, _ = figures(p)
	if !slices.Equal(a1, a2) || !slices.EqualFunc(g1, g2, gossipEqual) {
		t.Fatal("two runs of one seed on shared cores differ")
	}
}

func gossipEqual(a, b Gossip) bool {
	return slices.Equal(a.Delivered, b.Delivered) && a.Online == b.Online && a.Messages == b.Messages
}

// Gossip reaches every online node, through the mesh first: with no
// loss, within a few hops' time.
func TestGossipDelivers(t *testing.T) {
	net, err := Build(Params{N: 1000, Seed: 8, RTT: 100 * time.Millisecond, Offline: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	g := net.Gossip(0, 10*time.Second)
	if g.Complete() != 1 {
		t.Fatalf("delivered to %d of %d online nodes", len(g.Delivered), g.Online)
	}
	if g.Last > 2*time.Second || g.Last < 50*time.Millisecond {
		t.Fatalf("last delivery at %v", g.Last)
	}
}

func TestPrefixRange(t *testing.T) {
	net, err := Build(Params{N: 500, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(net.Nodes)
	slices.SortFunc(sorted, func(a, b *Node) int { return bytes.Compare(a.Kad, b.Kad) })
	id := net.Nodes[3].Kad
	for cpl := range 6 {
		lo, hi := prefixRange(sorted, id, cpl, true)
		for i, n := range sorted {
			in := i >= lo && i < hi
			if got := kb.CommonPrefixLen(id, n.Kad) == cpl; got != in {
				t.Fatalf("cpl %d: node %d in range %v, has cpl %d", cpl, i, in, kb.CommonPrefixLen(id, n.Kad))
			}
		}
	}
}

// Requests from one node to one peer go at once, each on a stream of its
// own, as the daemon's DHT sender sends them: three lookups at once on a
// network of two take one round trip, as one lookup does. With kad-dht's
// own sender (OneStreamPerPeer) they went one at a time: three round
// trips.
func TestRequestsToOnePeerAtOnce(t *testing.T) {
	const rtt = 100 * time.Millisecond
	p := Params{N: 2, Seed: 10, RTT: rtt}
	for _, c := range []struct {
		p     Params
		old   string
		three time.Duration
	}{{p, "now", rtt}, {p.Old(), "one stream per peer", 3 * rtt}} {
		net, err := Build(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := net.Lookups(0, 1); got != rtt {
			t.Fatalf("%s: one lookup took %v, want one round trip (%v)", c.old, got, rtt)
		}
		if got := net.Lookups(0, 3); got != c.three {
			t.Fatalf("%s: three lookups took %v, want %v", c.old, got, c.three)
		}
	}
}

// A search for the subject ends at the first look at the store after the
// announce topic brought it, though no provider record is out: the
// attribution names the publisher, its object part over within HeldPoll
// of the delivery, where the search that ended only at a fetch ran the
// object's lookup to its end.
func TestSubjectEndsWhenHeld(t *testing.T) {
	net, err := Build(Params{N: 300, Seed: 15, RTT: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const heldAt = 150 * time.Millisecond
	objectEnded := func(p Params) time.Duration {
		n := *net
		n.P = p
		r := newRun(&n, 3)
		pub, q := r.pickTwo()
		ds := r.newDataset(pub) // not provided: only the gossip brings it
		var got *search
		r.attribution(q, ds, 5*time.Second, heldAt, func(s *search) { got = s })
		r.sim.Run(0)
		if got == nil || !got.gossiped || got.fetched {
			t.Fatalf("search %+v: want the dataset held by gossip, not fetched", got)
		}
		return got.objectEnded
	}
	now := objectEnded(net.P)
	if want := 160 * time.Millisecond; now != want {
		t.Fatalf("the object's search ended at %v, want the first look at the store after %v (%v)", now, heldAt, want)
	}
	until := net.P
	until.SubjectUntilFetched = true
	if old := objectEnded(until); old < 2*net.P.RTT {
		t.Fatalf("until fetched: the object's search ended at %v, want its lookup's end (rounds of %v)", old, net.P.RTT)
	}
}

// A request to a peer the node is not connected to waits for the new
// connection: DialRTTs round trips before the request's own.
func TestDialBeforeRequest(t *testing.T) {
	const rtt = 100 * time.Millisecond
	net, err := Build(Params{N: 2, Seed: 11, RTT: rtt, DialRTTs: 4, ConnHigh: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range net.Nodes {
		clear(n.conns) // no connection kept
	}
	if got := net.Lookups(0, 1); got != 5*rtt {
		t.Fatalf("a lookup over a new connection took %v, want 5 round trips", got)
	}
}

// A hop timed on a busy machine is mostly a wait for a core. Charged
// whole as CPU on shared cores, it would hold the core and delay every
// request queued behind it by the same wait again; with HopCPU, only the
// CPU holds the core. On one core, a lookup asks its two peers at once,
// each hop 10 ms of which 2 ms is CPU: the two hops overlap, so the
// lookup takes one hop and the other's CPU (10 + 1 = 11 ms), where the
// whole hop as CPU made it two hops (20 ms).
func TestHopWaitHoldsNoCore(t *testing.T) {
	p := Params{N: 3, Seed: 12, Cores: 1, HopCosts: []time.Duration{10 * time.Millisecond}}
	took := func(p Params) time.Duration {
		net, err := Build(p)
		if err != nil {
			t.Fatal(err)
		}
		return net.Lookups(0, 1)
	}
	if got := took(p); got != 20*time.Millisecond {
		t.Fatalf("hops charged whole as CPU: lookup took %v, want 20ms", got)
	}
	p.HopCPU = 2 * time.Millisecond
	if got := took(p); got != 11*time.Millisecond {
		t.Fatalf("hops of 2 ms CPU: lookup took %v, want 11ms", got)
	}
	// A hop shorter than HopCPU is CPU throughout.
	p.HopCPU = time.Second
	if got := took(p); got != 20*time.Millisecond {
		t.Fatalf("HopCPU above the hop: lookup took %v, want 20ms", got)
	}
}

// On cores shared with other work, a hop's wait for a core follows from
// the sharing rather than being drawn: one core and one thread of other
// work always runnable, hops of 2 ms CPU. A hop alone goes at half a
// core (4 ms, the hop as it would be measured on that machine); a
// lookup's two hops at once share the core with the other work, a third
// each (serving 3 ms, handling 3 ms: 6 ms). Charging each 4 ms hop whole
// as CPU made it 8 ms.
func TestSharedCores(t *testing.T) {
	took := func(n int, p Params) time.Duration {
		p.N, p.Seed, p.Cores = n, 13, 1
		net, err := Build(p)
		if err != nil {
			t.Fatal(err)
		}
		return net.Lookups(0, 1)
	}
	shared := Params{HopCosts: []time.Duration{4 * time.Millisecond}, HopCPU: 2 * time.Millisecond, Background: 1}
	if got := took(2, shared); got != 4*time.Millisecond {
		t.Fatalf("one hop on a core shared with one thread: %v, want 4ms", got)
	}
	if got := took(3, shared); got != 6*time.Millisecond {
		t.Fatalf("two hops at once on a core shared with one thread: %v, want 6ms", got)
	}
	if got := took(3, Params{HopCosts: []time.Duration{4 * time.Millisecond}}); got != 8*time.Millisecond {
		t.Fatalf("two hops charged whole as CPU: %v, want 8ms", got)
	}
}

// The shared cores, event by event, finish each piece of work when a
// plain reference does: time in steps of a microsecond, every piece in
// progress served min(1, cores/(n+background)) of a step.
func TestSharingAgainstSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 0))
	for trial := range 20 {
		cores := float64(1 + rng.IntN(3))
		other := float64(rng.IntN(8)) * 0.75
		type piece struct{ at, cost, done time.Duration }
		pieces := make([]piece, 2+rng.IntN(30))
		for i := range pieces {
			pieces[i].at = time.Duration(rng.IntN(5000)) * time.Microsecond
			pieces[i].cost = time.Duration(50+rng.IntN(3000)) * time.Microsecond
		}

		r := &run{sim: &Sim{}}
		s := &sharing{r: r, cores: cores, other: other}
		for i := range pieces {
			r.sim.At(pieces[i].at, func() {
				s.add(pieces[i].cost, func() { pieces[i].done = r.sim.Now() })
			})
		}
		r.sim.Run(0)

		const step = time.Microsecond
		left := make([]float64, len(pieces))
		ref := make([]time.Duration, len(pieces))
		for i, p := range pieces {
			left[i] = float64(p.cost)
		}
		for now, finished := time.Duration(0), 0; finished < len(pieces); now += step {
			var active []int
			for i, p := range pieces {
				if p.at <= now && ref[i] == 0 {
					active = append(active, i)
				}
			}
			rate := min(1, cores/(float64(len(active))+other))
			for _, i := range active {
				if left[i] -= float64(step) * rate; left[i] <= 0.5 {
					ref[i] = now + step
					finished++
				}
			}
		}
		for i, p := range pieces {
			if d := p.done - ref[i]; d < -5*step || d > 5*step {
				t.Fatalf("trial %d (%v cores, %v other): piece %d (at %v, %v of CPU) done at %v, the reference at %v",
					trial, cores, other, i, p.at, p.cost, p.done, ref[i])
			}
		}
	}
}
