package node

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// newTestNode makes a node with a fresh repo and an in-memory store.
func newTestNode(t testing.TB) *Node {
	t.Helper()
	r, err := repo.Init(filepath.Join(t.TempDir(), "repo"), repo.InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(r, st, nil)
}

func fileEntry(name, content string) api.FileEntry {
	d := protocol.SumDigest([]byte(content))
	return api.FileEntry{Name: name, SHA256: d.Hex(), Size: int64(len(content))}
}

func mustDataset(t *testing.T, n *Node, name string, parents ...protocol.ID) api.Published {
	t.Helper()
	p, err := n.AddDataset(context.Background(), api.AddDatasetRequest{
		Name: name, License: "CC-BY-4.0", Parents: parents,
		Files: []api.FileEntry{fileEntry("a.txt", name+" a"), fileEntry("sub/b.csv", name+" b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishAndAttribute(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	alice, err := n.NewKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	parent := mustDataset(t, n, "parent")
	if parent.Files != 2 || parent.Bytes != int64(len("parent a")+len("parent b")) || !parent.New {
		t.Fatalf("dataset add = %+v", parent)
	}
	child := mustDataset(t, n, "child", parent.ID)

	claim, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: child.ID, Role: "annotator", Weight: 0.3, As: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	pclaim, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: parent.ID, Contributor: alice.DID.String(), Role: "author", Weight: 1})
	if err != nil {
		t.Fatal(err)
	}
	trustOf := func(subject protocol.ID, claim protocol.ID) string {
		t.Helper()
		a, err := n.Attribution(ctx, subject, api.QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.Contributors {
			if c.Claim == claim {
				return c.Trust.String()
			}
		}
		t.Fatalf("claim %s not in attribution of %s: %+v", claim, subject, a)
		return ""
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"alice alone", func() error { return nil }, "asserted"},
		{"publisher co-signs", func() error { _, err := n.Cosign(ctx, claim.ID, ""); return err }, "mutual"},
		{"steward endorses", func() error {
			_, err := n.Endorse(ctx, api.EndorseRequest{Subject: claim.ID, Standard: "verified-contribution"})
			return err
		}, "certified"},
		{"alice revokes", func() error {
			_, err := n.Revoke(ctx, claim.ID, api.RevokeRequest{Reason: "entered by mistake", As: "alice"})
			return err
		}, "revoked"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := trustOf(child.ID, claim.ID); got != s.want {
			t.Errorf("%s: trust = %s, want %s", s.name, got, s.want)
		}
	}
	// The publisher issued pclaim about alice: asserted until alice signs.
	if got := trustOf(parent.ID, pclaim.ID); got != "asserted" {
		t.Errorf("publisher's claim about alice: trust = %s, want asserted", got)
	}
	if _, err := n.Cosign(ctx, pclaim.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := trustOf(parent.ID, pclaim.ID); got != "mutual" {
		t.Errorf("after alice co-signs: trust = %s, want mutual", got)
	}

	a, err := n.Attribution(ctx, child.ID, api.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Lineage) != 1 || a.Lineage[0].ID != parent.ID || len(a.Lineage[0].Contributors) != 1 {
		t.Errorf("lineage of child = %+v, want the parent with its one contributor", a.Lineage)
	}

	loc, err := n.Locate(ctx, protocol.SumDigest([]byte("child b")), api.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(loc.Datasets) != 1 || loc.Datasets[0].ID != child.ID || loc.Datasets[0].Path != "sub/b.csv" {
		t.Errorf("locate = %+v", loc)
	}
	view, err := n.Dataset(ctx, parent.ID, api.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Children) != 1 || view.Children[0] != child.ID || view.License != "CC-BY-4.0" || len(view.Files) != 2 {
		t.Errorf("dataset show = %+v", view)
	}
}

func TestCosignKeepsID(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	n.NewKey(ctx, "bob")
	n.NewKey(ctx, "carol")
	d := mustDataset(t, n, "d")
	claim, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "author", Weight: 1, As: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := n.GetObject(ctx, claim.ID, api.QueryOptions{})
	p, err := n.Cosign(ctx, claim.ID, "") // the node key published d
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != claim.ID || p.Signers != 2 || !p.New {
		t.Errorf("cosign = %+v, want same ID, 2 signers", p)
	}
	again, err := n.Cosign(ctx, claim.ID, "")
	if err != nil || again.New || again.Signers != 2 {
		t.Errorf("second cosign = %+v, %v; want no change", again, err)
	}
	after, _ := n.GetObject(ctx, claim.ID, api.QueryOptions{})
	eb, _ := protocol.DecodeEnvelope(before)
	ea, _ := protocol.DecodeEnvelope(after)
	if eb.ID() != ea.ID() || len(ea.Signatures) != 2 {
		t.Errorf("envelope after cosign: id %s→%s, %d signatures", eb.ID(), ea.ID(), len(ea.Signatures))
	}

	// Only an attribution takes co-signatures, and only by a key with a
	// role in it; nothing is stored otherwise.
	_, err = n.Cosign(ctx, d.ID, "bob")
	wantErr(t, err, protocol.Invalid, "only attribution claims take co-signatures", "dataset")
	_, err = n.Cosign(ctx, claim.ID, "carol")
	wantErr(t, err, protocol.Invalid, "neither the issuer, the contributor nor the publisher", "not stored")
	for _, id := range []protocol.ID{d.ID, claim.ID} {
		env, _ := n.store.Envelope(id)
		if id == d.ID && len(env.Signatures) != 1 || id == claim.ID && len(env.Signatures) != 2 {
			t.Errorf("%s: %d signatures after refused cosigns", id, len(env.Signatures))
		}
	}
}

// TestRefusals shows that each kind of bad request gets an error that names
// what was wrong, of the right kind, and that nothing is stored.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	n.NewKey(ctx, "alice")
	n.NewKey(ctx, "mallory")
	d := mustDataset(t, n, "d")
	claim, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "author", Weight: 0.5, As: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	good := api.AddDatasetRequest{Name: "x", License: "MIT", Files: []api.FileEntry{fileEntry("f", "x")}}
	tests := []struct {
		name string
		do   func() error
		kind protocol.Kind
		msg  string
	}{
		{"weight zero", func() error {
			_, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "author", Weight: 0})
			return err
		}, protocol.Invalid, "weight 0 is outside (0,1]"},
		{"weight over one", func() error {
			_, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "author", Weight: 1.5})
			return err
		}, protocol.Invalid, "weight 1.5"},
		{"unknown key", func() error {
			_, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "author", Weight: 0.5, As: "carol"})
			return err
		}, protocol.NotFound, `no key named "carol"`},
		{"bad subject", func() error {
			return postRaw(t, n, "/v1/claims", `{"subject":"not-an-id","role":"author","weight":0.5}`)
		}, protocol.Invalid, `"not-an-id" is not a CID`},
		{"bad role", func() error {
			_, err := n.AddClaim(ctx, api.AddClaimRequest{Subject: d.ID, Role: "Chief Editor", Weight: 0.5})
			return err
		}, protocol.Invalid, "role"},
		{"revocation by another", func() error {
			_, err := n.Revoke(ctx, claim.ID, api.RevokeRequest{Reason: "mine now", As: "mallory"})
			return err
		}, protocol.Forbidden, "may not revoke"},
		{"revoke a dataset", func() error {
			_, err := n.Revoke(ctx, d.ID, api.RevokeRequest{Reason: "no"})
			return err
		}, protocol.Invalid, "only claims"},
		{"revoke unknown", func() error {
			_, err := n.Revoke(ctx, protocol.ObjectID([]byte("nothing")), api.RevokeRequest{Reason: "no"})
			return err
		}, protocol.NotFound, ""},
		{"dataset without license", func() error {
			r := good
			r.License = ""
			_, err := n.AddDataset(ctx, r)
			return err
		}, protocol.Invalid, "missing license"},
		{"dataset bad digest", func() error {
			r := good
			r.Files = []api.FileEntry{{Name: "f", SHA256: "abc", Size: 1}}
			_, err := n.AddDataset(ctx, r)
			return err
		}, protocol.Invalid, `file "f"`},
		{"dataset absolute path", func() error {
			r := good
			r.Files = []api.FileEntry{fileEntry("/etc/passwd", "x")}
			_, err := n.AddDataset(ctx, r)
			return err
		}, protocol.Invalid, "absolute"},
		{"dataset artifact parent", func() error {
			r := good
			r.Parents = []protocol.ID{protocol.MustParseID("sha256:" + strings.Repeat("ab", 32))}
			_, err := n.AddDataset(ctx, r)
			return err
		}, protocol.Invalid, "artifact"},
		{"dataset unknown parent", func() error {
			r := good
			r.Parents = []protocol.ID{protocol.ObjectID([]byte(`{"never":"published"}`))}
			_, err := n.AddDataset(ctx, r)
			return err
		}, protocol.NotFound, "not held by this node"},
		{"derivation unknown input", func() error {
			_, err := n.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("m")), Activity: "trained-on",
				Inputs: []protocol.ID{protocol.ObjectID([]byte(`{"never":"published"}`))}})
			return err
		}, protocol.NotFound, "allow_unknown_inputs"},
		{"object put garbage", func() error {
			_, err := n.PutObject(ctx, []byte(`{"payloadType":`))
			return err
		}, protocol.Invalid, "malformed JSON"},
	}
	before := indexSnapshot(t, n, d.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			if k := protocol.KindOf(err); k != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", k, tt.kind, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
	if after := indexSnapshot(t, n, d.ID); after != before {
		t.Errorf("refused requests changed the index:\nbefore %s\nafter  %s", before, after)
	}
}

