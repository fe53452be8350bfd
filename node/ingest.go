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
// This is the path for bulk ingest: the fsync rate of the disk is paid once
// per batch, not once per object.
func (n *Node) IngestBatch(raws [][]byte) []store.PutResult {
	results := make([]store.PutResult, len(raws))
	objs := make([]*protocol.Object, len(raws))
	now := n.now()
	verifyParallel(len(raws), func(i int) {
		o, err := protocol.VerifyObject(raws[i])
		if err == nil {
			err = protocol.CheckTime(o, now)
		}
		objs[i], results[i].Err = o, err
	})
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
	stored, err := n.store.PutBatch(valid)
	for j, i := range at {
		switch {
		case err != nil:
			results[i] = store.PutResult{ID: objs[i].ID, Kind: objs[i].Kind, Err: err}
		default:
			results[i] = stored[j]
		}
		if results[i].Err != nil {
			n.metrics.refused.WithLabelValues(protocol.KindOf(results[i].Err).String()).Inc()
		} else {
			n.metrics.observePut(results[i])
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
// batches, calling emit with each result in input order.
func (n *Node) ingestStream(r io.Reader, emit func(PutResult) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), protocol.MaxEnvelopeSize+1)
	batch := make([][]byte, 0, bulkBatch)
	lines := make([]int, 0, bulkBatch)
	line := 0
	flush := func() error {
		for i, res := range n.IngestBatch(batch) {
			out := PutResult{ID: res.ID, Kind: res.Kind.String(), New: res.New, Added: res.Added, Signers: res.Signers}
			if res.Err != nil {
				out = PutResult{ID: res.ID, Error: fmt.Sprintf("line %d: %v", lines[i], res.Err)}
			}
			if err := emit(out); err != nil {
				return err
			}
		}
		batch, lines = batch[:0], lines[:0]
		return nil
	}
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		batch = append(batch, bytes.Clone(b))
		lines = append(lines, line)
		if len(batch) == bulkBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return protocol.E("bulk ingest", protocol.TooLarge, "a line is over the envelope limit of %d bytes", protocol.MaxEnvelopeSize)
		}
		return protocol.E("bulk ingest", protocol.Invalid, "read: %v", err)
	}
	return flush()
}
