package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/store"
)

func TestBulkIngest(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()

	raws := claimEnvelopes(t, 2*bulkBatch+5) // three batches
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

	resp, err := http.Post(srv.URL+"/v1/objects/bulk", "application/x-ndjson", &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var results []PutResult
	if err := json.NewDecoder(resp.Body).Decode(&results); err != nil {
		t.Fatal(err)
	}
	if want := len(raws) + 2; len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
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

func TestIngestAllOrder(t *testing.T) {
	n := newTestNode(t)
	raws := claimEnvelopes(t, bulkBatch+3)
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
