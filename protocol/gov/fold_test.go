package gov_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestGovFoldMatchesReference folds random update sets three ways — the
// reference, Fold from scratch, and Governance.Add one update at a time
// in a random delivery order, with checkpoints made dense so that refolds
// start from them — and wants the same canonical state, the same log and
// the same hash from each. Some sets lack an update, so that its
// descendants stay held. Every snapshot taken on the way must still read
// as it did when taken.
func TestGovFoldMatchesReference(t *testing.T) {
	defer gov.SetCheckpoints(3, 12, 6)()
	seeds := 300
	if testing.Short() {
		seeds = 60
	}
	for seed := range uint64(seeds) {
		gen := newGovGen(t, seed)
		us := gen.set(1 + gen.r.IntN(45))
		if seed%5 == 4 && len(us) > 2 {
			us = slices.Delete(slices.Clone(us), len(us)/2, len(us)/2+1)
		}
		want := refFold(gen.n.g, gen.n.net, us)
		wantHash := "sha256:" + hex.EncodeToString(sha256Sum(want.canonical))

		shuffled := slices.Clone(us)
		gen.r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		folded := gov.Fold(gen.n.g, gen.n.net, shuffled)
		if got := folded.Canonical(); !bytes.Equal(got, want.canonical) {
			t.Fatalf("seed %d: Fold differs from the reference:\ngot  %s\nwant %s", seed, got, want.canonical)
		}
		if got := folded.Hash(); got != wantHash {
			t.Fatalf("seed %d: Fold hash %s, reference %s", seed, got, wantHash)
		}

		dag := gov.New(gen.n.g, gen.n.net)
		type snap struct {
			s    *gov.State
			text []byte
		}
		var snaps []snap
		for _, i := range gen.r.Perm(len(us)) {
			if _, err := dag.Add(us[i]); err != nil {
				t.Fatal(err)
			}
			s := dag.State()
			snaps = append(snaps, snap{s, s.Canonical()})
		}
		if got := dag.State().Canonical(); !bytes.Equal(got, want.canonical) {
			t.Fatalf("seed %d: Governance differs from the reference:\ngot  %s\nwant %s", seed, got, want.canonical)
		}
		if got := dag.State().Hash(); got != wantHash {
			t.Fatalf("seed %d: Governance hash %s, reference %s", seed, got, wantHash)
		}
		checkLog(t, seed, dag.Log(), want)
		for i, s := range snaps {
			if !bytes.Equal(s.s.Canonical(), s.text) {
				t.Fatalf("seed %d: snapshot %d changed after later updates", seed, i)
			}
		}
		distinct := map[protocol.ID]bool{}
		for _, u := range us {
			distinct[u.ID] = true
		}
		if left := len(distinct) - len(want.order); left > 0 != (len(dag.Missing()) == 1) || len(dag.Held()) != left {
			t.Errorf("seed %d: %d updates left out, %d held, missing %v; want the one left out", seed, left, len(dag.Held()), dag.Missing())
		}
	}
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// checkLog compares a Governance's log with the reference's verdicts.
func checkLog(t *testing.T, seed uint64, log []gov.LogEntry, want refResult) {
	t.Helper()
	if len(log) != len(want.order) {
		t.Fatalf("seed %d: log of %d updates, reference placed %d", seed, len(log), len(want.order))
	}
	for i, e := range log {
		w := want.verdicts[want.order[i].ID]
		if e.Update.ID != want.order[i].ID || e.Ignored != w.ignored || !slices.Equal(e.Closed, w.closed) {
			t.Fatalf("seed %d: log[%d] = %s ignored %q closed %v; reference %s ignored %q closed %v",
				seed, i, e.Update.ID, e.Ignored, e.Closed, want.order[i].ID, w.ignored, w.closed)
		}
	}
}

// TestGovFoldAnyOrder delivers the same set in every order — every
// permutation of small sets, many random ones of larger sets — and wants
// one state hash.
func TestGovFoldAnyOrder(t *testing.T) {
	defer gov.SetCheckpoints(2, 6, 4)()
	for seed := range uint64(36) {
		gen := newGovGen(t, 1000+seed)
		us := gen.set(3 + int(seed)%4)
		want := gov.Fold(gen.n.g, gen.n.net, us).Hash()
		n := 0
		permute(len(us), func(perm []int) {
			n++
			dag := gov.New(gen.n.g, gen.n.net)
			for _, i := range perm {
				addAll(t, dag, us[i])
			}
			if got := dag.State().Hash(); got != want {
				t.Fatalf("seed %d, order %v: hash %s, want %s", seed, perm, got, want)
			}
		})
		if want := factorial(len(us)); n != want {
			t.Fatalf("%d permutations of %d, want %d", n, len(us), want)
		}
	}
	for seed := range uint64(6) {
		gen := newGovGen(t, 2000+seed)
		us := gen.set(60)
		want := gov.Fold(gen.n.g, gen.n.net, us).Hash()
		r := rand.New(rand.NewPCG(seed, 1))
		for range 60 {
			dag := gov.New(gen.n.g, gen.n.net)
			for _, i := range r.Perm(len(us)) {
				addAll(t, dag, us[i])
			}
			if got := dag.State().Hash(); got != want {
				t.Fatalf("seed %d: hash %s, want %s", seed, got, want)
			}
		}
	}
}

// permute calls f with every permutation of 0..n-1 (Heap's algorithm).
func permute(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var gen func(k int)
	gen = func(k int) {
		if k <= 1 {
			f(p)
			return
		}
		for i := range k {
			gen(k - 1)
			if k%2 == 0 {
				p[i], p[k-1] = p[k-1], p[i]
			} else {
				p[0], p[k-1] = p[k-1], p[0]
			}
		}
	}
	gen(n)
}

func factorial(n int) int {
	if n <= 1 {
		return 1
	}
	return n * factorial(n-1)
}

// TestNewGovOperationIsOneEntry: an operation added as one entry of the
// table (WithClearParamOp) is decoded, checked, folded, made void and
// written into the canonical form and the JSON of the state with no other
// change to the code.
func TestNewGovOperationIsOneEntry(t *testing.T) {
	defer gov.WithClearParamOp()()
	n := newGovNet(t, "A", 1, map[string]string{"review-days": "14"})
	clear := n.propose(t, "A", n.genesis(), hour(1), gov.Proposal{Action: "clear-param", Name: "review-days", Expires: hour(48)})
	again := n.propose(t, "A", []protocol.ID{clear.ID}, hour(2), gov.Proposal{Action: "clear-param", Name: "review-days", Expires: hour(48)})
	if _, err := gov.DecodeUpdate(clear.Encode()); err != nil {
		t.Fatalf("the new operation does not decode: %v", err)
	}
	dag := gov.New(n.g, n.net)
	addAll(t, dag, clear, again)
	s := dag.State()
	if _, ok := s.Params()["review-days"]; ok {
		t.Errorf("params after clear-param: %v", s.Params())
	}
	first, _ := s.Proposal(clear.ID)
	second, _ := s.Proposal(again.ID)
	if first.Status != gov.ProposalPassed || second.Status != gov.ProposalVoid || second.Void != gov.VoidNoChange {
		t.Errorf("clear-param then again: %s, %s (%s); want passed, then void no-change", first.Status, second.Status, second.Void)
	}
	canon := string(s.Canonical())
	if !strings.Contains(canon, `"action":"clear-param"`) || !strings.Contains(canon, `"name":"review-days"`) {
		t.Errorf("the canonical form does not spell the new operation: %s", canon)
	}
	if _, err := gov.NewUpdate(n.net, govKey("A"), n.genesis(), hour(3), &gov.Proposal{Action: "clear-param", Name: "x", Value: "1", Expires: hour(48)}, nil); err == nil || !strings.Contains(err.Error(), "value is not a field of this action") {
		t.Errorf("clear-param with a value: %v, want refused", err)
	}
}
