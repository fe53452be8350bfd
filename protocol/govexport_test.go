package protocol

import "slices"

// SetGovCheckpoints sets the spacing of the fold's checkpoints (see
// govDenseEvery) so that tests with few updates go through refolds that
// start from checkpoints and through their thinning, and returns a func
// that puts the defaults back.
func SetGovCheckpoints(denseEvery, denseWindow, sparseEvery int) (restore func()) {
	d, w, s := govDenseEvery, govDenseWindow, govSparseEvery
	govDenseEvery, govDenseWindow, govSparseEvery = denseEvery, denseWindow, sparseEvery
	return func() { govDenseEvery, govDenseWindow, govSparseEvery = d, w, s }
}

// GovHashAfresh computes s's hash as Hash does the first time, without
// the hash Hash remembers (the canonical forms of closed proposals stay
// remembered, as they do in use).
func GovHashAfresh(s *GovState) string {
	fresh := &GovState{network: s.network, heads: s.heads, f: s.f}
	return fresh.Hash()
}

// SetGovHeldMax sets the bound on held updates, and returns a func that
// puts the default back.
func SetGovHeldMax(n int) (restore func()) {
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
		check:  func(p *GovProposal) error { return checkToken("name", p.Name) },
		void: func(s *govFold, p *GovProposal) string {
			if _, set := s.params.m[p.Name]; !set {
				return VoidNoChange
			}
			return ""
		},
		effect: func(s *govFold, p *GovProposal, _ *GovUpdate) bool {
			s.params.del(s.epoch, p.Name)
			return false
		},
	})
	return func() { govOps = old }
}
