// Package credit shares the credit for a subject among everyone who
// contributed to it, through its lineage, by the rule of SPEC.md §4.7.
//
// It is a pure function of a Graph: it reads no store, no network and no
// clock, and it computes in integers, so that the same graph gives the
// same shares, bit for bit, on every machine and whatever the order in
// which the graph was filled. The store builds the graph (store.CreditGraph);
// a node, or a verifier with no node at all, computes the shares.
package credit

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// Fixed-point units (SPEC.md §4.7).
const (
	// MassBits: the mass of the subject is 2^MassBits units; every split is
	// computed in these units.
	MassBits = 62
	// QuantumBits: shares are reported in multiples of 2^-QuantumBits.
	QuantumBits = 40
	// WeightBits: a weight w in (0,1] counts as max(1, ⌊w·2^WeightBits⌋) units.
	WeightBits = 32
	// MaxPaths is how many paths, the largest, explain each share.
	MaxPaths = 16
)

const (
	totalMass    = uint64(1) << MassBits
	quantumUnits = uint64(1) << (MassBits - QuantumBits)
)

// Amount is a share in units of 2^-40. An Amount converts to a float64
// exactly, and so does any sum of Amounts of one answer.
type Amount uint64

// One is the whole credit.
const One Amount = 1 << QuantumBits

// Float64 returns a as a fraction of the whole credit, exactly.
func (a Amount) Float64() float64 { return float64(a) / float64(One) }

// Claim is an attribution about a node of the graph, with the trust its
// reader computed for it (SPEC.md §4.5).
type Claim struct {
	ID          protocol.ID
	Contributor protocol.DID
	Role        string
	Weight      float64
	Trust       protocol.Trust
}

// Input is an edge from a node to what it was made from: a dataset's
// parent, a derivation's input, an artifact's derivation.
type Input struct {
	ID     protocol.ID
	Weight float64
}

// Node is one subject of the lineage.
type Node struct {
	ID protocol.ID
	// Held is false for an ancestor named by a record but not held: its
	// mass is unattributed and it is listed as missing.
	Held bool
	// Delisted is set for a dataset governance delisted: no credit goes to
	// it or through it.
	Delisted bool
	Claims   []Claim
	Inputs   []Input
}

// Graph is a subject and the nodes of its lineage.
type Graph struct {
	Subject protocol.ID
	Nodes   map[protocol.ID]*Node
}

// NewGraph returns an empty graph for subject.
func NewGraph(subject protocol.ID) *Graph {
	return &Graph{Subject: subject, Nodes: make(map[protocol.ID]*Node)}
}

// Add puts n in the graph, replacing a node with its ID.
func (g *Graph) Add(n *Node) { g.Nodes[n.ID] = n }

// Result is the answer: every contributor's share, largest first, and the
// part no one is credited with.
type Result struct {
	Subject      protocol.ID
	MinTrust     protocol.Trust
	Shares       []Share
	Unattributed Amount
	Missing      []protocol.ID // ancestors named but not held, in ID text order
}

// Share is one contributor's part, with the largest paths that make it.
type Share struct {
	Contributor protocol.DID
	Share       Amount
	Paths       []Path
	// More is the number of the contributor's paths not listed.
	More int
}

// Path explains part of a share: a claim about a node of the lineage and
// the route from the subject to that node.
type Path struct {
	Claim   protocol.ID
	Subject protocol.ID
	Role    string
	Weight  float64
	Trust   protocol.Trust
	Share   Amount
	Route   []protocol.ID // the subject first, the claim's subject last
}

// Counts reports whether a claim at trust t counts at threshold min: a
// revoked claim never does, and a claim counts at min and above.
func Counts(t, min protocol.Trust) bool {
	return t != protocol.Revoked && t >= min
}

// WeightUnits is a weight in the units of WeightBits, at least 1.
func WeightUnits(w float64) uint64 {
	if !(w > 0) {
		return 1
	}
	u := uint64(math.Floor(min(w, 1) * (1 << WeightBits)))
	return max(u, 1)
}

// part returns ⌊m·w/total⌋ and the remainder, with w ≤ total.
func part(m, w, total uint64) (q, rem uint64) {
	hi, lo := bits.Mul64(m, w)
	return bits.Div64(hi, lo, total)
}

