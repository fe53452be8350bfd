package node

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
)

// A name from a peer that would be markup or script in a page reaches the
// explorer only as JSON text: every read the pages make escapes it, is
// served as application/json with nosniff, and carries a policy under
// which no document of its own could run anything.
func TestExplorerHostileNameInert(t *testing.T) {
	n := newTestNode(t)
	hostile := `<img src=x onerror=alert(1)></script><script>alert(2)</script>`
	ds, err := n.AddDataset(context.Background(), api.AddDatasetRequest{Name: hostile, License: "MIT", Files: []api.FileEntry{fileEntry("x.html", "<b>")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	id := ds.ID.String()
	for _, path := range []string{"/v1/search?q=img", "/v1/search", "/v1/datasets/" + id, "/v1/lineage/" + id + "?local=1",
		"/v1/did/" + n.repo.NodeKey.DID().String(), "/v1/attribution/" + id + "?local=1"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		if strings.ContainsAny(string(b), "<>") {
			t.Errorf("%s: markup written raw: %s", path, b)
		}
		if !strings.Contains(string(b), `\u003cimg`) && path != "/v1/did/"+n.repo.NodeKey.DID().String() {
			t.Errorf("%s: the name is not in the answer: %s", path, b)
		}
		h := resp.Header
		if h.Get("Content-Type") != "application/json" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

// The config's explorer switch opens the explorer's reads of a node whose
// API needs a token, and nothing else.
func TestExplorerPublicConfig(t *testing.T) {
	for _, public := range []bool{false, true} {
		n := newTestNode(t)
		n.repo.Config.Explorer.Public = public
		mustDataset(t, n, "open data")
		srv := httptest.NewServer(n.Handler("s3cret"))
		read, keys := get(t, srv, "/v1/search"), get(t, srv, "/v1/keys")
		want := http.StatusUnauthorized
		if public {
			want = http.StatusOK
		}
		if read != want || keys != http.StatusUnauthorized {
			t.Errorf("public=%v: search %d (want %d), keys %d (want 401)", public, read, want, keys)
		}
		srv.Close()
	}
}

func get(t *testing.T, srv *httptest.Server, path string) int {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
