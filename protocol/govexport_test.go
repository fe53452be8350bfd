package protocol

// SetGovCheckpoints sets the spacing of the fold's checkpoints (see
// govDenseEvery) so that tests with few updates go through refolds that
// start from checkpoints and through their thinning, and returns a func
// that puts the defaults back.
func SetGovCheckpoints(denseEvery, denseWindow, sparseEvery int) (restore func()) {
	d, w, s := govDenseEvery, govDenseWindow, govSparseEvery
	govDenseEvery, govDenseWindow, govSparseEvery = denseEvery, denseWindow, sparseEvery
	return func() { govDenseEvery, govDenseWindow, govSparseEvery = d, w, s }
}
