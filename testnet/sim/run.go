package sim

import (
	"math/rand/v2"
	"slices"
	"time"
)

// run is one trial on a network: its own clock, randomness, CPUs, the
// connections dialled during it and the provider records given during
// it. The network's kept connections are shared and never changed.
type run struct {
	sim   *Sim
	net   *Network
	p     Params
	rng   *rand.Rand
	cpu   map[int32]time.Duration // node → when its CPU is free (Cores == 0)
	cores []time.Duration         // when each shared core is free (Cores > 0)
	share *sharing                // the shared cores (Cores > 0, Background > 0)
	dials map[[2]int32]dial
	// records are the provider records given in this run: key → the
	// node holding them → the providers they name.
	records  map[string]map[int32][]int32
	messages int           // requests and gossip messages sent
	cpuSpent time.Duration // CPU charged, every node
	senders  map[[2]int32]*sender
}

// dial is a connection opened during a run: usable from at, or failed.
type dial struct {
	at     time.Duration
	failed bool
}

func newRun(net *Network, seed uint64) *run {
	r := &run{
		sim: &Sim{}, net: net, p: net.P,
		rng:     rand.New(rand.NewPCG(net.P.Seed, seed)),
		cpu:     map[int32]time.Duration{},
		dials:   map[[2]int32]dial{},
		senders: map[[2]int32]*sender{},
		records: map[string]map[int32][]int32{},
	}
	if r.p.Cores > 0 && r.p.Background > 0 {
		r.share = &sharing{r: r, cores: float64(r.p.Cores), other: r.p.Background}
	} else if r.p.Cores > 0 {
		r.cores = make([]time.Duration, r.p.Cores)
	}
	return r
}

// delay is one message's time on the wire: half an RTT with jitter, and a
// retransmission timeout when a packet of it is lost.
func (r *run) delay() time.Duration {
	d := r.p.RTT / 2
	if r.p.Jitter > 0 {
		d += time.Duration(r.rng.NormFloat64() * float64(r.p.Jitter))
	}
	d = max(d, r.p.RTT/20)
	if r.p.Loss > 0 && r.rng.Float64() < r.p.Loss {
		d += r.p.RTO
	}
	return d
}

// compute runs fn once node n has spent cost of CPU, after the work it
// was given before.
func (r *run) compute(n int32, cost time.Duration, fn func()) {
	now := r.sim.Now()
	cost = time.Duration(float64(cost) * r.p.Stretch)
	r.cpuSpent += cost
	if r.share != nil {
		r.share.add(cost, fn)
		return
	}
	if r.cores != nil {
		best := 0
		for i, free := range r.cores {
			if free < r.cores[best] {
				best = i
			}
		}
		start := max(now, r.cores[best])
		r.cores[best] = start + cost
		r.sim.At(start+cost, fn)
		return
	}
	start := max(now, r.cpu[n])
	r.cpu[n] = start + cost
	r.sim.At(start+cost, fn)
}

// hopCosts returns what serving a request and handling its answer cost
// in CPU, and the waits before each that hold no CPU (HopCPU).
func (r *run) hopCosts() (serve, handle, serveWait, handleWait time.Duration) {
	h := r.p.HopCosts
	if len(h) == 0 {
		return r.p.Serve, r.p.Handle, 0, 0
	}
	c := h[r.rng.IntN(len(h))]
	var wait time.Duration
	if r.p.HopCPU > 0 && c > r.p.HopCPU {
		c, wait = r.p.HopCPU, c-r.p.HopCPU
	}
	if r.share != nil {
		wait = 0 // the sharing of the cores makes the wait
	}
	return c / 2, c - c/2, wait / 2, wait - wait/2
}

// sideWait is the wait, holding no CPU, before one side's handling of a
// message that is not a request (a gossip message): half the wait of a
// hop drawn from HopCosts, when HopCPU is set.
func (r *run) sideWait() time.Duration {
	h := r.p.HopCosts
	if r.p.HopCPU <= 0 || len(h) == 0 || r.share != nil {
		return 0
	}
	return max(h[r.rng.IntN(len(h))]-r.p.HopCPU, 0) / 2
}

// sync is the wait for one synced write.
func (r *run) sync() time.Duration {
	if s := r.p.Syncs; len(s) > 0 {
		return s[r.rng.IntN(len(s))]
	}
	return 0
}

// connected reports whether a and b hold a connection now.
func (r *run) connected(a, b int32) bool {
	if _, ok := r.net.Nodes[a].conns[b]; ok {
		return true
	}
	d, ok := r.dials[pair(a, b)]
	return ok && !d.failed && d.at <= r.sim.Now()
}

func pair(a, b int32) [2]int32 {
	if a > b {
		a, b = b, a
	}
	return [2]int32{a, b}
}

