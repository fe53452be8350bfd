package sim

import (
	"container/heap"
	"time"
)

// Sim is a discrete-event simulator: callbacks run in the order of their
// times, and among equal times in the order they were scheduled. It is not
// safe for concurrent use; a run owns its Sim.
type Sim struct {
	now  time.Duration
	seq  uint64
	q    eventHeap
	runs uint64 // events run
}

type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = event{}
	*h = old[:len(old)-1]
	return e
}

// Now is the simulated time.
func (s *Sim) Now() time.Duration { return s.now }

// At schedules fn at time t; a time already past runs it now, after the
// callbacks scheduled for now before it.
func (s *Sim) At(t time.Duration, fn func()) {
	if t < s.now {
		t = s.now
	}
	s.seq++
	heap.Push(&s.q, event{at: t, seq: s.seq, fn: fn})
}

// After schedules fn d after now.
func (s *Sim) After(d time.Duration, fn func()) { s.At(s.now+d, fn) }

// Run runs callbacks until none is left or the next is after limit (no
// limit when limit <= 0), and reports how many ran.
func (s *Sim) Run(limit time.Duration) uint64 {
	start := s.runs
	for len(s.q) > 0 {
		if limit > 0 && s.q[0].at > limit {
			break
		}
		e := heap.Pop(&s.q).(event)
		s.now = e.at
		s.runs++
		e.fn()
	}
	return s.runs - start
}

// Pending is how many callbacks wait.
func (s *Sim) Pending() int { return len(s.q) }
