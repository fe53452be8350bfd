package node

import (
	"bytes"
	"context"
	"fmt"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// garbageBody generates lines of garbage, lines of them, without holding
// the body in memory; every mib MiB produced it calls tick.
type garbageBody struct {
	lines, next int
	pending     []byte
	produced    int
	tick        func()
}

func (g *garbageBody) Read(p []byte) (int, error) {
	if len(g.pending) == 0 {
		if g.next == g.lines {
			return 0, io.EOF
		}
		var b []byte
		for ; g.next < g.lines && len(b) < 32<<10; g.next++ {
			b = fmt.Appendf(b, "garbage line %07d\n", g.next)
		}
		g.pending = b
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	if g.tick != nil && (g.produced+n)>>20 != g.produced>>20 {
		g.tick()
	}
	g.produced += n
	return n, nil
}

// A body of many garbage lines, with good envelopes among them: the answer
// describes the first apiserver.MaxBulkDescribed refused lines, each in at most
// apiserver.MaxBulkErrorText bytes, counts the others, and still reports every good
// envelope stored. The answer stays a few hundred kilobytes however many
// lines are refused.
func TestBulkGarbageAnswerBounded(t *testing.T) {
	n := newTestNode(t)
	_, url := apiClient(t, n)
	const garbage = 50000
	good := claimEnvelopes(t, 2)
	body := io.MultiReader(
		bytes.NewReader(append(bytes.Clone(good[0]), '\n')),
		&garbageBody{lines: garbage},
		bytes.NewReader(append(bytes.Clone(good[1]), '\n')),
	)
	results, sum, size := postBulk(t, url, body)
	want := api.BulkSummary{Lines: garbage + 2, Stored: 2, Refused: garbage, Undescribed: garbage - apiserver.MaxBulkDescribed}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if len(results) != apiserver.MaxBulkDescribed+2 {
		t.Fatalf("%d result lines, want %d: the refused lines described and the good ones", len(results), apiserver.MaxBulkDescribed+2)
	}
	if first, last := results[0], results[len(results)-1]; !first.New || first.Line != 1 || !last.New || last.Line != garbage+2 {
		t.Errorf("good envelopes: first %+v, last %+v", first, last)
	}
	for _, r := range results[1 : len(results)-1] {
		if !strings.HasPrefix(r.Error, fmt.Sprintf("line %d: ", r.Line)) || !strings.Contains(r.Error, "malformed JSON") {
			t.Fatalf("refused line: %+v", r)
		}
		if len(r.Error) > apiserver.MaxBulkErrorText {
			t.Fatalf("error of %d bytes: %q", len(r.Error), r.Error)
		}
	}
	if limit := (apiserver.MaxBulkDescribed + 2) * (apiserver.MaxBulkErrorText + 200); size > limit {
		t.Errorf("answer of %d bytes for %d garbage lines, want at most %d", size, garbage, limit)
	}
}

// Results come back while the body is still being sent: the client reads
// the first batch's results before it sends the rest. An upload that
// answered only at the end of its body would never get there.
func TestBulkStreamsResults(t *testing.T) {
	n := newTestNode(t)
	c, _ := apiClient(t, n)
	good := claimEnvelopes(t, 1)[0]
	pr, pw := io.Pipe()
	firstSeen := make(chan struct{})
	sent := make(chan error, 1)
	go func() {
		// One full batch, then wait for its first result before the rest.
		_, err := io.Copy(pw, &garbageBody{lines: apiserver.BulkBatch})
		if err == nil {
			select {
			case <-firstSeen:
			case <-time.After(time.Minute):
				err = fmt.Errorf("no result came back while the body was open")
			}
		}
		if err == nil {
			_, err = pw.Write(append(bytes.Clone(good), '\n'))
		}
		pw.CloseWithError(err)
		sent <- err
	}()
	var results []api.BulkResult
	sum, err := c.PutObjects(context.Background(), pr, func(r api.BulkResult) error {
		if len(results) == 0 {
			close(firstSeen)
		}
		results = append(results, r)
		return nil
	})
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines != apiserver.BulkBatch+1 || sum.Stored != 1 || len(results) != min(apiserver.BulkBatch, apiserver.MaxBulkDescribed)+1 {
		t.Errorf("summary %+v, %d results", sum, len(results))
	}
	if last := results[len(results)-1]; !last.New || last.Line != apiserver.BulkBatch+1 {
		t.Errorf("the envelope sent last: %+v", last)
	}
}

// A line over apiserver.MaxBulkLine is refused alone, too large, without being kept
// in memory; the lines around it are stored.
func TestBulkLongLineRefusedAlone(t *testing.T) {
	n := newTestNode(t)
	_, url := apiClient(t, n)
	good := claimEnvelopes(t, 2)
	var body bytes.Buffer
	body.Write(good[0])
	body.WriteString("\n")
	body.WriteString(`{"payloadType":"`)
	body.Write(bytes.Repeat([]byte("A"), apiserver.MaxBulkLine))
	body.WriteString("\"}\n")
	body.Write(good[1]) // the last line, without a newline
	results, sum, _ := postBulk(t, url, &body)
	if sum != (api.BulkSummary{Lines: 3, Stored: 2, Refused: 1}) {
		t.Errorf("summary %+v", sum)
	}
	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	if !results[0].New || !results[2].New || results[2].Line != 3 {
		t.Errorf("good lines: %+v, %+v", results[0], results[2])
	}
	if e := results[1].Error; results[1].Line != 2 || !strings.HasPrefix(e, "line 2:") || !strings.Contains(e, "over the limit") {
		t.Errorf("long line: %+v", results[1])
	}
}

// Ingesting half a million garbage lines (10 MB) leaves the heap where it
// was: nothing accumulates per line, in the node or in the answer. The heap
// is sampled while the body is being read; the bound is wide, and half of
// what a result kept per line would take (about 100 MB). The heap is the
// whole process's, which the goroutines of earlier tests still winding
// down can swell for a moment: the ingest is measured up to three times,
// and fails only if every time grew past the bound, as anything kept per
// line would.
func TestBulkHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("half a million lines")
	}
	n := newTestNode(t)
	_, url := apiClient(t, n)
	const (
		lines = 500_000
		bound = 48 << 20
	)
	for try := 1; ; try++ {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, peak := ms.HeapInuse, uint64(0)
		body := &garbageBody{lines: lines, tick: func() {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}}
		_, sum, size := postBulk(t, url, body)
		if sum.Refused != lines {
			t.Fatalf("summary %+v", sum)
		}
		t.Logf("heap in use: %d MiB before, at most %d MiB while ingesting %d lines; answer %d bytes", base>>20, peak>>20, lines, size)
		if peak <= base+bound {
			return
		}
		if try == 3 {
			t.Fatalf("heap in use grew from %d MiB to %d MiB while ingesting garbage, three times out of three, want less than %d MiB more", base>>20, peak>>20, bound>>20)
		}
	}
}
