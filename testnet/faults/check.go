package faults

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// Summary is what a run found, printed as one JSON document. OK is false
// when the checker found a fault, each named in Faults.
type Summary struct {
	Schedule     string   `json:"schedule"`
	Command      string   `json:"command,omitempty"`
	Machine      string   `json:"machine,omitempty"`
	Nodes        int      `json:"nodes"`
	Seconds      float64  `json:"seconds"`
	Acknowledged int      `json:"acknowledged"`
	Lost         int      `json:"lost"`
	LostObjects  []Lost   `json:"lost_objects,omitempty"`
	StateHashes  []string `json:"state_hashes"`
	// ConvergedMS is how long after healing (or the end of the faults)
	// every node reported one state hash; -1 when they never did.
	ConvergedMS float64           `json:"converged_ms"`
	Crashes     []Crash           `json:"crashes"`
	RefusedHeld []string          `json:"refused_held"` // "node K holds ID"
	Reads       int               `json:"reads"`
	ReadErrors  int               `json:"read_errors"` // during faults a read may rightly fail
	Latency     map[string]Figure `json:"latency"`
	Notes       []string          `json:"notes,omitempty"`
	Faults      []string          `json:"faults"`
	OK          bool              `json:"ok"`
}

// Lost is an acknowledged object a node could not find.
type Lost struct {
	Acked
	From int `json:"from"`
}

