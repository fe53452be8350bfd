package sim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p/core/peer"
	pstore "github.com/libp2p/go-libp2p/p2p/host/peerstore"
)

// The daemon's DHT and connection settings (node/p2p: NewDHT leaves
// kad-dht's bucket size, concurrency and resiliency at the Amino
// defaults; NewHost's connection manager trims above DefaultConnHigh).
const (
	DefaultBucketSize = 20 // K
	DefaultAlpha      = 10 // requests of one lookup in flight
	DefaultBeta       = 3  // closest peers that must have answered
	DefaultConnHigh   = 96 // connections a node keeps
)

// Params is a network and how it behaves. Zero fields take the defaults
// documented beside them.
type Params struct {
	N    int    // nodes
	Seed uint64 // everything random in a run derives from it

	BucketSize int // K; default DefaultBucketSize
	Alpha      int // default DefaultAlpha
	Beta       int // default DefaultBeta
	ConnHigh   int // connections kept per node; default DefaultConnHigh

	// RTT is the round-trip time between any two nodes; Jitter the
	// standard deviation of a one-way delay around RTT/2 (a delay is
	// never below RTT/20).
	RTT, Jitter time.Duration
	// Loss is the chance that a message loses a packet, which TCP
	// resends after RTO (default 200 ms, Linux's least).
	Loss float64
	RTO  time.Duration
	// DialRTTs is how many round trips a new connection costs before its
	// first request leaves: TCP, multistream's security negotiation, the
	// handshake, identify (default 4; see cmd/sim measure).
	DialRTTs float64

	// Costs are CPU times. Serve is what a node spends answering one DHT
	// or fetch request, Handle what the asking node spends on the answer,
	// Dial what each side spends on a new connection (handshake
	// cryptography), Validate what a node spends on a gossip message
	// before it forwards it. HopCosts, when set, replaces Serve+Handle:
	// each request draws one measured round trip on loopback from it,
	// half spent by each side.
	Serve, Handle, Dial, Validate time.Duration
	HopCosts                      []time.Duration
	// HopCPU, when set, is the CPU one hop of HopCosts takes (both
	// sides, half each, measured as CPU time): a drawn hop charges the
	// CPU min(HopCPU, the hop) and the rest of the hop is a wait that
	// holds no CPU. A hop timed on a machine busy with other work is
	// mostly a wait for a core; charged whole as CPU on shared Cores,
	// that wait would delay every piece of work queued behind it too,
	// counting it again for each. Zero: the whole hop is CPU.
	HopCPU time.Duration
	// Syncs are waits for a synced write to disk, one drawn for each
	// object a search fetches, which the store commits before the
	// answer is made from it (the store syncs every commit).
	Syncs []time.Duration
	// Cores > 0 puts every node's CPU work on one pool of that many
	// cores, as on a machine running every daemon; 0 gives each node a
	// CPU of its own.
	Cores int
	// Background > 0, with Cores, shares the cores among the nodes' work
	// in progress and Background threads of other work always runnable
	// (processor sharing, as Linux's scheduler shares cores among
	// runnable threads): n pieces of the nodes' work each go at
	// min(1, Cores/(n+Background)) of a core. A hop's wait for a core
	// then follows from the sharing; HopCPU gives its CPU, and the rest
	// of a drawn hop is not charged. A hop measured alone on a machine
	// so loaded took CPU × (1+Background)/Cores: Background is read from
	// the CPU time and the wait for a core that the scheduler's
	// statistics give for the measured hops.
	Background float64
	// Stretch multiplies every CPU cost: a machine busy with other work
	// (load average L on C cores) gives a process about C/L of a core,
	// so that each burst of work takes L/C longer. Default 1.
	Stretch float64

	// Offline is the fraction of nodes that are down: they stay in the
	// routing tables, as nodes gone since they were learnt, and a dial to
	// one fails after DeadDial (default one RTT: the host answers for the
	// dead process; set the dial timeout for a host gone).
	Offline  float64
	DeadDial time.Duration

	Gossip GossipParams

	// OneStreamPerPeer is kad-dht's own message sender, which the daemon
	// used before its own (node/p2p/dhtsender.go): one stream per peer,
	// held from a request until its answer is read, so that the requests
	// of lookups that run at once wait for each other at every peer they
	// share. Unset, as the daemon sends them now: requests to one peer go
	// at once, each on a stream of its own while the peer's others are
	// busy. A new stream on a connection costs no round trip: yamux opens
	// it without waiting for the peer's ack, and multistream-select's
	// lazy negotiation (basichost's NewStream, the peer's protocols known
	// from identify) writes the protocol in the same flush as the
	// request, the peer's echo coming back ahead of the answer. Its CPU
	// is not charged apart.
	OneStreamPerPeer bool
	// SubjectUntilFetched is the daemon's search for an object before it
	// ended once the store held the object by another path: the
	// subject's lookup and asks end only when a provider gives it, not
	// when the announce topic brought it (AttributionOptions.Announce).
	// Unset, as the daemon searches now (node/swarm's stopWhenHeld, SPEC
	// §7.5): they end at the first look at the store, every HeldPoll,
	// that finds it held.
	SubjectUntilFetched bool
}

