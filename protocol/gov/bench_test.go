package gov_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govHistory is a long, busy governance history for benchmarks: five
// stewards A to E with threshold 3 take turns proposing (a dataset
// status, a param, a key revocation, or adding and later removing F),
// and two or three others vote, mostly yes, now and then two at once on
// concurrent branches that the next update joins. One update a minute.
type govHistory struct {
	n   govNet
	dag *gov.DAG // after all of updates
	all []*gov.Update
	at  time.Time
	k   int // cycles made
}

var (
	govBenchOnce sync.Once
	govBench     *govHistory
	govBenchMore []*gov.Update // what follows govBench.all, one extending update at a time
)

// benchHistory returns a history of 10,000 updates and the 2,000 that
// would follow it.
func benchHistory(b *testing.B) (*govHistory, []*gov.Update) {
	govBenchOnce.Do(func() {
		h := &govHistory{n: newGovNet(b, "ABCDE", 3, nil), at: hour(0)}
		h.dag = gov.New(h.n.g, h.n.net)
		for len(h.all) < 10000 {
			h.cycle(b)
		}
		h.all = h.all[:10000]
		more := gov.New(h.n.g, h.n.net)
		more.AddAll(h.all)
		rest := &govHistory{n: h.n, dag: more, at: h.at, k: h.k}
		for len(rest.all) < 2000 {
			rest.cycle(b)
		}
		h.dag = gov.New(h.n.g, h.n.net)
		h.dag.AddAll(h.all)
		govBench, govBenchMore = h, rest.all
	})
	return govBench, govBenchMore
}

// cycle adds one proposal and its votes.
func (h *govHistory) cycle(b *testing.B) {
	stewards := "ABCDE"
	proposer := string(stewards[h.k%5])
	var p gov.Proposal
	switch h.k % 6 {
	case 0, 1:
		p = gov.Proposal{Action: gov.ActDatasetStatus, Dataset: protocol.ObjectID(fmt.Appendf(nil, "dataset %d", h.k)),
			Status: gov.StatusFlagged, Reason: "reported by a contributor"}
	case 2:
		p = gov.Proposal{Action: gov.ActSetParam, Name: fmt.Sprintf("param-%d", h.k%20), Value: fmt.Sprint(h.k)}
	case 3:
		p = gov.Proposal{Action: gov.ActRevokeKey, DID: govKeys[6+h.k%2].DID(), Effective: h.at, Reason: fmt.Sprintf("rotation %d", h.k)}
	case 4:
		p = gov.Proposal{Action: gov.ActAddSteward, DID: govKey("F").DID()}
	case 5:
		p = gov.Proposal{Action: gov.ActRemoveSteward, DID: govKey("F").DID()}
	}
	p.Expires = h.at.Add(72 * time.Hour)
	prop := h.add(b, h.n.propose(b, proposer, h.dag.Heads(), h.next(), p))
	voters := 2 + h.k%2
	parents := ids(prop)
	for i := 1; i <= voters; i++ {
		voter := string(stewards[(h.k+i)%5])
		yes := (h.k+i)%7 != 0
		v := h.n.vote(b, voter, parents, h.next(), prop.ID, yes)
		if h.k%4 == 0 && i == 1 {
			h.add(b, v) // the next vote is concurrent with this one
			continue
		}
		h.add(b, v)
		parents = h.dag.Heads()
	}
	h.k++
}

func (h *govHistory) next() time.Time {
	h.at = h.at.Add(time.Minute)
	return h.at
}

func (h *govHistory) add(b *testing.B, u *gov.Update) *gov.Update {
	if _, err := h.dag.Add(u); err != nil {
		b.Fatal(err)
	}
	h.all = append(h.all, u)
	return u
}

// BenchmarkGovFold10k folds 10,000 updates from scratch, given in a
// scrambled order. Goal: under 200 ms.
func BenchmarkGovFold10k(b *testing.B) {
	h, _ := benchHistory(b)
	us := make([]*gov.Update, len(h.all))
	for i, u := range h.all {
		us[(i*7919)%len(us)] = u // 7919 is prime: a permutation
	}
	b.ReportAllocs()
	for b.Loop() {
		s := gov.Fold(h.n.g, h.n.net, us)
		if s.Updates() < 8000 {
			b.Fatalf("%d updates applied", s.Updates())
		}
	}
}

// BenchmarkGovAddExtends adds to a state of 10,000 updates one update
// that extends the heads, as a new proposal or vote does. With State, it
// also takes the snapshot that the node takes after each update, and its
// hash. Goal: under 1 ms.
func BenchmarkGovAddExtends(b *testing.B) {
	for _, withState := range []bool{false, true} {
		name := "add"
		if withState {
			name = "add+state+hash"
		}
		b.Run(name, func(b *testing.B) {
			h, more := benchHistory(b)
			var dag *gov.DAG
			next := len(more)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if next == len(more) {
					b.StopTimer()
					dag = gov.New(h.n.g, h.n.net)
					dag.AddAll(h.all)
					dag.State()
					next = 0
					b.StartTimer()
				}
				res, err := dag.Add(more[next])
				if err != nil || len(res.Placed) != 1 {
					b.Fatalf("%+v %v", res, err)
				}
				if withState {
					dag.State().Hash()
				}
				next++
			}
		})
	}
}

// BenchmarkGovAddRefold adds to a state of 10,000 updates one update that
// sorts before the end of the fold order, as one from a concurrent branch
// does: its parent is 50 updates back (a branch that lagged a little), half
// way back, or the genesis (a branch that knew nothing). The fold starts
// again from the checkpoint before it.
func BenchmarkGovAddRefold(b *testing.B) {
	h, _ := benchHistory(b)
	for _, tc := range []struct {
		name   string
		parent []protocol.ID
	}{
		{"50-back", ids(h.all[len(h.all)-50])},
		{"half-way", ids(h.all[len(h.all)/2])},
		{"genesis", h.n.genesis()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			pool := make([]*gov.Update, 200)
			for i := range pool {
				pool[i] = h.n.vote(b, "A", tc.parent, hour(i), h.all[0].ID, true)
			}
			var dag *gov.DAG
			next := len(pool)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if next == len(pool) {
					b.StopTimer()
					dag = gov.New(h.n.g, h.n.net)
					dag.AddAll(h.all)
					next = 0
					b.StartTimer()
				}
				if _, err := dag.Add(pool[next]); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
	}
}

// BenchmarkGovStateHash10k is Hash of a snapshot of the state after
// 10,000 updates, which a snapshot computes once: the SHA-256 of the
// canonical form, with the canonical forms of closed proposals
// remembered from earlier snapshots, as they are in use. Cold is the
// first hash of a history, which writes them all.
func BenchmarkGovStateHash10k(b *testing.B) {
	h, _ := benchHistory(b)
	b.Run("warm", func(b *testing.B) {
		s := h.dag.State()
		b.ReportAllocs()
		for b.Loop() {
			gov.HashAfresh(s)
		}
		b.ReportMetric(float64(len(s.Canonical())), "canonical-bytes")
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s := gov.Fold(h.n.g, h.n.net, h.all)
			b.StartTimer()
			s.Hash()
		}
	})
}

// BenchmarkDecodeGovUpdate is the door of one update: envelope, signature,
// strict payload.
func BenchmarkDecodeGovUpdate(b *testing.B) {
	h, _ := benchHistory(b)
	for _, tc := range []struct {
		name string
		u    *gov.Update
	}{{"propose", h.all[0]}, {"vote", h.all[1]}} {
		b.Run(tc.name, func(b *testing.B) {
			raw := tc.u.Encode()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := gov.DecodeUpdate(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
