package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// keysFailing is a node whose list of keys fails with err.
type keysFailing struct {
	fakeService
	err error
}

func (s keysFailing) Keys(context.Context) ([]api.KeyInfo, error) { return nil, s.err }

// TestRefusalsTakeTheStatusOfTheirKind: whatever the Service's error, the
// answer's status is the one api.StatusOf gives its kind, its body names
// the kind and says what failed, and an error no status describes is a
// 500 the log records.
func TestRefusalsTakeTheStatusOfTheirKind(t *testing.T) {
	for k := protocol.Other; !strings.HasPrefix(k.String(), "kind("); k++ {
		t.Run(k.String(), func(t *testing.T) {
			var logged bytes.Buffer
			err := protocol.E("list keys", k, "what went wrong")
			srv := httptest.NewServer(New(keysFailing{err: err}, Options{Log: slog.New(slog.NewTextHandler(&logged, nil))}))
			defer srv.Close()
			resp, gotErr := http.Get(srv.URL + "/v1/keys")
			if gotErr != nil {
				t.Fatal(gotErr)
			}
			defer resp.Body.Close()
			want, described := api.StatusOf(k)
			if !described {
				want = http.StatusInternalServerError
			}
			var body api.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != want || body.Kind != k.String() || body.Error != err.Error() {
				t.Errorf("answer %d %+v, want %d of kind %s saying %q", resp.StatusCode, body, want, k, err)
			}
			if got := strings.Contains(logged.String(), "what went wrong"); got == described {
				t.Errorf("logged %v (%q), want %v", got, logged.String(), !described)
			}
		})
	}
}

// bulkByLine is a node that refuses the envelope "bad" and stores any
// other, recording the batches it was given.
type bulkByLine struct {
	fakeService
	raws   *[][]byte
	unread *[]error
}

func (s bulkByLine) VerifyBulk(raws [][]byte, unread []error) StoreBulk {
	*s.raws = append(*s.raws, raws...)
	if unread == nil {
		unread = make([]error, len(raws))
	}
	*s.unread = append(*s.unread, unread...)
	return func() ([]Ingested, error) {
		out := make([]Ingested, len(raws))
		for i, raw := range raws {
			switch {
			case unread[i] != nil:
				out[i].Err = unread[i]
			case string(raw) == "bad":
				out[i].Err = protocol.E("verify", protocol.Invalid, "not an envelope")
			default:
				out[i].Put = api.PutResult{Kind: "claim", New: true, Signers: 1}
			}
		}
		return out, nil
	}
}

// TestBulkLines: the server splits an upload into lines, skips the blank
// ones, hands a line over MaxBulkLine to the node unread with its refusal,
// and numbers the results by line, a summary last.
func TestBulkLines(t *testing.T) {
	var raws [][]byte
	var unread []error
	srv := httptest.NewServer(New(bulkByLine{raws: &raws, unread: &unread}, Options{}))
	defer srv.Close()
	body := "good\n \n bad \n" + strings.Repeat("x", MaxBulkLine+1) + "\r\ngood"
	resp, err := http.Post(srv.URL+"/v1/objects/bulk", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines []api.BulkLine
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var l api.BulkLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("answer line %q: %v", sc.Bytes(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 5 || lines[4].Summary == nil {
		t.Fatalf("answer %+v: want 4 results and a summary", lines)
	}
	if got, want := *lines[4].Summary, (api.BulkSummary{Lines: 4, Stored: 2, Refused: 2}); got != want {
		t.Errorf("summary %+v, want %+v", got, want)
	}
	for i, want := range []struct {
		line  int
		error string
	}{{1, ""}, {3, "line 3: verify: not an envelope"}, {4, "line 4: bulk ingest: the line is over the limit"}, {5, ""}} {
		got := lines[i].BulkResult
		if got.Line != want.line || !strings.HasPrefix(got.Error, want.error) || (want.error == "") != got.New {
			t.Errorf("result %d: %+v, want line %d, error %q", i, got, want.line, want.error)
		}
	}
	if len(raws) != 4 || string(raws[0]) != "good" || string(raws[1]) != "bad" || raws[2] != nil || string(raws[3]) != "good" {
		t.Errorf("the node was given %q, want good, bad, nothing of the long line, good", raws)
	}
	if !protocol.IsKind(unread[2], protocol.TooLarge) || unread[0] != nil || unread[1] != nil || unread[3] != nil {
		t.Errorf("unread %v: want the long line alone, too large", unread)
	}
}

// slowDataset is a node that takes pause to publish any dataset, as one of
// many files under a manifest does.
type slowDataset struct {
	fakeService
	pause time.Duration
}

func (s slowDataset) AddDataset(_ context.Context, req api.AddDatasetRequest) (api.Published, error) {
	time.Sleep(s.pause)
	return api.Published{Kind: "dataset", Files: int(req.Manifest.Count)}, nil
}

// TestAPIManifestDatasetOutlastsWriteTimeout: publishing a dataset that
// names a manifest reads its whole tree and indexes every entry, which for
// millions of files takes longer than an ordinary request may; its answer
// is given the time its files take (SPEC §6.2 Timeouts).
func TestAPIManifestDatasetOutlastsWriteTimeout(t *testing.T) {
	pause := 2 * max(shortTimeouts.Read, shortTimeouts.Write)
	addr := serveAPI(t, slowDataset{pause: pause}, "", shortTimeouts)
	files := int64(4 * pause / manifestWork) // time for four pauses
	body := fmt.Sprintf(`{"name":"big","license":"CC0-1.0","manifest":{"root":%q,"count":%d,"bytes":1}}`,
		protocol.ArtifactID(protocol.SumDigest([]byte("root"))), files)
	resp, err := http.Post("http://"+addr+"/v1/datasets", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("a dataset that takes longer than the write timeout: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf(`"files":%d`, files)) {
		t.Fatalf("a dataset that takes longer than the write timeout: %d %s", resp.StatusCode, b)
	}
}