// Old returns the network n with the daemon's behaviour before its own DHT
// sender and before a search for an object ended once the object was held
// (Params.Old): the same nodes, tables and connections.
func (n *Network) Old() *Network {
	m := *n
	m.P = n.P.Old()
	return &m
}

// HeldPoll is how often the daemon's search for an object looks whether
// the store holds it by another path (node/swarm's heldPoll).
const HeldPoll = 20 * time.Millisecond

// Old returns p as the daemon was before its own DHT sender and before a
// search for an object ended once the object was held: the model the
// figures were compared with.
func (p Params) Old() Params {
	p.OneStreamPerPeer, p.SubjectUntilFetched = true, true
	return p
}

func (p Params) withDefaults() Params {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.BucketSize, DefaultBucketSize)
	def(&p.Alpha, DefaultAlpha)
	def(&p.Beta, DefaultBeta)
	def(&p.ConnHigh, DefaultConnHigh)
	if p.Stretch <= 0 {
		p.Stretch = 1
	}
	if p.RTO <= 0 {
		p.RTO = 200 * time.Millisecond
	}
	if p.DialRTTs <= 0 {
		p.DialRTTs = 4
	}
	if p.DeadDial <= 0 {
		p.DeadDial = p.RTT
	}
	p.Gossip = p.Gossip.withDefaults()
	return p
}

// Node is one node of a Network.
type Node struct {
	Index  int
	ID     peer.ID
	Kad    kb.ID
	RT     *kb.RoutingTable
	Online bool
	conns  map[int32]struct{} // connections kept open (ConnHigh at most)
}

// Network is a built network: nodes, their routing tables and
// connections. Runs read it and do not change it, so several runs share
// one.
type Network struct {
	P     Params
	Nodes []*Node
	byID  map[peer.ID]*Node
}

// Node returns the node of id, or nil.
func (n *Network) Node(id peer.ID) *Node { return n.byID[id] }

