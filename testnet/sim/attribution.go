package sim

import (
	"encoding/binary"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// How the daemon searches (node/swarm/search.go).
const (
	searchConcurrency = 8 // providers asked at once by one search
)

// dataset is what an attribution of a new dataset looks up: its object
// key, which its publisher provides, and its claims-about and
// derived-from keys, which no one provides yet.
type dataset struct {
	object, file, claims, derived string
	publisher                     int32
}

// keys are what a node that stores the dataset announces at once
// (node/swarm's keysOf: the object key and the key of its one file).
func (d dataset) keys() []string { return []string{d.object, d.file} }

func (r *run) newDataset(publisher int32) dataset {
	key := func() string {
		b := []byte{0x12, 0x20} // a sha2-256 multihash, as protocol's keys are
		for range 4 {
			b = binary.BigEndian.AppendUint64(b, r.rng.Uint64())
		}
		return string(b)
	}
	return dataset{object: key(), file: key(), claims: key(), derived: key(), publisher: publisher}
}

// provide is the publisher's announcement of key: its own record at once,
// then a closest-peers lookup and a provider record to each of the K
// closest it found (kad-dht's classic provide; the daemon's sweeper does
// the same for the region of a new key). done is called when the records
// are sent.
func (r *run) provide(pub int32, key string, done func()) {
	r.record(key, pub, pub)
	l := r.newLookup(pub, key, false)
	l.done = func(_ *lookup, closest []peer.ID) {
		for _, p := range closest {
			to := int32(r.net.Node(p).Index)
			serve, _, wait, _ := r.hopCosts()
			r.send(pub, to, serve, wait, func() { r.record(key, to, pub) })
		}
		done()
	}
	l.run()
}

// search is one attribution's look on the network, as node/swarm's
// Search.Attribution makes it for a dataset no node has claims about or
// derived from: the providers of the object key (each asked for the
// object, up to searchConcurrency at once, until one gives it, which ends
// the lookup), of the claims-about key and of the derived-from key, all
// three at once. A dataset the store holds by the announce topic (heldAt)
// before the search starts is not looked for; one it comes to hold during
// the search ends the object's lookup and asks at the next look at the
// store (HeldPoll), unless SubjectUntilFetched. done is called when all
// three are over, or at timeout, with whether the node then holds the
// dataset and the depth of the peer that named the provider it came from.
type search struct {
	r       *run
	q       int32
	ds      dataset
	pending int
	fetched bool
	hops    int
	// fetchedAt is when the dataset was fetched
	fetchedAt time.Duration
	// heldAt is when the announce topic brings the dataset to the node
	// (< 0: never); gossiped whether it brought it before a fetch did.
	heldAt   time.Duration
	gossiped bool
	// objectEnded is when the object's part of the search ended.
	objectEnded time.Duration
	over        bool
	done        func(s *search)
	lookups     []*lookup
}

// held reports whether the node holds the dataset.
func (s *search) held() bool {
	return s.fetched || (s.heldAt >= 0 && s.heldAt <= s.r.sim.Now())
}

func (r *run) attribution(q int32, ds dataset, timeout, heldAt time.Duration, done func(*search)) {
	s := &search{r: r, q: q, ds: ds, pending: 3, hops: -1, heldAt: heldAt, done: done}
	if timeout > 0 {
		r.sim.After(timeout, s.end)
	}
	object := r.newLookup(q, ds.object, true)
	objectOver := false
	endObject := func() {
		if !objectOver {
			objectOver = true
			s.objectEnded = r.sim.Now()
			s.part()
		}
	}
	asks, objectPending := 0, 1
	objectDone := func() {
		if objectPending--; objectPending == 0 {
			endObject()
		}
	}
	object.onProvider = func(p int32, depth int) {
		if s.fetched || objectOver || asks >= searchConcurrency {
			return
		}
		if s.held() {
			// Brought by the announce topic meanwhile: the fetch finds
			// nothing missing and asks no one, and the search ends.
			object.Stop()
			endObject()
			return
		}
		asks++
		objectPending++
		r.request(q, p, func() any { return p == ds.publisher }, func(v any) {
			if !v.(bool) || s.fetched || objectOver {
				objectDone()
				return
			}
			r.sim.After(r.sync(), func() {
				if !s.fetched && !objectOver {
					s.fetched, s.hops, s.fetchedAt = true, depth, r.sim.Now()
					object.Stop()
					// A fetched object is new here: the node announces it
					// at once, while the other lookups go on.
					for _, k := range ds.keys() {
						r.provide(q, k, func() {})
					}
				}
				objectDone()
			})
		}, objectDone)
	}
	object.done = func(*lookup, []peer.ID) { objectDone() }
	claims := r.newLookup(q, ds.claims, true)
	claims.done = func(*lookup, []peer.ID) { s.part() }
	derived := r.newLookup(q, ds.derived, true)
	derived.done = func(*lookup, []peer.ID) { s.part() }
	s.lookups = []*lookup{object, claims, derived}
	start := r.sim.Now()
	if s.held() {
		// The store holds the subject: nothing to look for.
		s.lookups = s.lookups[1:]
		endObject()
	} else if heldAt >= 0 && !r.p.SubjectUntilFetched {
		polls := (heldAt - start + HeldPoll - 1) / HeldPoll
		r.sim.At(start+polls*HeldPoll, func() {
			if !s.fetched && !objectOver {
				object.Stop()
				endObject()
			}
		})
	}
	for _, l := range s.lookups {
		l.run()
	}
}

func (s *search) part() {
	if s.pending--; s.pending == 0 {
		s.end()
	}
}

func (s *search) end() {
	if s.over {
		return
	}
	s.over = true
	s.gossiped = s.heldAt >= 0 && s.heldAt <= s.r.sim.Now() && (!s.fetched || s.heldAt <= s.fetchedAt)
	s.done(s)
}

// Requests is how many requests the search's lookups had answered.
func (s *search) Requests() int {
	n := 0
	for _, l := range s.lookups {
		n += l.Queried
	}
	return n
}

// AttributionOptions says how attributions are timed.
type AttributionOptions struct {
	// CLI is what one CLI call costs around its search (start-up, the
	// API, the answer from the local index): half before the search,
	// half after. The latency command prints it as its floor.
	CLI time.Duration
	// CLIs, when set, replaces CLI: each call draws its cost from it.
	CLIs []time.Duration
	// Timeout bounds each search (the latency command's --timeout 5s).
	Timeout time.Duration
	// Poll is the wait between two calls of the end-to-end loop, Limit
	// its end (the latency command: 100 ms, 30 s).
	Poll, Limit time.Duration
	// Announce, when set, is the announce topic (gossip on): in the
	// end-to-end loop the node comes to hold the dataset this long after
	// the add, one drawn per loop (the gossip model's deliveries, say).
	// Empty: gossip off, as the latency command's -mode dht.
	Announce []time.Duration
}

func (o AttributionOptions) withDefaults() AttributionOptions {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Limit <= 0 {
		o.Limit = 30 * time.Second
	}
	return o
}

// cli is the cost of one CLI call.
func (o AttributionOptions) cli(r *run) time.Duration {
	if len(o.CLIs) > 0 {
		return o.CLIs[r.rng.IntN(len(o.CLIs))]
	}
	return o.CLI
}

// Attribution is one timed attribution of a dataset never seen.
type Attribution struct {
	// Query is one attribution call on a node that never saw the dataset,
	// once the publisher's records are in place; Found whether it named
	// the publisher; Hops the depth of the peer whose answer named the
	// provider (1: a peer of the node's own routing table); Requests the
	// requests its three lookups had answered.
	Query    time.Duration
	Found    bool
	Hops     int
	Requests int
	// Fetched is when the dataset was fetched, from the start of the
	// call; Dials how many new connections the call opened.
	Fetched time.Duration
	Dials   int
	// CPU is what the call cost every node in CPU, the node's
	// announcing of what it fetched included.
	CPU time.Duration
	// EndToEnd is the latency command's figure: from the moment the
	// publisher's add returns (its provide starting) until a call on the
	// other node, repeated every Poll, names the publisher; Calls is how
	// many calls that took; EndToEndFound false when Limit passed first.
	EndToEnd      time.Duration
	Calls         int
	EndToEndFound bool
	// Gossiped is whether the dataset came by the announce topic
	// (Announce) in the end-to-end loop before a provider gave it.
	Gossiped bool
}

// Attribution times attribution number i of the network: a random online
// node publishes a new dataset, another asks for its attribution. Two
// runs of the same i on the same network give the same result.
func (n *Network) Attribution(i int, o AttributionOptions) Attribution {
	o = o.withDefaults()
	var a Attribution
	// The query alone, once the records are in place.
	r := newRun(n, uint64(2*i))
	pub, q := r.pickTwo()
	ds := r.newDataset(pub)
	for _, k := range ds.keys() {
		r.provide(pub, k, func() {})
	}
	r.sim.Run(0)
	start, dials, cli, cpu := r.sim.Now(), len(r.dials), o.cli(r), r.cpuSpent
	r.attribution(q, ds, o.Timeout, -1, func(s *search) {
		a.Query = r.sim.Now() - start + cli
		a.Found, a.Hops, a.Requests = s.fetched, s.hops, s.Requests()
		a.Fetched = s.fetchedAt - start + cli/2
		a.Dials = len(r.dials) - dials
	})
	r.sim.Run(0)
	a.CPU = r.cpuSpent - cpu

	// The latency command's loop, from the add.
	r = newRun(n, uint64(2*i+1))
	pub, q = r.pickTwo()
	ds = r.newDataset(pub)
	for _, k := range ds.keys() {
		r.provide(pub, k, func() {})
	}
	heldAt := time.Duration(-1)
	if len(o.Announce) > 0 {
		heldAt = o.Announce[r.rng.IntN(len(o.Announce))]
	}
	var call func()
	call = func() {
		if r.sim.Now() >= o.Limit {
			return
		}
		a.Calls++
		cli := o.cli(r)
		r.sim.After(cli/2, func() {
			r.attribution(q, ds, o.Timeout, heldAt, func(s *search) {
				r.sim.After(cli-cli/2, func() {
					if s.fetched || s.gossiped {
						a.EndToEnd, a.EndToEndFound, a.Gossiped = r.sim.Now(), true, s.gossiped
						return
					}
					r.sim.After(o.Poll, call)
				})
			})
		})
	}
	call()
	r.sim.Run(o.Limit + o.Timeout + time.Minute)
	return a
}

// pickTwo returns two distinct online nodes at random.
func (r *run) pickTwo() (int32, int32) {
	pick := func() int32 {
		for {
			if n := r.net.Nodes[r.rng.IntN(len(r.net.Nodes))]; n.Online {
				return int32(n.Index)
			}
		}
	}
	a := pick()
	for {
		if b := pick(); b != a {
			return a, b
		}
	}
}

// Lookups times lookups number i: a random online node looks up the
// providers of k keys no one provides, all at once, and the time is until
// the last ends (cmd/sim measure -swarm times the same on real daemons).
func (n *Network) Lookups(i, k int) time.Duration {
	took, _ := n.LookupsCounted(i, k)
	return took
}

// LookupsCounted is Lookups, and the requests the k lookups had
// answered.
func (n *Network) LookupsCounted(i, k int) (took time.Duration, requests int) {
	r := newRun(n, uint64(1<<41+i))
	q, _ := r.pickTwo()
	left := k
	for range k {
		l := r.newLookup(q, r.newDataset(q).claims, true)
		l.done = func(l *lookup, _ []peer.ID) {
			requests += l.Queried
			if left--; left == 0 {
				took = r.sim.Now()
			}
		}
		l.run()
	}
	r.sim.Run(0)
	return took, requests
}
