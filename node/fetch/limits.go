package fetch

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// admission decides whether a server takes a new stream: a per-peer token
// bucket for the request rate, and caps on the streams served at once, in
// all and per peer. One mutex guards it all; it is held for a few map
// operations per stream.
type admission struct {
	rate      float64 // tokens per second
	burst     float64
	maxTotal  int
	maxPeer   int
	now       func() time.Time
	mu        sync.Mutex
	total     int
	streams   map[peer.ID]int
	buckets   map[peer.ID]*bucket
	sweepSize int // sweep idle buckets when the map grows past this
}

type bucket struct {
	tokens float64
	last   time.Time
}

const minSweepSize = 1024

func newAdmission(o ServerOptions) *admission {
	return &admission{
		rate: o.Rate, burst: float64(o.Burst),
		maxTotal: o.MaxStreams, maxPeer: o.MaxStreamsPerPeer,
		now:       time.Now,
		streams:   map[peer.ID]int{},
		buckets:   map[peer.ID]*bucket{},
		sweepSize: minSweepSize,
	}
}

// admit takes a token from p's bucket and a stream slot. On success the
// caller must call release(p) when the stream ends; otherwise code says
// why not.
func (a *admission) admit(p peer.ID) (code ErrorCode, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.takeToken(p) {
		return CodeRateLimited, false
	}
	if a.total >= a.maxTotal || a.streams[p] >= a.maxPeer {
		return CodeBusy, false
	}
	a.total++
	a.streams[p]++
	return 0, true
}

func (a *admission) release(p peer.ID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if a.streams[p]--; a.streams[p] <= 0 {
		delete(a.streams, p)
	}
}

func (a *admission) takeToken(p peer.ID) bool {
	now := a.now()
	b := a.buckets[p]
	if b == nil {
		if len(a.buckets) >= a.sweepSize {
			a.sweep(now)
		}
		b = &bucket{tokens: a.burst, last: now}
		a.buckets[p] = b
	}
	b.refill(now, a.rate, a.burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets the buckets that have refilled: a full bucket and no
// bucket mean the same. Peers that keep their buckets drained stay, so
// the next sweep waits until the map has doubled.
func (a *admission) sweep(now time.Time) {
	for p, b := range a.buckets {
		if b.refill(now, a.rate, a.burst); b.tokens >= a.burst {
			delete(a.buckets, p)
		}
	}
	a.sweepSize = max(minSweepSize, 2*len(a.buckets))
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.last = now
	}
}