// connect calls then once a and b are connected, dialling when they are
// not, or fail when the dial fails. A dial under way is joined.
func (r *run) connect(a, b int32, then, fail func()) {
	if r.connected(a, b) {
		then()
		return
	}
	k := pair(a, b)
	if d, ok := r.dials[k]; ok {
		r.sim.At(d.at, func() {
			if d.failed {
				fail()
			} else {
				then()
			}
		})
		return
	}
	if !r.net.Nodes[b].Online {
		d := dial{at: r.sim.Now() + r.p.DeadDial, failed: true}
		r.dials[k] = d
		r.sim.At(d.at, fail)
		return
	}
	var wire time.Duration
	for range int(2 * r.p.DialRTTs) {
		wire += r.delay()
	}
	at := r.sim.Now() + wire + 2*r.p.Dial // each side's handshake work, one after the other
	r.dials[k] = dial{at: at}
	r.sim.At(at, func() {
		r.compute(a, r.p.Dial, func() {})
		r.compute(b, r.p.Dial, func() {})
		then()
	})
}

// request sends a request from a to b over a connection (dialled if
// need be): b answers with serve() after its CPU has served it, and a
// handles the answer with done after its CPU has handled it. fail is
// called instead when b cannot be reached.
func (r *run) request(a, b int32, serve func() any, done func(any), fail func()) {
	r.connect(a, b, func() {
		r.messages++
		cs, ch, ws, wh := r.hopCosts()
		r.sim.After(r.delay()+ws, func() {
			r.compute(b, cs, func() {
				answer := serve()
				r.sim.After(r.delay()+wh, func() {
					r.compute(a, ch, func() { done(answer) })
				})
			})
		})
	}, fail)
}

// sender is kad-dht's message sender from one node to one peer
// (Params.OneStreamPerPeer): one stream, one request at a time
// (peerMessageSender.SendRequest holds its lock from the write until the
// answer is read), so that the requests of lookups that run at once
// queue behind each other per peer.
type sender struct {
	busy  *call
	queue []*call
}

// call is one DHT request.
type call struct {
	from, to int32
	live     func() bool // false once its lookup no longer wants it
	start    func()
	done     bool // the sender is free of it
}

// dhtRequest is request from a to b as the daemon's DHT sends it. Each
// goes at once, on a stream of its own while b's others are busy; with
// OneStreamPerPeer it waits for the requests to b sent before it, and is
// dropped unsent if live reports false by then, the sender being free
// when the answer is read, or when release is called on the call (a
// cancelled request resets its stream).
func (r *run) dhtRequest(a, b int32, live func() bool, serve func() any, done func(any), fail func()) *call {
	c := &call{from: a, to: b, live: live}
	c.start = func() {
		r.request(a, b, serve, func(v any) {
			r.release(c)
			done(v)
		}, func() {
			r.release(c)
			fail()
		})
	}
	if !r.p.OneStreamPerPeer {
		c.start()
		return c
	}
	k := [2]int32{a, b}
	s := r.senders[k]
	if s == nil {
		s = &sender{}
		r.senders[k] = s
	}
	if s.busy != nil {
		s.queue = append(s.queue, c)
		return c
	}
	s.busy = c
	c.start()
	return c
}

// release is the end of c: with OneStreamPerPeer, its sender is free for
// the next request still wanted.
func (r *run) release(c *call) {
	if c.done {
		return
	}
	c.done = true
	if !r.p.OneStreamPerPeer {
		return
	}
	s := r.senders[[2]int32{c.from, c.to}]
	if s.busy != c {
		s.queue = slices.DeleteFunc(s.queue, func(q *call) bool { return q == c })
		return
	}
	s.busy = nil
	for len(s.queue) > 0 {
		next := s.queue[0]
		s.queue = s.queue[1:]
		if next.live() {
			s.busy = next
			next.start()
			return
		}
		next.done = true
	}
}

// send is a one-way message from a to b (a provider record): at b,
// after wait and once its CPU has spent cost, arrive runs.
func (r *run) send(a, b int32, cost, wait time.Duration, arrive func()) {
	r.connect(a, b, func() {
		r.messages++
		r.sim.After(r.delay()+wait, func() { r.compute(b, cost, arrive) })
	}, func() {})
}

// record gives node holder a record that provider provides key.
func (r *run) record(key string, holder, provider int32) {
	m := r.records[key]
	if m == nil {
		m = map[int32][]int32{}
		r.records[key] = m
	}
	if !slices.Contains(m[holder], provider) {
		m[holder] = append(m[holder], provider)
	}
}

// providers returns the providers of key that holder has records of.
func (r *run) providers(key string, holder int32) []int32 { return r.records[key][holder] }
