package credit_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
)

func id(s string) protocol.ID { return protocol.ObjectID([]byte(s)) }

var dids = func() []protocol.DID {
	out := make([]protocol.DID, 8)
	for i := range out {
		seed := make([]byte, 32)
		seed[0] = byte(i + 1)
		k, err := protocol.KeyFromSeed(seed)
		if err != nil {
			panic(err)
		}
		out[i] = k.DID()
	}
	return out
}()

// randomGraph builds a lineage of n nodes: node i names inputs among the
// nodes after it (so it is acyclic), some of them not held, some
// delisted; each node has claims by a few contributors at random trust.
func randomGraph(r *rand.Rand, n int) *credit.Graph {
	g := credit.NewGraph(id("0"))
	for i := range n {
		nd := &credit.Node{ID: id(fmt.Sprint(i)), Held: i == 0 || r.IntN(10) > 0, Delisted: i > 0 && r.IntN(12) == 0}
		for k := range r.IntN(4) {
			nd.Claims = append(nd.Claims, credit.Claim{
				ID:          id(fmt.Sprintf("claim %d %d", i, k)),
				Contributor: dids[r.IntN(len(dids))],
				Role:        "author",
				Weight:      randWeight(r),
				Trust:       protocol.Trust(r.IntN(5)),
			})
		}
		for j := i + 1; j < n; j++ {
			if r.IntN(4) == 0 {
				nd.Inputs = append(nd.Inputs, credit.Input{ID: id(fmt.Sprint(j)), Weight: randWeight(r)})
			}
		}
		if nd.Held {
			g.Add(nd)
		}
	}
	return g
}

func randWeight(r *rand.Rand) float64 {
	switch r.IntN(3) {
	case 0:
		return 1
	case 1:
		return float64(1+r.IntN(8)) / 8
	}
	return r.Float64()*0.999 + 0.001
}

// exact is the rule of SPEC.md §4.7 in rational numbers: the reference
// the fixed-point computation is checked against.
func exact(g *credit.Graph, min protocol.Trust) (map[protocol.DID]*big.Rat, *big.Rat) {
	out := map[protocol.DID]*big.Rat{}
	unatt := new(big.Rat)
	var give func(id protocol.ID, m *big.Rat)
	give = func(id protocol.ID, m *big.Rat) {
		n := g.Nodes[id]
		if n == nil || !n.Held || n.Delisted {
			unatt.Add(unatt, m)
			return
		}
		total := new(big.Rat)
		w := func(x float64) *big.Rat { return new(big.Rat).SetInt64(int64(credit.WeightUnits(x))) }
		for _, c := range n.Claims {
			if credit.Counts(c.Trust, min) {
				total.Add(total, w(c.Weight))
			}
		}
		for _, in := range n.Inputs {
			total.Add(total, w(in.Weight))
		}
		if total.Sign() == 0 {
			unatt.Add(unatt, m)
			return
		}
		per := new(big.Rat).Quo(m, total)
		for _, c := range n.Claims {
			if credit.Counts(c.Trust, min) {
				if out[c.Contributor] == nil {
					out[c.Contributor] = new(big.Rat)
				}
				out[c.Contributor].Add(out[c.Contributor], new(big.Rat).Mul(per, w(c.Weight)))
			}
		}
		for _, in := range n.Inputs {
			give(in.ID, new(big.Rat).Mul(per, w(in.Weight)))
		}
	}
	give(g.Subject, big.NewRat(1, 1))
	return out, unatt
}

func shareOf(r *credit.Result, d protocol.DID) credit.Amount {
	for _, s := range r.Shares {
		if s.Contributor == d {
			return s.Share
		}
	}
	return 0
}

// TestSumIsExactlyOne: the shares and the unattributed part add up to 1
// exactly, in integers and as the float64 numbers of the JSON answer in
// any order.
func TestSumIsExactlyOne(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		g := randomGraph(r, 2+r.IntN(14))
		res := credit.Compute(g, protocol.Trust(r.IntN(4)))
		sum := res.Unattributed
		fs := []float64{res.Unattributed.Float64()}
		for _, s := range res.Shares {
			sum += s.Share
			fs = append(fs, s.Share.Float64())
		}
		if sum != credit.One {
			t.Fatalf("trial %d: shares add up to %d, want %d", trial, sum, credit.One)
		}
		for range 5 {
			r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
			f := 0.0
			for _, x := range fs {
				f += x
			}
			if f != 1 {
				t.Fatalf("trial %d: float64 sum %v, want exactly 1", trial, f)
			}
		}
	}
}

