package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/store"
)

func TestBulkIngest(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()

	raws := claimEnvelopes(t, 2*apiserver.BulkBatch+5) // three batches
	tampered := bytes.Clone(raws[1])
	at := bytes.Index(tampered, []byte(`"sig":"`)) + len(`"sig":"`) + 10
	tampered[at] ^= 'A' ^ 'B' // still base64, no longer the signature
	if tampered[at] != 'A' && tampered[at] != 'B' {
		tampered[at] = 'A'
	}
	var body bytes.Buffer
	for i, r := range raws {
		if i == 1 {
			r = tampered
		}
		body.Write(r)
		body.WriteString("\n")
		if i == 3 {
			body.WriteString("\n{not json\n") // a blank line, then garbage on line 6
		}
	}
	body.Write(raws[0]) // a repeat: stored already, nothing new
	body.WriteString("\n")

	results, sum, _ := postBulk(t, srv.URL, &body)
	if want := len(raws) + 2; len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	if sum != (api.BulkSummary{Lines: len(raws) + 2, Stored: len(raws) - 1, Merged: 1, Refused: 2}) {
		t.Errorf("summary %+v", sum)
	}
	if results[4].Line != 6 || results[5].Line != 7 {
		t.Errorf("line numbers %d, %d, want 6 (the garbage) and 7", results[4].Line, results[5].Line)
	}
	if e := results[1].Error; !strings.HasPrefix(e, "line 2:") || !strings.Contains(e, "does not verify") {
		t.Errorf("tampered line: error %q", e)
	}
	if e := results[4].Error; !strings.HasPrefix(e, "line 6:") || !strings.Contains(e, "malformed JSON") {
		t.Errorf("garbage line: error %q", e)
	}
	if last := results[len(results)-1]; last.Error != "" || last.New {
		t.Errorf("repeated envelope: %+v, want stored before", last)
	}
	stored := 0
	for _, r := range results {
		if r.New {
			stored++
		}
	}
	if stored != len(raws)-1 {
		t.Errorf("%d stored, want %d", stored, len(raws)-1)
	}
	if _, err := n.store.Envelope(results[1].ID); err == nil && !results[1].ID.IsZero() {
		t.Error("the tampered envelope was stored")
	}
}

// postBulk posts body to the bulk route and reads the answer line by line:
// every line one JSON object, results first, the summary last. It returns
// the results, the summary and the size of the answer in bytes.
func postBulk(t *testing.T, url string, body io.Reader) ([]api.BulkResult, api.BulkSummary, int) {
	t.Helper()
	resp, err := http.Post(url+"/v1/objects/bulk", "application/x-ndjson", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var (
		results []api.BulkResult
		sum     *api.BulkSummary
		size    int
	)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		size += len(sc.Bytes()) + 1
		if sum != nil {
			t.Fatalf("a line after the summary: %s", sc.Bytes())
		}
		var line api.BulkLine
		if err := decodeAnswerLine(sc.Bytes(), &line); err != nil {
			t.Fatalf("answer line %q: %v", sc.Bytes(), err)
		}
		if line.Summary != nil {
			sum = line.Summary
			continue
		}
		results = append(results, line.BulkResult)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if sum == nil {
		t.Fatal("the answer has no summary line")
	}
	return results, *sum, size
}

func TestIngestAllOrder(t *testing.T) {
	n := newTestNode(t)
	raws := claimEnvelopes(t, apiserver.BulkBatch+3)
	next := 0
	n.IngestAll(raws, func(i int, r store.PutResult) {
		if i != next || r.Err != nil || !r.New {
			t.Fatalf("result %d (expected %d): %+v", i, next, r)
		}
		next++
	})
	if next != len(raws) {
		t.Fatalf("%d results, want %d", next, len(raws))
	}
}

// decodeAnswerLine reads one line of a bulk answer as a client of the
// contract would: one JSON value, no member the contract does not name.
func decodeAnswerLine(b []byte, v *api.BulkLine) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}
