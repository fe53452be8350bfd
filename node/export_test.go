package node

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/export"
	"github.com/commons-p2p/commons/protocol"
)

// GET /v1/export/{id} answers each format with its media type and the
// very document node/export makes from the node's store and policy; the
// client reads it back byte for byte.
func TestExportAPI(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	parent := mustDataset(t, n, "parent")
	child := mustDataset(t, n, "child", parent.ID)
	c, err := api.NewClient(strings.TrimPrefix(srv.URL, "http://"), "")
	if err != nil {
		t.Fatal(err)
	}
	src := export.Source{Store: n.store, Policy: n.policy(), Standings: n.standings()}
	for _, f := range api.ExportFormats {
		want, err := export.Export(src, child.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Get(srv.URL + "/v1/export/" + child.ID.String() + "?local=1&format=" + string(f))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != f.ContentType() {
			t.Errorf("%s: %d %q, want 200 %q", f, resp.StatusCode, resp.Header.Get("Content-Type"), f.ContentType())
		}
		got, err := c.Export(t.Context(), child.ID, f, api.QueryOptions{Local: true})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s through the client: %v\n%s\nwant\n%s", f, err, got, want)
		}
	}
}

func TestExportAPIRefusals(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	ds := mustDataset(t, n, "refusals").ID.String()
	unknown := protocol.ObjectID([]byte("x")).String()
	checkRefusals(t, srv, []refusal{
		{"no format", "GET", "/v1/export/" + ds, "", 400, protocol.Invalid, `format "" is not one of prov, croissant, dot, intoto`},
		{"another format", "GET", "/v1/export/" + ds + "?format=svg", "", 400, protocol.Invalid, `format "svg"`},
		{"not an ID", "GET", "/v1/export/nonsense?format=dot", "", 400, protocol.Invalid, "nonsense"},
		{"unknown", "GET", "/v1/export/" + unknown + "?format=dot&local=1", "", 404, protocol.NotFound, unknown},
		{"an artifact nothing names", "GET", "/v1/export/" + protocol.ArtifactID(protocol.SumDigest([]byte("m"))).String() + "?format=croissant&local=1", "", 404, protocol.NotFound, "not stored here"},
	})
}
