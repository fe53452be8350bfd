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

func (n *Node) verifyBatch(raws [][]byte) verifiedBatch {
	vb := verifiedBatch{objs: make([]*protocol.Object, len(raws)), results: make([]store.PutResult, len(raws))}
	now := n.now()
	verifyParallel(len(raws), func(i int) {
		o, err := protocol.VerifyObject(raws[i])
		if err == nil {
			err = protocol.CheckTime(o, now)
		}
		vb.objs[i], vb.results[i].Err = o, err
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

// verifyParallel runs f(0..n-1) on GOMAXPROCS goroutines, each taking
// contiguous chunks so that the work stays cache-friendly.
func verifyParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	const chunk = 16
	var next atomic.Int64
	take := func() (int, int) {
		hi := int(next.Add(chunk))
		return hi - chunk, min(hi, n)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo, hi := take()
				if lo >= n {
					return
				}
				for i := lo; i < hi; i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}
