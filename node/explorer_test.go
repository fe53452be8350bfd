package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// explorerData is what the explorer's tests read: a parent dataset, a
// child of it, a model trained on the child, and claims about the child
// at several trust levels, one of them withdrawn.
type explorerData struct {
	parent, child, derivation, artifact protocol.ID
	alice                               protocol.DID
	mutual, asserted, withdrawn         protocol.ID
}

func newExplorerData(t *testing.T, n *Node) explorerData {
	t.Helper()
	ctx := context.Background()
	alice, err := n.NewKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var d explorerData
	d.alice = alice.DID
	d.parent = mustDataset(t, n, "Weather Stations").ID
	d.child = mustDataset(t, n, "weather cleaned", d.parent).ID
	model := protocol.SumDigest([]byte("model weights"))
	der, err := n.Derive(ctx, api.DeriveRequest{Digest: model, Name: "forecast.bin", Inputs: []protocol.ID{d.child}, Activity: "trained-on"})
	if err != nil {
		t.Fatal(err)
	}
	d.derivation, d.artifact = der.ID, protocol.ArtifactID(model)
	claim := func(role string, w float64) protocol.ID {
		c, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.child, Role: role, Weight: w, As: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	d.mutual, d.asserted, d.withdrawn = claim("annotator", 0.5), claim("curator", 0.25), claim("reviewer", 0.1)
	if _, err := n.Cosign(ctx, d.mutual, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Revoke(ctx, d.withdrawn, api.RevokeRequest{Reason: "entered by mistake", As: "alice"}); err != nil {
		t.Fatal(err)
	}
	return d
}

// getJSON reads path from srv into v, and fails unless it answers 200.
func getJSON(t *testing.T, srv *httptest.Server, path string, v any) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

// The lineage of the child is its parent above it, and below it the
// derivation that trained on it and the model that derivation made; each
// edge points from the newer to the older, with the trust of the claims
// about its source.
func TestLineageAPI(t *testing.T) {
	n := newTestNode(t)
	d := newExplorerData(t, n)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	var lin api.Lineage
	getJSON(t, srv, "/v1/lineage/"+d.child.String()+"?local=1", &lin)
	depth := map[protocol.ID]int{}
	for _, x := range lin.Nodes {
		depth[x.ID] = x.Depth
	}
	want := map[protocol.ID]int{d.parent: -1, d.child: 0, d.derivation: 1, d.artifact: 2}
	if len(depth) != len(want) || lin.Nodes[0].ID != d.child || lin.Truncated {
		t.Fatalf("nodes = %+v, want depths %v, the subject first", lin.Nodes, want)
	}
	for id, w := range want {
		if depth[id] != w {
			t.Errorf("%s at depth %d, want %d", id, depth[id], w)
		}
	}
	type edge struct {
		source, target protocol.ID
		kind           string
	}
	got := map[edge]*protocol.Trust{}
	for _, e := range lin.Edges {
		got[edge{e.Source, e.Target, e.Kind}] = e.Trust
	}
	mutual := protocol.Mutual
	for e, trust := range map[edge]*protocol.Trust{
		{d.child, d.parent, "parent"}:      &mutual,
		{d.derivation, d.child, "input"}:   nil,
		{d.artifact, d.derivation, "made"}: nil,
	} {
		g, ok := got[e]
		if !ok {
			t.Errorf("no edge %+v in %+v", e, lin.Edges)
			continue
		}
		if (g == nil) != (trust == nil) || g != nil && *g != *trust {
			t.Errorf("edge %+v: trust %v, want %v", e, g, trust)
		}
	}
	if len(lin.Edges) != 3 {
		t.Errorf("%d edges, want 3: %+v", len(lin.Edges), lin.Edges)
	}
	// From the model, the same graph is reached upward.
	getJSON(t, srv, "/v1/lineage/"+d.artifact.String()+"?local=1", &lin)
	if len(lin.Nodes) != 4 || lin.Nodes[0].Label != "forecast.bin" || lin.Nodes[0].Kind != "artifact" {
		t.Errorf("lineage of the model: %+v", lin.Nodes)
	}
}

// A lineage of more nodes than the limit answers the limit and says it is
// truncated; 600 parents fit in the default limit.
func TestLineageLimit(t *testing.T) {
	n := newTestNode(t)
	var parents []protocol.ID
	for i := range 600 {
		parents = append(parents, mustDataset(t, n, fmt.Sprintf("part %03d", i)).ID)
	}
	var top []protocol.ID
	for i := 0; i < len(parents); i += 200 {
		top = append(top, mustDataset(t, n, fmt.Sprintf("group %d", i), parents[i:i+200]...).ID)
	}
	subject := mustDataset(t, n, "all", top...).ID
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	var lin api.Lineage
	getJSON(t, srv, "/v1/lineage/"+subject.String()+"?local=1", &lin)
	if len(lin.Nodes) != 604 || lin.Truncated || len(lin.Edges) != 603 {
		t.Fatalf("%d nodes, %d edges, truncated %v; want 604, 603, false", len(lin.Nodes), len(lin.Edges), lin.Truncated)
	}
	getJSON(t, srv, "/v1/lineage/"+subject.String()+"?local=1&limit=100", &lin)
	if len(lin.Nodes) != 100 || !lin.Truncated {
		t.Fatalf("limit 100: %d nodes, truncated %v", len(lin.Nodes), lin.Truncated)
	}
	for _, e := range lin.Edges {
		if !slicesHasNode(lin.Nodes, e.Source) || !slicesHasNode(lin.Nodes, e.Target) {
			t.Fatalf("edge %+v names a node not in the answer", e)
		}
	}
}

func slicesHasNode(nodes []api.LineageNode, id protocol.ID) bool {
	for _, x := range nodes {
		if x.ID == id {
			return true
		}
	}
	return false
}

// A key's page lists the claims naming it, each with its trust, the
// withdrawn one revoked and withdrawn, and what the key signed.
func TestDIDAPI(t *testing.T) {
	n := newTestNode(t)
	d := newExplorerData(t, n)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	var v api.DIDView
	getJSON(t, srv, "/v1/did/"+d.alice.String(), &v)
	want := map[protocol.ID]string{d.mutual: "mutual", d.asserted: "asserted", d.withdrawn: "revoked"}
	if len(v.Claims) != 3 {
		t.Fatalf("claims = %+v", v.Claims)
	}
	for _, c := range v.Claims {
		if c.Trust.String() != want[c.Claim] || c.Subject != d.child || c.SubjectName != "weather cleaned" || c.SubjectKind != "dataset" {
			t.Errorf("claim %+v: want trust %s about the child", c, want[c.Claim])
		}
		if (c.Claim == d.withdrawn) != (c.Revoked && c.Withdrawn) {
			t.Errorf("claim %s: revoked %v withdrawn %v", c.Claim, c.Revoked, c.Withdrawn)
		}
	}
	if len(v.Signed) != 4 { // three claims and the revocation
		t.Errorf("signed = %+v, want 4", v.Signed)
	}
	getJSON(t, srv, "/v1/did/"+d.alice.String()+"?limit=2", &v)
	if len(v.Claims) != 2 || v.Next != v.Claims[1].Claim {
		t.Fatalf("page of 2: %+v next %s", v.Claims, v.Next)
	}
	next := v.Next
	v = api.DIDView{}
	getJSON(t, srv, "/v1/did/"+d.alice.String()+"?limit=2&after="+next.String(), &v)
	if len(v.Claims) != 1 || !v.Next.IsZero() {
		t.Fatalf("second page: %+v next %s", v.Claims, v.Next)
	}
}

// A search reads its text as a did:key, a sha256, an ID or a name.
func TestSearchAPI(t *testing.T) {
	n := newTestNode(t)
	d := newExplorerData(t, n)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	file := protocol.SumDigest([]byte("Weather Stations a"))
	for _, tt := range []struct {
		q, kind string
		want    []string
	}{
		{"", "recent", []string{d.child.String(), d.parent.String()}},
		{"WEATHER", "name", []string{d.child.String(), d.parent.String()}},
		{"stations", "name", []string{d.parent.String()}},
		{"nothing like it", "name", nil},
		{file.Hex(), "sha256", []string{d.parent.String()}},
		{"sha256:" + strings.ToUpper(file.Hex()), "sha256", []string{d.parent.String()}},
		{d.derivation.String(), "id", []string{d.derivation.String()}},
		{d.artifact.String(), "id", []string{d.artifact.String()}},
		{d.alice.String(), "did", []string{d.alice.String()}},
	} {
		var res api.SearchResult
		getJSON(t, srv, "/v1/search?local=1&q="+urlQuery(tt.q), &res)
		var got []string
		for _, r := range res.Results {
			got = append(got, r.ID)
		}
		if res.Kind != tt.kind || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("q=%q: %s %v, want %s %v", tt.q, res.Kind, got, tt.kind, tt.want)
		}
	}
	var res api.SearchResult
	getJSON(t, srv, "/v1/search?limit=1", &res)
	if len(res.Results) != 1 || res.Next != "1" {
		t.Fatalf("page of 1: %+v", res)
	}
	res = api.SearchResult{}
	getJSON(t, srv, "/v1/search?limit=1&after=1", &res)
	if len(res.Results) != 1 || res.Results[0].ID != d.parent.String() || res.Next != "" {
		t.Fatalf("second page: %+v", res)
	}
	checkRefusals(t, srv, []refusal{
		{"bad ID", "GET", "/v1/search?q=bagaaieraxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "", 400, protocol.Invalid, "bagaaiera"},
		{"bad limit", "GET", "/v1/search?limit=0", "", 400, protocol.Invalid, "limit"},
		{"bad did", "GET", "/v1/did/did:key:nonsense", "", 400, protocol.Invalid, "did:key:nonsense"},
		{"lineage of nothing", "GET", "/v1/lineage/" + protocol.ObjectID([]byte("x")).String() + "?local=1", "", 404, protocol.NotFound, "not held here"},
	})
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "+", ":", "%3A")
	return r.Replace(s)
}

// The node page's answer counts what the store holds and carries the
// announce and gossip figures of /metrics.
func TestNodeStatusAPI(t *testing.T) {
	n := newTestNode(t)
	newExplorerData(t, n)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	var st api.NodeStatus
	getJSON(t, srv, "/v1/node", &st)
	if st.Objects.ByKind["dataset"] != 2 || st.Objects.ByKind["attribution"] != 3 || st.Objects.Total != 7 || st.DID != n.repo.NodeKey.DID() {
		t.Errorf("status = %+v", st)
	}
}
