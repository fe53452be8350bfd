package sim

import (
	"math"
	"time"
)

// sharing is a machine's cores shared among the work in progress, each
// piece served at an equal rate (processor sharing, as Linux's fair
// scheduler shares cores among runnable threads), with Background
// threads of other work always runnable beside the nodes': n pieces of
// the nodes' work on C cores each go at min(1, C/(n+Background)) of a
// core. A piece that waits for a core is not charged as work: it only
// slows the others as much as it shares the cores with them.
type sharing struct {
	r     *run
	cores float64
	other float64
	jobs  []*job
	last  time.Duration // when the jobs' work left was last brought up to date
	gen   uint64        // the scheduled completion that is current
}

type job struct {
	left float64 // nanoseconds of CPU
	fn   func()
}

func (s *sharing) rate() float64 {
	return math.Min(1, s.cores/(float64(len(s.jobs))+s.other))
}

// advance brings the work left of every job up to now.
func (s *sharing) advance() {
	now := s.r.sim.Now()
	if len(s.jobs) > 0 {
		done := float64(now-s.last) * s.rate()
		for _, j := range s.jobs {
			j.left -= done
		}
	}
	s.last = now
}

// add runs fn once cost of CPU has been spent on it.
func (s *sharing) add(cost time.Duration, fn func()) {
	s.advance()
	s.jobs = append(s.jobs, &job{left: float64(cost), fn: fn})
	s.schedule()
}

// schedule sets the next completion: the job with least work left.
func (s *sharing) schedule() {
	s.gen++
	if len(s.jobs) == 0 {
		return
	}
	least := s.jobs[0].left
	for _, j := range s.jobs[1:] {
		least = min(least, j.left)
	}
	gen := s.gen
	at := s.r.sim.Now() + time.Duration(math.Ceil(math.Max(least, 0)/s.rate()))
	s.r.sim.At(at, func() {
		if gen != s.gen {
			return
		}
		s.advance()
		var done []*job
		kept := s.jobs[:0]
		for _, j := range s.jobs {
			if j.left <= 0.5 {
				done = append(done, j)
			} else {
				kept = append(kept, j)
			}
		}
		clear(s.jobs[len(kept):])
		s.jobs = kept
		s.schedule()
		for _, j := range done {
			j.fn()
		}
	})
}