// apportion splits m units in proportion to weights (their sum total > 0)
// by largest remainders: each item takes ⌊m·w/total⌋, and the units left,
// fewer than the items, go one each to the items with the largest
// remainders, ties to the earlier item. The parts add up to m exactly.
func apportion(m uint64, weights []uint64, total uint64) []uint64 {
	out := make([]uint64, len(weights))
	rems := make([]uint64, len(weights))
	left := m
	for i, w := range weights {
		out[i], rems[i] = part(m, w, total)
		left -= out[i]
	}
	if left == 0 {
		return out
	}
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rems[b], rems[a]) })
	for _, i := range idx[:left] {
		out[i]++
	}
	return out
}

// node is a node of the graph while Compute runs.
type node struct {
	*Node
	key    string // ID text, for every order
	mass   uint64
	inDeg  int
	done   bool
	inputs []*node // held in Node.Inputs order, sorted by key
	inW    []uint64
	pred   *node // the route: the node that first reached this one, breadth first
	depth  int   // the length of the route from the subject
	route  []protocol.ID
}

// contributor gathers one DID's credit while Compute runs.
type contributor struct {
	did   protocol.DID
	units uint64
	at    []grant
}

// grant is what a contributor got at one node, and the claims it got it for.
type grant struct {
	n      *node
	units  uint64
	weight uint64 // the contributor's weight units at n
	claims []Claim
}

// Compute shares the credit for g.Subject among the contributors of its
// lineage, counting the claims at trust min and above (SPEC.md §4.7).
func Compute(g *Graph, min protocol.Trust) *Result {
	res := &Result{Subject: g.Subject, MinTrust: min, Shares: []Share{}, Missing: []protocol.ID{}}
	nodes, order := reach(g)
	root := nodes[g.Subject]
	root.mass = totalMass
	var unattributed uint64
	people := map[protocol.DID]*contributor{}
	queue := []*node{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		n.done = true
		unattributed += split(n, min, people)
		for _, in := range n.inputs {
			if in.inDeg--; in.inDeg == 0 {
				queue = append(queue, in)
			}
		}
	}
	for _, n := range order {
		if !n.Held {
			res.Missing = append(res.Missing, n.ID)
		}
		if !n.done { // on a cycle, which records named by hash cannot make
			unattributed += n.mass
		}
	}
	slices.SortFunc(res.Missing, func(a, b protocol.ID) int { return strings.Compare(nodes[a].key, nodes[b].key) })
	var given Amount
	for _, c := range people {
		a := Amount(c.units / quantumUnits)
		if a == 0 {
			continue
		}
		given += a
		res.Shares = append(res.Shares, explain(c, a))
	}
	res.Unattributed = One - given
	slices.SortFunc(res.Shares, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), protocol.CompareDIDs(a.Contributor, b.Contributor))
	})
	return res
}

// reach returns the nodes reachable from the subject over the inputs of
// nodes that pass credit on (held and not delisted), each with its number
// of incoming edges, and the breadth-first route to each. order is the
// order they were reached in.
func reach(g *Graph) (map[protocol.ID]*node, []*node) {
	nodes := map[protocol.ID]*node{}
	get := func(id protocol.ID) (*node, bool) {
		if n, ok := nodes[id]; ok {
			return n, false
		}
		gn := g.Nodes[id]
		if gn == nil {
			gn = &Node{ID: id}
		}
		n := &node{Node: gn, key: id.String()}
		nodes[id] = n
		return n, true
	}
	root, _ := get(g.Subject)
	order := []*node{root}
	for i := 0; i < len(order); i++ {
		n := order[i]
		if !n.Held || n.Delisted {
			continue
		}
		ins := make([]*node, 0, len(n.Node.Inputs))
		ws := make([]uint64, 0, len(n.Node.Inputs))
		for _, e := range n.Node.Inputs {
			in, _ := get(e.ID)
			ins = append(ins, in)
			ws = append(ws, WeightUnits(e.Weight))
		}
		idx := make([]int, len(ins))
		for j := range idx {
			idx[j] = j
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(ins[a].key, ins[b].key) })
		for _, j := range idx {
			in := ins[j]
			if in == root || slices.Contains(n.inputs, in) {
				continue // an edge back to the subject, or twice: no record makes one
			}
			n.inputs = append(n.inputs, in)
			n.inW = append(n.inW, ws[j])
			in.inDeg++
			if in.pred == nil && in != root {
				in.pred, in.depth = n, n.depth+1
				order = append(order, in)
			}
		}
	}
	return nodes, order
}

