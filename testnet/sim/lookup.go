package sim

import (
	"time"

	"github.com/libp2p/go-libp2p-kad-dht/qpeerset"
	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p/core/peer"
)

// lookup is one kad-dht lookup (query.go's runLookupWithFollowup) of key
// by node self: GET_PROVIDERS when providers is set, else FIND_NODE
// (GetClosestPeers). Its peers live in kad-dht's own qpeerset.
type lookup struct {
	r         *run
	self      int32
	key       string
	target    kb.ID
	providers bool

	qps    *qpeerset.QueryPeerset
	depth  map[peer.ID]int // 1 for a seed, d+1 for a peer a peer of depth d named
	gen    map[peer.ID]int // which round of requests to a peer an answer belongs to
	found  map[int32]bool
	ended  bool // the query stopped: answers of its rounds are dropped
	follow int  // follow-up requests in flight
	start  time.Duration

	// onProvider is called with each provider the lookup finds (not
	// self), and the depth of the peer that named it (0: self's own
	// record).
	onProvider func(p int32, depth int)
	// done is called once, when the lookup ends, with the closest peers
	// (the K closest heard of, not unreachable, as kad-dht returns them).
	done func(l *lookup, closest []peer.ID)

	calls []*call // requests sent or queued, not yet known done

	Queried  int // requests answered
	MaxDepth int // deepest peer answered
}

func (r *run) newLookup(self int32, key string, providers bool) *lookup {
	return &lookup{
		r: r, self: self, key: key, target: kb.ConvertKey(key), providers: providers,
		qps: qpeerset.NewQueryPeerset(key), depth: map[peer.ID]int{}, gen: map[peer.ID]int{},
		found: map[int32]bool{}, onProvider: func(int32, int) {}, done: func(*lookup, []peer.ID) {},
	}
}

// run starts the lookup: the node's own records first, then the K
// closest peers of its routing table.
func (l *lookup) run() {
	l.start = l.r.sim.Now()
	if l.providers {
		for _, p := range l.r.providers(l.key, l.self) {
			l.provider(p, 0)
		}
	}
	self := l.r.net.Nodes[l.self]
	seeds := self.RT.NearestPeers(l.target, l.r.p.BucketSize)
	if len(seeds) == 0 {
		l.finish()
		return
	}
	for _, p := range seeds {
		l.qps.TryAdd(p, self.ID)
		l.depth[p] = 1
	}
	l.step()
}

func (l *lookup) provider(p int32, depth int) {
	if p == l.self || l.found[p] {
		return
	}
	l.found[p] = true
	l.onProvider(p, depth)
}

// Stop ends the lookup at once, as the daemon's search cancels it once it
// holds what it asked for: no follow-up, answers dropped.
func (l *lookup) Stop() {
	if l.done == nil {
		return
	}
	l.ended = true
	l.follow = 0
	l.finish()
}

// step is query.run's loop body after an update: end if the lookup is
// over, else send requests until alpha are in flight.
func (l *lookup) step() {
	if l.ended || l.done == nil {
		return
	}
	switch {
	case l.qps.NumHeard() == 0 && l.qps.NumWaiting() == 0: // starvation
		l.terminate()
		return
	case l.completed():
		l.terminate()
		return
	}
	for _, p := range l.qps.GetClosestNInStates(l.r.p.Alpha-l.qps.NumWaiting(), qpeerset.PeerHeard) {
		l.qps.SetState(p, qpeerset.PeerWaiting)
		l.ask(p, false)
	}
}

// completed is query.isLookupTermination: the beta closest peers heard
// of have all answered.
func (l *lookup) completed() bool {
	for _, p := range l.qps.GetClosestNInStates(l.r.p.Beta, qpeerset.PeerHeard, qpeerset.PeerWaiting, qpeerset.PeerQueried) {
		if l.qps.GetState(p) != qpeerset.PeerQueried {
			return false
		}
	}
	return true
}

type answer struct {
	providers []int32
	closer    []peer.ID
}

// ask sends p a request; followUp requests only gather providers.
func (l *lookup) ask(p peer.ID, followUp bool) {
	l.gen[p]++
	gen := l.gen[p]
	to := int32(l.r.net.Node(p).Index)
	from := l.r.net.Nodes[l.self].ID
	serve := func() any {
		server := l.r.net.Nodes[to]
		var a answer
		if l.providers {
			a.providers = l.r.providers(l.key, to)
		}
		for _, c := range server.RT.NearestPeers(l.target, l.r.p.BucketSize) {
			if c != from {
				a.closer = append(a.closer, c)
			}
		}
		return a
	}
	stale := func() bool { return l.done == nil || l.gen[p] != gen || (l.ended && !followUp) }
	var c *call
	c = l.r.dhtRequest(l.self, to, func() bool { return !stale() }, serve, func(v any) {
		if stale() {
			return
		}
		a := v.(answer)
		l.Queried++
		l.MaxDepth = max(l.MaxDepth, l.depth[p])
		for _, prov := range a.providers {
			l.provider(prov, l.depth[p])
			if l.done == nil {
				return // a provider ended it
			}
		}
		if followUp {
			l.followed()
			return
		}
		if len(a.closer) > 2*l.r.p.BucketSize {
			a.closer = a.closer[:2*l.r.p.BucketSize]
		}
		for _, c := range a.closer {
			if l.qps.TryAdd(c, p) {
				l.depth[c] = l.depth[p] + 1
			}
		}
		l.qps.SetState(p, qpeerset.PeerQueried)
		l.step()
	}, func() {
		if stale() {
			return
		}
		if followUp {
			l.followed()
			return
		}
		l.qps.SetState(p, qpeerset.PeerUnreachable)
		l.step()
	})
	l.calls = append(l.calls, c)
}

// cancel resets the streams of the requests in flight that the lookup no
// longer wants, as cancelling their context does.
func (l *lookup) cancel() {
	calls := l.calls
	l.calls = nil
	for _, c := range calls {
		if !c.done && !c.live() {
			l.r.release(c)
		} else if !c.done {
			l.calls = append(l.calls, c)
		}
	}
}

// terminate ends the query and starts the follow-up: the K closest peers
// heard of that have not answered are asked, all at once (kad-dht's
// runLookupWithFollowup); the lookup is done when they all have.
func (l *lookup) terminate() {
	l.ended = true
	l.cancel()
	var ask []peer.ID
	for _, p := range l.qps.GetClosestNInStates(l.r.p.BucketSize, qpeerset.PeerHeard, qpeerset.PeerWaiting, qpeerset.PeerQueried) {
		if s := l.qps.GetState(p); s == qpeerset.PeerHeard || s == qpeerset.PeerWaiting {
			ask = append(ask, p)
		}
	}
	if len(ask) == 0 {
		l.finish()
		return
	}
	l.follow = len(ask)
	for _, p := range ask {
		l.ask(p, true)
	}
}

func (l *lookup) followed() {
	l.follow--
	if l.follow == 0 {
		l.finish()
	}
}

func (l *lookup) finish() {
	if l.done == nil {
		return
	}
	done := l.done
	l.done = nil
	l.cancel()
	closest := l.qps.GetClosestNInStates(l.r.p.BucketSize, qpeerset.PeerHeard, qpeerset.PeerWaiting, qpeerset.PeerQueried)
	done(l, closest)
}

// Took is how long the lookup has run.
func (l *lookup) Took() time.Duration { return l.r.sim.Now() - l.start }