// TestMatchesExactRule: each computed share is the exact share of the
// rule rounded down to 2^-40, within the rounding of the splits (less than
// a unit of 2^-62 per claim and edge, far less than a quantum): never a
// quantum or more below the exact share, never above it by a quantum.
func TestMatchesExactRule(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	q := new(big.Rat).SetFrac64(1, 1<<credit.QuantumBits)
	for trial := range 300 {
		g := randomGraph(r, 2+r.IntN(14))
		min := protocol.Trust(r.IntN(4))
		res := credit.Compute(g, min)
		want, _ := exact(g, min)
		for _, d := range dids {
			got := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(shareOf(res, d))), q)
			w := want[d]
			if w == nil {
				w = new(big.Rat)
			}
			lo := new(big.Rat).Sub(w, new(big.Rat).Add(q, q))
			hi := new(big.Rat).Add(w, new(big.Rat).SetFrac64(1, 1<<50))
			if got.Cmp(hi) > 0 || got.Cmp(lo) <= 0 {
				t.Fatalf("trial %d: %s got %s, exact %s", trial, d, got.FloatString(15), w.FloatString(15))
			}
		}
	}
}

// TestOrderIndependence: the same graph filled in any order — nodes,
// claims, inputs — gives the same answer, to the last bit and path.
func TestOrderIndependence(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		g := randomGraph(r, 2+r.IntN(14))
		min := protocol.Trust(r.IntN(4))
		want := credit.Compute(g, min)
		h := credit.NewGraph(g.Subject)
		var ns []*credit.Node
		for _, n := range g.Nodes {
			c := *n
			c.Claims = append([]credit.Claim(nil), n.Claims...)
			c.Inputs = append([]credit.Input(nil), n.Inputs...)
			r.Shuffle(len(c.Claims), func(i, j int) { c.Claims[i], c.Claims[j] = c.Claims[j], c.Claims[i] })
			r.Shuffle(len(c.Inputs), func(i, j int) { c.Inputs[i], c.Inputs[j] = c.Inputs[j], c.Inputs[i] })
			ns = append(ns, &c)
		}
		r.Shuffle(len(ns), func(i, j int) { ns[i], ns[j] = ns[j], ns[i] })
		for _, n := range ns {
			h.Add(n)
		}
		if got := credit.Compute(h, min); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: shuffled graph gives another answer", trial)
		}
	}
}

// TestMonotone: raising one claim's trust never lowers its contributor's
// share — exactly in the rule (SPEC.md §4.7 proves it), and in the
// computed shares, which are never below the exact share by a quantum or
// more: so a computed share never drops by more than the quantum 2^-40.
func TestMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	checked := 0
	for trial := range 2000 {
		g := randomGraph(r, 2+r.IntN(12))
		min := protocol.Trust(1 + r.IntN(3))
		var below []*credit.Claim
		for _, n := range g.Nodes {
			for i := range n.Claims {
				if c := &n.Claims[i]; c.Trust < min {
					below = append(below, c)
				}
			}
		}
		if len(below) == 0 {
			continue
		}
		c := below[r.IntN(len(below))]
		exBefore, _ := exact(g, min)
		before := shareOf(credit.Compute(g, min), c.Contributor)
		c.Trust = min + protocol.Trust(r.IntN(int(protocol.Revoked-min)))
		exAfter, _ := exact(g, min)
		after := shareOf(credit.Compute(g, min), c.Contributor)
		b, a := exBefore[c.Contributor], exAfter[c.Contributor]
		if b == nil {
			b = new(big.Rat)
		}
		if a == nil {
			a = new(big.Rat)
		}
		if a.Cmp(b) < 0 {
			t.Fatalf("trial %d: exact share of %s fell from %s to %s", trial, c.Contributor, b.FloatString(15), a.FloatString(15))
		}
		if after+1 < before {
			t.Fatalf("trial %d: share of %s fell from %d to %d quanta", trial, c.Contributor, before, after)
		}
		checked++
	}
	if checked < 500 {
		t.Fatalf("only %d raises checked", checked)
	}
}

