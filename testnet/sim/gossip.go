package sim

import (
	"slices"
	"time"
)

// GossipParams are GossipSub's, as the daemon sets them (node/p2p:
// libp2p's defaults but for the heartbeat; flood publishing off).
type GossipParams struct {
	D, Dlo, Dhi, Dlazy int           // mesh degree, its bounds, gossip peers: 6, 5, 12, 6
	GossipFactor       float64       // share of non-mesh peers gossiped to: 0.25
	HistoryGossip      int           // heartbeats a message is gossiped for: 3
	Heartbeat          time.Duration // 1 s
}

func (g GossipParams) withDefaults() GossipParams {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&g.D, 6)
	def(&g.Dlo, 5)
	def(&g.Dhi, 12)
	def(&g.Dlazy, 6)
	def(&g.HistoryGossip, 3)
	if g.GossipFactor <= 0 {
		g.GossipFactor = 0.25
	}
	if g.Heartbeat <= 0 {
		g.Heartbeat = time.Second
	}
	return g
}

// mesh is the GossipSub mesh of one topic over the kept connections of
// the online nodes: each node grafts random connected peers until it has
// D, a peer taking no more than Dhi; then nodes still under Dlo graft
// past Dhi, as a heartbeat's repair does.
func (r *run) mesh() [][]int32 {
	g := r.p.Gossip
	nodes := r.net.Nodes
	m := make([][]int32, len(nodes))
	graft := func(a, b int32) {
		m[a] = append(m[a], b)
		m[b] = append(m[b], a)
	}
	for pass, limit := range []int{g.Dhi, 1 << 30} {
		for _, i := range r.rng.Perm(len(nodes)) {
			n := nodes[i]
			want := g.D
			if pass == 1 {
				want = g.Dlo
			}
			if !n.Online || len(m[i]) >= want {
				continue
			}
			peers := connsOf(n)
			r.rng.Shuffle(len(peers), func(a, b int) { peers[a], peers[b] = peers[b], peers[a] })
			for _, p := range peers {
				if len(m[i]) >= g.D {
					break
				}
				if len(m[p]) < limit && !slices.Contains(m[i], p) {
					graft(int32(i), p)
				}
			}
		}
	}
	return m
}

func connsOf(n *Node) []int32 {
	out := make([]int32, 0, len(n.conns))
	for p := range n.conns {
		out = append(out, p)
	}
	slices.Sort(out) // map order is random: sort for a run determined by its seed
	return out
}

// Gossip is one message's delivery.
type Gossip struct {
	// Delivered are the times at which each online node other than the
	// publisher validated the message, for those that did by the end.
	Delivered []time.Duration
	Online    int // online nodes other than the publisher
	Last      time.Duration
	Messages  int // copies sent, IHAVE/IWANT included
}

// Complete is the share of online nodes that got the message.
func (g Gossip) Complete() float64 {
	if g.Online == 0 {
		return 1
	}
	return float64(len(g.Delivered)) / float64(g.Online)
}

// Gossip times the delivery of message i, published by a random online
// node: sent to its mesh peers; each node validates a message it did not
// have (after a wait for a core of half a hop's, when HopCPU tells a
// hop's CPU from its wait, then Validate of CPU), then forwards it to its
// mesh peers but the one it came from; at each node's heartbeat (at a
// phase of its own), a node sends IHAVE for the messages of its last
// HistoryGossip heartbeats to max(Dlazy, GossipFactor × its non-mesh
// peers) random non-mesh peers, and a peer lacking the message asks for
// it (IWANT). The run ends at horizon.
func (n *Network) Gossip(i int, horizon time.Duration) Gossip {
	r := newRun(n, uint64(1<<40+i))
	g := r.p.Gossip
	mesh := r.mesh()
	pub, _ := r.pickTwo()
	got := make([]time.Duration, len(n.Nodes))
	have := make([]bool, len(n.Nodes))
	asked := make([]bool, len(n.Nodes))
	var out Gossip
	var receive func(to, from int32)
	forward := func(at int32, from int32) {
		for _, p := range mesh[at] {
			if p != from {
				r.messages++
				r.sim.After(r.delay(), func() { receive(p, at) })
			}
		}
	}
	receive = func(to, from int32) {
		if have[to] {
			return
		}
		have[to] = true // seen: later copies are dropped as duplicates
		r.sim.After(r.sideWait(), func() {
			r.compute(to, r.p.Validate, func() {
				got[to] = r.sim.Now()
				out.Delivered = append(out.Delivered, r.sim.Now())
				forward(to, from)
			})
		})
	}
	have[pub] = true
	got[pub] = 0
	forward(pub, pub)

	// Heartbeats: IHAVE to non-mesh peers while the message is in the
	// gossip window of the node's cache.
	window := time.Duration(g.HistoryGossip) * g.Heartbeat
	for i, node := range n.Nodes {
		if !node.Online {
			continue
		}
		at := int32(i)
		phase := time.Duration(r.rng.Int64N(int64(g.Heartbeat)))
		var beat func()
		beat = func() {
			if r.sim.Now() > horizon {
				return
			}
			if have[at] && r.sim.Now()-got[at] <= window && (at == pub || got[at] > 0) {
				var others []int32
				for _, p := range connsOf(node) {
					if !slices.Contains(mesh[at], p) {
						others = append(others, p)
					}
				}
				target := max(g.Dlazy, int(g.GossipFactor*float64(len(others))))
				r.rng.Shuffle(len(others), func(a, b int) { others[a], others[b] = others[b], others[a] })
				for _, p := range others[:min(target, len(others))] {
					r.messages++
					r.sim.After(r.delay(), func() { // IHAVE at p
						if have[p] || asked[p] {
							return
						}
						asked[p] = true
						r.messages++
						r.sim.After(r.delay(), func() { // IWANT at the gossiper
							r.messages++
							r.sim.After(r.delay(), func() {
								asked[p] = false
								receive(p, at)
							})
						})
					})
				}
			}
			r.sim.After(g.Heartbeat, beat)
		}
		r.sim.At(phase, beat)
	}
	r.sim.Run(horizon)
	for i, node := range n.Nodes {
		if node.Online && int32(i) != pub {
			out.Online++
		}
	}
	slices.Sort(out.Delivered)
	if len(out.Delivered) > 0 {
		out.Last = out.Delivered[len(out.Delivered)-1]
	}
	out.Messages = r.messages
	return out
}
