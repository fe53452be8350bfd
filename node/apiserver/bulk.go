package apiserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// The bounds of a bulk upload (SPEC §6.2): what its answer describes, and
// what the pipeline holds at once, whatever the body.
const (
	// BulkBatch is how many envelopes of a bulk upload are verified and
	// stored together.
	BulkBatch = 1024
	// bulkBatchBytes closes a batch early: a batch being stored, one
	// being verified and one being read are held at once (the stages are
	// joined by unbuffered channels), so it bounds the envelopes held.
	bulkBatchBytes = 4 << 20
	// MaxBulkLine is the longest line of a bulk upload: an envelope and
	// white space around it. A longer line is refused unread.
	MaxBulkLine = protocol.MaxEnvelopeSize + 64
	// MaxBulkDescribed is how many refused lines the answer describes one
	// by one; those after are counted in the summary.
	MaxBulkDescribed = 1000
	// MaxBulkErrorText bounds the error message of a refused line, in bytes.
	MaxBulkErrorText = 256
	// bulkIdle ends an upload that neither reads a byte of its body nor
	// writes a line of its answer for this long.
	bulkIdle = time.Minute
)

// serveBulk answers POST /v1/objects/bulk: envelopes in, one per line,
// and results out, one per line, each batch's results written and flushed
// as soon as it is stored while the rest of the body is still being read.
// The answer ends with a summary line; it is always 200, since the status
// goes out before the body is read.
func serveBulk(svc Service, log *slog.Logger, w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	if err := rc.EnableFullDuplex(); err != nil && r.ProtoMajor == 1 {
		log.Warn("bulk ingest: the answer cannot stream while the body is read", "err", err)
	}
	// The upload lasts as long as it moves, whatever the server's
	// timeouts for other requests.
	extend := func(set func(time.Time) error) { set(time.Now().Add(bulkIdle)) }
	body := readFunc(func(p []byte) (int, error) {
		extend(rc.SetReadDeadline)
		return r.Body.Read(p)
	})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	extend(rc.SetWriteDeadline)
	rc.Flush()
	enc := json.NewEncoder(w)
	sum := ingestStream(svc, body, func(res api.BulkResult) error {
		extend(rc.SetWriteDeadline)
		return enc.Encode(res)
	}, func() error {
		extend(rc.SetWriteDeadline)
		return rc.Flush()
	})
	extend(rc.SetWriteDeadline)
	if err := enc.Encode(struct {
		Summary api.BulkSummary `json:"summary"`
	}{sum}); err == nil {
		rc.Flush()
	}
	if sum.Error == "" {
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
		return
	}
	log.Info("bulk ingest stopped", "lines", sum.Lines, "err", sum.Error)
	// The rest of the body was not read (a stalled or oversized body, a
	// failed store or answer): the connection cannot carry another request,
	// and the status is long gone, so the summary says why and the
	// connection is closed. The read deadline is made past first, or the
	// server would wait for the unread rest of the body before closing.
	rc.SetReadDeadline(time.Now())
	panic(http.ErrAbortHandler)
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

// bulkLines is a batch of a bulk upload on its way through the pipeline.
type bulkLines struct {
	raws  [][]byte
	lines []int   // the line number of each envelope
	over  []error // where not nil, the line was refused unread
	store StoreBulk
}

// ingestStream reads newline-delimited envelopes from r and ingests them in
// batches — reading, verifying and storing overlap — calling emit with the
// result of each in input order and flush after each batch. Refused lines
// past MaxBulkDescribed are counted, not emitted. It stops reading at a
// failure of the store or of emit, and at the end of r; the summary says
// which. What it holds at once is bounded by bulkBatchBytes and MaxBulkLine,
// whatever r holds.
func ingestStream(svc Service, r io.Reader, emit func(api.BulkResult) error, flush func() error) api.BulkSummary {
	var (
		sum     api.BulkSummary
		stop    atomic.Bool // set by the store stage: read no more
		readErr error
		lastNo  int // the number of the last line read, whole or not
	)
	read := make(chan bulkLines)
	go func() {
		defer close(read)
		br := bufio.NewReaderSize(r, 64<<10)
		var buf []byte
		b, size := bulkLines{}, 0
		for !stop.Load() {
			line, tooLong, err := readLine(br, buf[:0], MaxBulkLine)
			buf = line
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				break
			}
			lastNo++
			raw := bytes.TrimSpace(line)
			if len(raw) == 0 && !tooLong {
				continue
			}
			var over error
			if tooLong {
				over = protocol.E("bulk ingest", protocol.TooLarge, "the line is over the limit of %d bytes (an envelope of at most %d and white space); skipped unread", MaxBulkLine, protocol.MaxEnvelopeSize)
				raw = nil
				if b.over == nil {
					b.over = make([]error, len(b.raws), BulkBatch)
				}
			}
			b.raws = append(b.raws, bytes.Clone(raw))
			b.lines = append(b.lines, lastNo)
			if b.over != nil {
				b.over = append(b.over, over)
			}
			size += len(raw)
			if len(b.raws) == BulkBatch || size >= bulkBatchBytes {
				read <- b
				b, size = bulkLines{}, 0
			}
		}
		if len(b.raws) > 0 {
			read <- b
		}
	}()
	verified := make(chan bulkLines)
	go func() {
		defer close(verified)
		for b := range read {
			if !stop.Load() {
				b.store = svc.VerifyBulk(b.raws, b.over)
			}
			verified <- b
		}
	}()
	for b := range verified {
		if stop.Load() {
			continue // drain, so that the stages above finish
		}
		results, storeErr := b.store()
		var emitErr error
		for i, res := range results {
			sum.Lines++
			out := api.BulkResult{Line: b.lines[i], PutResult: res.Put}
			switch {
			case res.Err != nil:
				sum.Refused++
				if sum.Refused > MaxBulkDescribed {
					sum.Undescribed++
					continue
				}
				out.PutResult = api.PutResult{ID: res.Put.ID, Error: clipText(fmt.Sprintf("line %d: %v", b.lines[i], res.Err), MaxBulkErrorText)}
			case res.Put.New:
				sum.Stored++
			default:
				sum.Merged++
			}
			if emitErr == nil {
				emitErr = emit(out)
			}
		}
		if emitErr == nil {
			emitErr = flush()
		}
		last := b.lines[len(b.lines)-1]
		switch {
		case storeErr != nil:
			sum.Error, sum.Kind = fmt.Sprintf("the store failed at line %d or before: %v; the lines after line %d were not read", last, storeErr, last), protocol.KindOf(storeErr).String()
		case emitErr != nil:
			sum.Error, sum.Kind = fmt.Sprintf("the answer could not be written: %v; the lines after line %d were not read", emitErr, last), protocol.Transient.String()
		default:
			continue
		}
		stop.Store(true)
	}
	if readErr != nil && sum.Error == "" {
		var tooBig *http.MaxBytesError
		if errors.As(readErr, &tooBig) {
			sum.Error, sum.Kind = fmt.Sprintf("the body is over the limit of %d bytes at line %d; the lines before it were ingested", tooBig.Limit, lastNo+1), protocol.TooLarge.String()
		} else {
			kind := protocol.KindOf(readErr)
			if kind == protocol.Other {
				kind = protocol.Invalid
			}
			sum.Error, sum.Kind = fmt.Sprintf("read line %d: %v; the lines before it were ingested", lastNo+1, readErr), kind.String()
		}
	}
	return sum
}

// readLine reads the next line of br into buf, without its newline. A line
// longer than limit is read to its end and dropped: tooLong, and no bytes.
// The last line needs no newline; io.EOF comes after it.
func readLine(br *bufio.Reader, buf []byte, limit int) (line []byte, tooLong bool, err error) {
	read := false
	for {
		frag, err := br.ReadSlice('\n')
		read = read || len(frag) > 0
		if !tooLong {
			if len(buf)+len(frag) > limit+1 { // +1: the newline
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && read:
			return bytes.TrimSuffix(buf, []byte("\n")), tooLong, nil
		case err != nil:
			return buf[:0], false, err
		}
		return bytes.TrimSuffix(buf, []byte("\n")), tooLong, nil
	}
}

// clipText cuts s to at most max bytes, on a character boundary, marking
// the cut with an ellipsis.
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