// split shares the mass of n among the contributors of its counted claims
// (in did:key order) and its inputs (in ID text order), in proportion to
// their weights (apportion), and returns what no one takes: all of it at a
// node not held, delisted or with nothing counted, and nothing otherwise.
func split(n *node, min protocol.Trust, people map[protocol.DID]*contributor) uint64 {
	m := n.mass
	if m == 0 || !n.Held || n.Delisted {
		return m
	}
	type own struct {
		did    protocol.DID
		weight uint64
		claims []Claim
	}
	var owners []own
	at := map[protocol.DID]int{}
	for _, c := range n.Claims {
		if !Counts(c.Trust, min) {
			continue
		}
		i, ok := at[c.Contributor]
		if !ok {
			i = len(owners)
			at[c.Contributor] = i
			owners = append(owners, own{did: c.Contributor})
		}
		owners[i].weight += WeightUnits(c.Weight)
		owners[i].claims = append(owners[i].claims, c)
	}
	slices.SortFunc(owners, func(a, b own) int { return protocol.CompareDIDs(a.did, b.did) })
	weights := make([]uint64, 0, len(owners)+len(n.inW))
	var total uint64
	for _, o := range owners {
		weights = append(weights, o.weight)
		total += o.weight
	}
	for _, w := range n.inW {
		weights = append(weights, w)
		total += w
	}
	if total == 0 {
		return m
	}
	parts := apportion(m, weights, total)
	for i, o := range owners {
		c := people[o.did]
		if c == nil {
			c = &contributor{did: o.did}
			people[o.did] = c
		}
		c.units += parts[i]
		c.at = append(c.at, grant{n: n, units: parts[i], weight: o.weight, claims: o.claims})
	}
	for i, in := range n.inputs {
		in.mass += parts[len(owners)+i]
	}
	return 0
}

// explain returns c's share with its MaxPaths largest paths: each claim's
// part of what c got at its node, in proportion to its weight. Paths of
// equal share are in the order of their claims' ID text.
func explain(c *contributor, a Amount) Share {
	var paths []Path
	var at []*node
	for _, g := range c.at {
		for _, cl := range g.claims {
			u, _ := part(g.units, WeightUnits(cl.Weight), g.weight)
			paths = append(paths, Path{
				Claim: cl.ID, Subject: g.n.ID, Role: cl.Role, Weight: cl.Weight, Trust: cl.Trust,
				Share: Amount(u / quantumUnits),
			})
			at = append(at, g.n)
		}
	}
	idx := make([]int, len(paths))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(paths[y].Share, paths[x].Share) })
	s := Share{Contributor: c.did, Share: a}
	if len(idx) > MaxPaths {
		// Only the paths that tie with the last one kept need their IDs
		// spelt out to be ordered.
		last := paths[idx[MaxPaths-1]].Share
		end := MaxPaths
		for end < len(idx) && paths[idx[end]].Share == last {
			end++
		}
		s.More = len(idx) - MaxPaths
		idx = idx[:end]
	}
	keys := make(map[int]string, len(idx))
	key := func(i int) string {
		k, ok := keys[i]
		if !ok {
			k = paths[i].Claim.String()
			keys[i] = k
		}
		return k
	}
	slices.SortFunc(idx, func(x, y int) int {
		return cmp.Or(cmp.Compare(paths[y].Share, paths[x].Share), strings.Compare(key(x), key(y)))
	})
	idx = idx[:min(len(idx), MaxPaths)]
	s.Paths = make([]Path, len(idx))
	for j, i := range idx {
		s.Paths[j] = paths[i]
		s.Paths[j].Route = route(at[i])
	}
	return s
}

// route returns the breadth-first route from the subject to n, made once
// for each node and shared by the paths that end there.
func route(n *node) []protocol.ID {
	if n.route == nil {
		n.route = make([]protocol.ID, n.depth+1)
		for m := n; m != nil; m = m.pred {
			n.route[m.depth] = m.ID
		}
	}
	return n.route
}