// Figure is a latency distribution in milliseconds (nearest rank).
type Figure struct {
	N    int     `json:"n"`
	Min  float64 `json:"min_ms"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Goal string  `json:"goal,omitempty"`
	Met  *bool   `json:"met,omitempty"`
}

// NewFigure summarises d.
func NewFigure(d []time.Duration) Figure {
	if len(d) == 0 {
		return Figure{}
	}
	s := slices.Sorted(slices.Values(d))
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	return Figure{N: len(s), Min: ms(s[0]), P50: ms(testnet.Rank(s, 0.5)), P95: ms(testnet.Rank(s, 0.95)), P99: ms(testnet.Rank(s, 0.99)), Max: ms(s[len(s)-1])}
}

// WithGoal marks the figure against a goal on its p (0.95, 0.99).
func (f Figure) WithGoal(p float64, limit time.Duration, text string) Figure {
	v := f.P95
	if p == 0.99 {
		v = f.P99
	}
	met := f.N > 0 && v < float64(limit.Milliseconds())
	f.Goal, f.Met = text, &met
	return f
}

// Check runs the checker once the faults are over: within limit, every
// node running must find every acknowledged object (a network query from
// that node) and report one state hash; no daemon may have crashed; no
// node may hold an object that was refused. healed is when the faults
// ended, for ConvergedMS. It fills s and sets s.OK.
func (w *Workload) Check(ctx context.Context, s *Summary, healed time.Time, limit time.Duration) {
	c := w.c
	s.Nodes = len(c.Nodes)
	acked := w.Acked()
	s.Acknowledged = len(acked)
	var running, others []int
	for _, nd := range c.Nodes {
		if nd.Running() {
			if w.Honest != nil && !w.Honest(nd.K) {
				others = append(others, nd.K)
				continue
			}
			running = append(running, nd.K)
		}
	}
	if w.Honest != nil {
		// The checker holds the honest nodes to its rules; what the others
		// did is told.
		var kept []Acked
		for _, a := range acked {
			if w.Honest(a.Node) {
				kept = append(kept, a)
			}
		}
		s.Notes = append(s.Notes, fmt.Sprintf("the checker counts the honest nodes alone: %d objects acknowledged by nodes %v left out", len(acked)-len(kept), others))
		for _, k := range others {
			if st, err := c.Node(k).API().GovState(ctx); err == nil {
				s.Notes = append(s.Notes, fmt.Sprintf("node %d (not honest): state hash %s, %d updates", k, st.StateHash, st.Updates))
			}
		}
		acked = kept
	}
	// One state hash.
	hashes, converged := c.converge(ctx, running, limit)
	s.StateHashes = hashes
	s.ConvergedMS = -1
	if !converged.IsZero() {
		s.ConvergedMS = float64(converged.Sub(healed).Microseconds()) / 1000
	} else {
		s.Faults = append(s.Faults, fmt.Sprintf("%d state hashes after %s: %v", len(hashes), limit, hashes))
	}
	// Every acknowledged object from every node.
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(limit)
	for _, k := range running {
		wg.Go(func() {
			cl := c.Node(k).API()
			for _, a := range acked {
				for {
					qctx, cancel := context.WithTimeout(ctx, 6*time.Second)
					_, err := cl.GetObject(qctx, a.ID, api.QueryOptions{Timeout: 5 * time.Second})
					cancel()
					if err == nil {
						break
					}
					if time.Now().After(deadline) || ctx.Err() != nil {
						mu.Lock()
						s.LostObjects = append(s.LostObjects, Lost{Acked: a, From: k})
						mu.Unlock()
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	lostIDs := map[protocol.ID]bool{}
	for _, l := range s.LostObjects {
		lostIDs[l.ID] = true
	}
	s.Lost = len(lostIDs)
	if s.Lost > 0 {
		s.Faults = append(s.Faults, fmt.Sprintf("%d acknowledged objects not found from every node (%d misses)", s.Lost, len(s.LostObjects)))
	}
	// No refused object held.
	w.mu.Lock()
	refused := slices.Clone(w.refused)
	s.Faults = append(s.Faults, w.faults...)
	s.Reads, s.ReadErrors = w.reads, w.readErrs
	w.mu.Unlock()
	for _, k := range running {
		for _, id := range refused {
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.Node(k).API().GetObject(qctx, id, api.QueryOptions{Local: true})
			cancel()
			if err == nil {
				s.RefusedHeld = append(s.RefusedHeld, fmt.Sprintf("node %d holds %s", k, id))
			} else if protocol.KindOf(err) != protocol.NotFound {
				s.Faults = append(s.Faults, fmt.Sprintf("node %d: asking for refused %s: %v", k, id, err))
			}
		}
	}
	if len(s.RefusedHeld) > 0 {
		s.Faults = append(s.Faults, fmt.Sprintf("refused objects held: %v", s.RefusedHeld))
	}
	// No crash.
	s.Crashes = c.Crashes()
	if len(s.Crashes) > 0 {
		s.Faults = append(s.Faults, fmt.Sprintf("%d crashes", len(s.Crashes)))
	}
	if s.Crashes == nil {
		s.Crashes = []Crash{}
	}
	if s.RefusedHeld == nil {
		s.RefusedHeld = []string{}
	}
	if s.Faults == nil {
		s.Faults = []string{}
	}
	s.OK = len(s.Faults) == 0
}

// converge polls the nodes' state hashes every 25 ms until they are one,
// or limit passes: the distinct hashes last seen, and when they became
// one (the zero time: never).
func (c *Cluster) converge(ctx context.Context, nodes []int, limit time.Duration) ([]string, time.Time) {
	deadline := time.Now().Add(limit)
	for {
		seen := map[string]bool{}
		for _, k := range nodes {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			st, err := c.Node(k).API().GovState(qctx)
			cancel()
			if err != nil {
				seen[fmt.Sprintf("node %d: %v", k, err)] = true
			} else {
				seen[st.StateHash] = true
			}
		}
		hashes := slices.Sorted(func(yield func(string) bool) {
			for h := range seen {
				if !yield(h) {
					return
				}
			}
		})
		if len(hashes) == 1 {
			return hashes, time.Now()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return hashes, time.Time{}
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Figures are the workload's latency figures: attribution (dataset add
// → attribution on another node names the publisher) and governance
// (vote → new state hash on every node).
func (w *Workload) Figures() (attribution, gov Figure) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return NewFigure(w.attrib), NewFigure(w.gov)
}