// Build makes a network of p.N nodes with random peer IDs. Each routing
// table is filled as a long-running network fills it: for every common
// prefix length with the node, up to K peers of that bucket (all of them
// when fewer), chosen at random, added through the table's own TryAddPeer
// (which splits and refuses as it does in a daemon). Each node then keeps
// connections to peers of its table, at random, until ConnHigh on both
// sides. Offline nodes are chosen last; they keep their place in others'
// tables but no connection.
func Build(p Params) (*Network, error) {
	p = p.withDefaults()
	if p.N < 2 {
		return nil, fmt.Errorf("build network: %d nodes: a network needs two", p.N)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	net := &Network{P: p, Nodes: make([]*Node, p.N), byID: make(map[peer.ID]*Node, p.N)}
	for i := range net.Nodes {
		id := randomID(rng)
		for net.byID[id] != nil {
			id = randomID(rng)
		}
		n := &Node{Index: i, ID: id, Kad: kb.ConvertPeerID(id), Online: true, conns: map[int32]struct{}{}}
		net.Nodes[i], net.byID[id] = n, n
	}
	sorted := slices.Clone(net.Nodes)
	slices.SortFunc(sorted, func(a, b *Node) int { return bytes.Compare(a.Kad, b.Kad) })
	metrics := pstore.NewMetrics()
	for _, n := range net.Nodes {
		rt, err := kb.NewRoutingTable(p.BucketSize, n.Kad, time.Minute, metrics, time.Hour, nil)
		if err != nil {
			return nil, fmt.Errorf("build network: routing table: %w", err)
		}
		n.RT = rt
		for cpl := 0; cpl < 8*len(n.Kad); cpl++ {
			lo, hi := prefixRange(sorted, n.Kad, cpl, true)
			bucket := sorted[lo:hi]
			if len(bucket) > p.BucketSize {
				bucket = slices.Clone(bucket)
				rng.Shuffle(len(bucket), func(i, j int) { bucket[i], bucket[j] = bucket[j], bucket[i] })
				bucket = bucket[:p.BucketSize]
			}
			for _, m := range bucket {
				rt.TryAddPeer(m.ID, true, false)
			}
			if lo, hi := prefixRange(sorted, n.Kad, cpl+1, false); hi-lo <= 1 {
				break // no one else shares a longer prefix with n
			}
		}
	}
	for _, i := range rng.Perm(p.N) {
		n := net.Nodes[i]
		peers := n.RT.ListPeers()
		rng.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
		for _, id := range peers {
			m := net.byID[id]
			if len(n.conns) >= p.ConnHigh {
				break
			}
			if len(m.conns) < p.ConnHigh {
				n.conns[int32(m.Index)] = struct{}{}
				m.conns[int32(n.Index)] = struct{}{}
			}
		}
	}
	off := int(p.Offline * float64(p.N))
	for _, i := range rng.Perm(p.N)[:off] {
		n := net.Nodes[i]
		n.Online = false
		for j := range n.conns {
			delete(net.Nodes[j].conns, int32(i))
		}
		clear(n.conns)
	}
	return net, nil
}

// randomID is a peer ID as libp2p makes one for an Ed25519 key: the
// identity multihash of the public key's protobuf.
func randomID(rng *rand.Rand) peer.ID {
	b := []byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}
	for range 4 {
		b = binary.BigEndian.AppendUint64(b, rng.Uint64())
	}
	return peer.ID(b)
}

// prefixRange returns the range of sorted (by Kad ID) whose IDs share
// their first cpl bits with id and, when flip, differ from it at bit
// cpl: the peers of id's bucket cpl. Without flip the range is those that
// share the first cpl bits.
func prefixRange(sorted []*Node, id kb.ID, cpl int, flip bool) (int, int) {
	bits := cpl
	if flip {
		bits = cpl + 1
	}
	lo := make([]byte, len(id))
	hi := make([]byte, len(id))
	for i := range hi {
		hi[i] = 0xff
	}
	for b := 0; b < bits && b < 8*len(id); b++ {
		bit := id[b/8] >> (7 - b%8) & 1
		if flip && b == cpl {
			bit ^= 1
		}
		mask := byte(1) << (7 - b%8)
		if bit == 1 {
			lo[b/8] |= mask
		} else {
			hi[b/8] &^= mask
		}
	}
	start, _ := slices.BinarySearchFunc(sorted, lo, func(n *Node, k []byte) int { return bytes.Compare(n.Kad, k) })
	end, found := slices.BinarySearchFunc(sorted, hi, func(n *Node, k []byte) int { return bytes.Compare(n.Kad, k) })
	if found {
		end++
	}
	return start, end
}
