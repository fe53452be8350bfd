package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// IngestBatch verifies many envelopes on every core, then stores the valid
// ones with as few syncs as the store allows. The result has one entry per
// input, in order; an entry's Err says why that envelope alone was refused.
// The fsync rate of the disk is paid once per batch, not once per object.
func (n *Node) IngestBatch(raws [][]byte) []store.PutResult {
	return n.storeVerified(n.verifyBatch(raws))
}

// IngestAll ingests raws in batches of bulkBatch, verifying the next batch
// while the store writes the last, and calls emit with every result in input
// order. This is bulk ingest: verification keeps every core busy and the
// store's single writer never waits for it.
func (n *Node) IngestAll(raws [][]byte, emit func(i int, r store.PutResult)) {
	verified := make(chan verifiedBatch, 1)
	go func() {
		defer close(verified)
		for lo := 0; lo < len(raws); lo += bulkBatch {
			verified <- n.verifyBatch(raws[lo:min(lo+bulkBatch, len(raws))])
		}
	}()
	i := 0
	for vb := range verified {
		for _, r := range n.storeVerified(vb) {
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

func (n *Node) storeVerified(vb verifiedBatch) []store.PutResult {
	results, objs := vb.results, vb.objs
	valid := make([]*protocol.Object, 0, len(objs))
	at := make([]int, 0, len(objs))
	for i, o := range objs {
		if o != nil {
			valid = append(valid, o)
			at = append(at, i)
		} else {
			n.metrics.refused.WithLabelValues(protocol.KindOf(results[i].Err).String()).Inc()
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
			n.metrics.refused.WithLabelValues(protocol.KindOf(results[i].Err).String()).Inc()
		} else {
			n.metrics.observePut(results[i])
			n.stored(objs[i], results[i], fromAPI)
		}
	}
	return results
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

// bulkBatch is how many envelopes of a bulk upload are verified and stored
// together.
const bulkBatch = 1024

// ingestStream reads newline-delimited envelopes and ingests them in
// batches — reading, verifying and storing overlap — calling emit with each
// result in input order.
func (n *Node) ingestStream(r io.Reader, emit func(PutResult) error) error {
	type batch struct {
		raws  [][]byte
		lines []int
		vb    verifiedBatch
	}
	read := make(chan batch, 1)
	var readErr error
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), protocol.MaxEnvelopeSize+1)
		b := batch{}
		line := 0
		for sc.Scan() {
			line++
			raw := bytes.TrimSpace(sc.Bytes())
			if len(raw) == 0 {
				continue
			}
			b.raws = append(b.raws, bytes.Clone(raw))
			b.lines = append(b.lines, line)
			if len(b.raws) == bulkBatch {
				read <- b
				b = batch{}
			}
		}
		if len(b.raws) > 0 {
			read <- b
		}
		readErr = sc.Err()
	}()
	verified := make(chan batch, 1)
	go func() {
		defer close(verified)
		for b := range read {
			b.vb = n.verifyBatch(b.raws)
			verified <- b
		}
	}()
	var emitErr error
	for b := range verified {
		if emitErr != nil {
			continue // drain, so that the stages above finish
		}
		for i, res := range n.storeVerified(b.vb) {
			out := PutResult{ID: res.ID, Kind: res.Kind.String(), New: res.New, Added: res.Added, Signers: res.Signers}
			if res.Err != nil {
				out = PutResult{ID: res.ID, Error: fmt.Sprintf("line %d: %v", b.lines[i], res.Err)}
			}
			if emitErr = emit(out); emitErr != nil {
				break
			}
		}
	}
	if emitErr != nil {
		return emitErr
	}
	if readErr != nil {
		if errors.Is(readErr, bufio.ErrTooLong) {
			return protocol.E("bulk ingest", protocol.TooLarge, "a line is over the envelope limit of %d bytes; the lines before it were ingested", protocol.MaxEnvelopeSize)
		}
		return protocol.E("bulk ingest", protocol.Invalid, "read: %v; the lines before it were ingested", readErr)
	}
	return nil
}
