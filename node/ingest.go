package node

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// IngestBatch verifies many envelopes on every core, then stores the valid
// ones with as few syncs as the store allows. The result has one entry per
// input, in order; an entry's Err says why that envelope alone was refused.
// The fsync rate of the disk is paid once per batch, not once per object.
func (n *Node) IngestBatch(raws [][]byte) []store.PutResult {
	results, _ := n.storeVerified(n.verifyBatch(raws))
	return results
}

// IngestAll ingests raws in batches of apiserver.BulkBatch, as a bulk
// upload does, verifying the next batch while the store writes the last,
// and calls emit with every result in input order. This is bulk ingest: verification keeps every core busy and the
// store's single writer never waits for it.
func (n *Node) IngestAll(raws [][]byte, emit func(i int, r store.PutResult)) {
	verified := make(chan verifiedBatch, 1)
	go func() {
		defer close(verified)
		for lo := 0; lo < len(raws); lo += apiserver.BulkBatch {
			verified <- n.verifyBatch(raws[lo:min(lo+apiserver.BulkBatch, len(raws))])
		}
	}()
	i := 0
	for vb := range verified {
		results, _ := n.storeVerified(vb)
		for _, r := range results {
			emit(i, r)
			i++
		}
	}
}

// verifiedBatch is a batch between verification and storage: objs[i] is nil
// where results[i].Err says why raws[i] was refused.
type verifiedBatch struct {
	objs    []*protocol.Object
	results []store.PutResult
}

// verifyGroup is how many envelopes one core verifies with one call of
// protocol.VerifyObjects: few enough that the cores share a bulk batch
// evenly.
const verifyGroup = 64

// verifyBatch verifies raws on every core, verifyGroup envelopes at a
// time, and checks the clock. An object refused
// for any reason is nil in objs, so that nothing refused is stored.
func (n *Node) verifyBatch(raws [][]byte) verifiedBatch {
	vb := verifiedBatch{objs: make([]*protocol.Object, len(raws)), results: make([]store.PutResult, len(raws))}
	now := n.now()
	verifyParallel(len(raws), verifyGroup, func(lo, hi int) {
		objs, errs := protocol.VerifyObjects(raws[lo:hi])
		for j, o := range objs {
			err := errs[j]
			if err == nil {
				err = protocol.CheckTime(o, now)
			}
			if err != nil {
				o = nil
			}
			vb.objs[lo+j], vb.results[lo+j].Err = o, err
		}
	})
	return vb
}

// storeVerified stores the valid objects of vb. Its error is a failure of
// the store, which the results of the objects it did not commit carry too.
func (n *Node) storeVerified(vb verifiedBatch) ([]store.PutResult, error) {
	results, objs := vb.results, vb.objs
	valid := make([]*protocol.Object, 0, len(objs))
	at := make([]int, 0, len(objs))
	for i, o := range objs {
		if o != nil {
			valid = append(valid, o)
			at = append(at, i)
		} else {
			n.metrics.Refused(results[i].Err)
		}
	}
	// An error of PutBatch is a failure of the store: the results of what
	// it committed before are filled in, the others carry the error.
	stored, err := n.store.PutBatch(valid)
	if err != nil {
		n.log.Warn("bulk ingest: the store failed", "err", err)
	}
	for j, i := range at {
		results[i] = stored[j]
		if results[i].Err != nil {
			n.metrics.Refused(results[i].Err)
		} else {
			n.metrics.ObservePut(results[i])
			n.net.Stored(objs[i], results[i], swarm.FromAPI)
		}
	}
	return results, err
}

// verifyParallel runs f over [0, n) in contiguous ranges of at most chunk,
// on GOMAXPROCS goroutines.
func verifyParallel(n, chunk int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for lo := 0; lo < n; lo += chunk {
			f(lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				f(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