// indexSnapshot renders what the node answers about a dataset and its
// neighbourhood, to show that refusals change nothing.
func indexSnapshot(t *testing.T, n *Node, id protocol.ID) string {
	t.Helper()
	ctx := context.Background()
	a, err := n.Attribution(ctx, id, api.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := n.Datasets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{a, ds})
	return string(b)
}

func TestFutureObjectRefused(t *testing.T) {
	n := newTestNode(t)
	n.now = func() time.Time { return time.Now().Add(time.Hour) }
	d := mustDataset(t, n, "from the future")
	n.now = time.Now
	raw, err := n.GetObject(context.Background(), d.ID, api.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := newTestNode(t)
	_, err = other.PutObject(context.Background(), raw)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "in the future") {
		t.Fatalf("put of a future object: %v, want an invalid error about the future", err)
	}
}

func TestHTTPErrors(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	tests := []struct {
		method, path, body string
		code               int
		kind               string
	}{
		{"GET", "/v1/attribution/nonsense", "", 400, "invalid"},
		{"GET", "/v1/objects/" + protocol.ObjectID([]byte("x")).String(), "", 404, "not found"},
		{"POST", "/v1/objects", `{"payloadType":"x","payload":"!!","signatures":[]}`, 400, "invalid"},
		{"POST", "/v1/claims", `{"subject":`, 400, "invalid"},
		{"POST", "/v1/claims", `{"unknown_field":1}`, 400, "invalid"},
		{"POST", "/v1/keys", `{"name":"node"}`, 409, "exists"},
		{"POST", "/v1/keys", `{"name":"Bad Name"}`, 400, "invalid"},
		{"POST", "/v1/objects", strings.Repeat(" ", protocol.MaxEnvelopeSize+10), 413, "too large"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body api.ErrorBody
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || body.Kind != tt.kind || body.Error == "" {
			t.Errorf("%s %s: %d %+v, want %d kind %q", tt.method, tt.path, resp.StatusCode, body, tt.code, tt.kind)
		}
	}
}

func TestAPIToken(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler("s3cret"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/id")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/id", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with token: status %d, want 200", resp.StatusCode)
	}
}

// A parent or input the node does not hold is published when the request
// says so, and only then (SPEC.md §6.2).
func TestUnknownParentsWhenAllowed(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	unknown := protocol.ObjectID([]byte(`{"never":"published"}`))
	ds, err := n.AddDataset(ctx, api.AddDatasetRequest{Name: "child", License: "CC0-1.0", Parents: []protocol.ID{unknown},
		Files: []api.FileEntry{fileEntry("a.txt", "a")}, AllowUnknownParents: true})
	if err != nil || !ds.New {
		t.Fatalf("dataset with an allowed unknown parent: %+v, %v", ds, err)
	}
	dv, err := n.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("m")), Activity: "trained-on",
		Inputs: []protocol.ID{unknown}, AllowUnknownInputs: true})
	if err != nil || !dv.New {
		t.Fatalf("derivation with an allowed unknown input: %+v, %v", dv, err)
	}
}

// writeTestFile writes data to path, making its directories.
func writeTestFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