// TestRule: the rule on small lineages worked out by hand.
func TestRule(t *testing.T) {
	a, b, c := dids[0], dids[1], dids[2]
	claim := func(n string, d protocol.DID, w float64, tr protocol.Trust) credit.Claim {
		return credit.Claim{ID: id("claim " + n), Contributor: d, Role: "author", Weight: w, Trust: tr}
	}
	half, quarter := credit.One/2, credit.One/4
	for _, tc := range []struct {
		name    string
		nodes   []*credit.Node
		want    map[protocol.DID]credit.Amount
		unatt   credit.Amount
		missing []protocol.ID
	}{
		{"nothing claimed", []*credit.Node{{ID: id("s"), Held: true}}, nil, credit.One, nil},
		{"one claim", []*credit.Node{{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 0.3, protocol.Mutual)}}}, map[protocol.DID]credit.Amount{a: credit.One}, 0, nil},
		{"weights share", []*credit.Node{{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 0.75, protocol.Mutual), claim("2", b, 0.25, protocol.Certified)}}}, map[protocol.DID]credit.Amount{a: 3 * quarter, b: quarter}, 0, nil},
		{"below the threshold and revoked count nothing", []*credit.Node{{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Certified), claim("2", b, 1, protocol.Acknowledged), claim("3", c, 1, protocol.Revoked)}}}, map[protocol.DID]credit.Amount{a: credit.One}, 0, nil},
		{"a parent shares with the claims", []*credit.Node{
			{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("p"), Weight: 1}}},
			{ID: id("p"), Held: true, Claims: []credit.Claim{claim("2", b, 1, protocol.Mutual)}},
		}, map[protocol.DID]credit.Amount{a: half, b: half}, 0, nil},
		{"a parent not held is missing", []*credit.Node{
			{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("p"), Weight: 1}}},
		}, map[protocol.DID]credit.Amount{a: half}, half, []protocol.ID{id("p")}},
		{"a delisted parent passes nothing on", []*credit.Node{
			{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("p"), Weight: 1}}},
			{ID: id("p"), Held: true, Delisted: true, Claims: []credit.Claim{claim("2", b, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("q"), Weight: 1}}},
			{ID: id("q"), Held: true, Claims: []credit.Claim{claim("3", c, 1, protocol.Mutual)}},
		}, map[protocol.DID]credit.Amount{a: half}, half, nil},
		{"input weights", []*credit.Node{
			{ID: id("s"), Held: true, Inputs: []credit.Input{{ID: id("p"), Weight: 1}, {ID: id("q"), Weight: 0.5}, {ID: id("r"), Weight: 0.5}}},
			{ID: id("p"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}},
			{ID: id("q"), Held: true, Claims: []credit.Claim{claim("2", b, 1, protocol.Mutual)}},
			{ID: id("r"), Held: true},
		}, map[protocol.DID]credit.Amount{a: half, b: quarter}, quarter, nil},
		{"a diamond is counted once per route", []*credit.Node{
			{ID: id("s"), Held: true, Inputs: []credit.Input{{ID: id("p"), Weight: 1}, {ID: id("q"), Weight: 1}}},
			{ID: id("p"), Held: true, Inputs: []credit.Input{{ID: id("r"), Weight: 1}}},
			{ID: id("q"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("r"), Weight: 1}}},
			{ID: id("r"), Held: true, Claims: []credit.Claim{claim("2", b, 1, protocol.Mutual)}},
		}, map[protocol.DID]credit.Amount{a: quarter, b: 3 * quarter}, 0, nil},
		{"a sole contributor through thirds gets exactly all", []*credit.Node{
			{ID: id("s"), Held: true, Claims: []credit.Claim{claim("1", a, 1, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("p"), Weight: 1}, {ID: id("q"), Weight: 1}}},
			{ID: id("p"), Held: true, Claims: []credit.Claim{claim("2", a, 0.3, protocol.Mutual), claim("3", a, 0.7, protocol.Mutual)}, Inputs: []credit.Input{{ID: id("q"), Weight: 1}}},
			{ID: id("q"), Held: true, Claims: []credit.Claim{claim("4", a, 1, protocol.Mutual)}},
		}, map[protocol.DID]credit.Amount{a: credit.One}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := credit.NewGraph(id("s"))
			for _, n := range tc.nodes {
				g.Add(n)
			}
			res := credit.Compute(g, protocol.Mutual)
			got := map[protocol.DID]credit.Amount{}
			for _, s := range res.Shares {
				got[s.Contributor] = s.Share
				var sum credit.Amount
				for _, p := range s.Paths {
					sum += p.Share
					if p.Route[0] != id("s") || p.Route[len(p.Route)-1] != p.Subject {
						t.Errorf("path %s: route %v", p.Claim, p.Route)
					}
				}
				if sum > s.Share || s.Share-sum > credit.Amount(len(s.Paths)) {
					t.Errorf("%s: paths add up to %d, share %d", s.Contributor, sum, s.Share)
				}
			}
			if tc.want == nil {
				tc.want = map[protocol.DID]credit.Amount{}
			}
			if !reflect.DeepEqual(got, tc.want) || res.Unattributed != tc.unatt {
				t.Errorf("shares %v unattributed %d, want %v and %d", got, res.Unattributed, tc.want, tc.unatt)
			}
			if tc.missing == nil {
				tc.missing = []protocol.ID{}
			}
			if !reflect.DeepEqual(res.Missing, tc.missing) {
				t.Errorf("missing %v, want %v", res.Missing, tc.missing)
			}
		})
	}
}
