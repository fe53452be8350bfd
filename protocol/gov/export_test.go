package gov

import (
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// SetCheckpoints sets the spacing of the fold's checkpoints (see
// govDenseEvery) so that tests with few updates go through refolds that
// start from checkpoints and through their thinning, and returns a func
// that puts the defaults back.
func SetCheckpoints(denseEvery, denseWindow, sparseEvery int) (restore func()) {
	d, w, s := govDenseEvery, govDenseWindow, govSparseEvery
	govDenseEvery, govDenseWindow, govSparseEvery = denseEvery, denseWindow, sparseEvery
	return func() { govDenseEvery, govDenseWindow, govSparseEvery = d, w, s }
}

// HashAfresh computes s's hash as Hash does the first time, without
// the hash Hash remembers (the canonical forms of closed proposals stay
// remembered, as they do in use).
func HashAfresh(s *State) string {
	fresh := &State{network: s.network, heads: s.heads, f: s.f}
	return fresh.Hash()
}

// SetHeldMax sets the bound on held updates, and returns a func that
// puts the default back.
func SetHeldMax(n int) (restore func()) {
	old := govHeldMax
	govHeldMax = n
	return func() { govHeldMax = old }
}

// WithClearParamOp adds, for a test, an operation that SPEC.md does not
// have — clear-param NAME, which removes a param — as one entry of
// govOps, the way a real one is added, and returns a func that removes it.
func WithClearParamOp() (restore func()) {
	old := govOps
	govOps = append(slices.Clip(govOps), govOp{
		action: "clear-param",
		fields: fieldName,
		check:  func(p *Proposal) error { return protocol.CheckToken("name", p.Name) },
		void: func(s *govFold, p *Proposal) string {
			if _, set := s.params.m[p.Name]; !set {
				return VoidNoChange
			}
			return ""
		},
		effect: func(s *govFold, p *Proposal, _ *Update) bool {
			s.params.del(s.epoch, p.Name)
			return false
		},
	})
	return func() { govOps = old }
}
