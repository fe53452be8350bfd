package browsertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// hostileName is a dataset name that would run script if it were ever
// parsed as markup. (Control and bidirectional characters never get this
// far: the node refuses them in a name, SPEC §3.2; graph.mjs feeds them
// to the graph directly.)
const hostileName = "<img src=x onerror=alert(1)><script>alert(2)</script>"

// walk is what the README's walkthrough leaves on a node, with the IDs
// the browser scripts look for (COMMONS_WALK, as JSON).
type walk struct {
	Corpus    string `json:"corpus"`  // the parent dataset
	Cleaned   string `json:"cleaned"` // its cleaned copy: the dataset the tests open
	Hostile   string `json:"hostile"` // a child of the cleaned copy with hostileName
	Model     string `json:"model"`   // the derivation of a model trained on the cleaned copy
	Artifact  string `json:"artifact"`
	Alice     string `json:"alice"` // mutual claim, and a claim she revoked
	Bob       string `json:"bob"`   // asserted and certified claims; made a steward
	Carol     string `json:"carol"` // acknowledged claim; her key revoked by governance
	Node      string `json:"node"`  // the node key: publisher and steward
	Revoked   string `json:"revoked_claim"`
	Open      string `json:"open_proposal"`
	FileHex   string `json:"file_sha256"` // of a file of the corpus
	FileBody  string `json:"file_body"`
	FileName  string `json:"file_name"`
	Mutual    string `json:"mutual_claim"`
	Certified string `json:"certified_claim"`
}

// walkthrough starts a daemon of the real binary on a repo of its own (a
// commons of one: its key is the only steward) and publishes through its
// API what the README's walkthrough does: two datasets, one the parent of
// the other, claims at every trust level, a revoked claim, a derivation,
// stewards' votes and an open proposal, and a dataset with a hostile
// name.
func walkthrough(t *testing.T) (*api.Client, walk) {
	t.Helper()
	browserTools(t)
	dir := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, dir)
	c, err := node.NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var w walk
	id, err := c.ID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Node = id.DID.String()
	key := func(name string) string {
		k, err := c.NewKey(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return k.DID.String()
	}
	w.Alice, w.Bob, w.Carol = key("alice"), key("bob"), key("carol")
	must := func(p api.Published, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p.ID.String()
	}
	file := func(name, body string) api.FileEntry {
		d := sha256.Sum256([]byte(body))
		return api.FileEntry{Name: name, SHA256: hex.EncodeToString(d[:]), Size: int64(len(body))}
	}
	w.FileName, w.FileBody = "part-0001.csv", "speaker,text\n1,bore da\n"
	w.FileHex = file(w.FileName, w.FileBody).SHA256
	w.Corpus = must(c.AddDataset(ctx, api.AddDatasetRequest{Name: "Welsh broadcast corpus", License: "CC-BY-4.0",
		Files: []api.FileEntry{file(w.FileName, w.FileBody), file("part-0002.csv", "speaker,text\n2,diolch\n"), file("README.md", "# corpus\n")}}))
	corpus, _ := protocol.ParseID(w.Corpus)
	files := make([]api.FileEntry, 0, 40)
	for i := range 40 {
		files = append(files, file("clean/part-"+strconv.Itoa(1000+i)+".csv", "row "+strconv.Itoa(i)+"\n"))
	}
	w.Cleaned = must(c.AddDataset(ctx, api.AddDatasetRequest{Name: "Welsh corpus, cleaned", License: "CC-BY-4.0",
		Parents: []protocol.ID{corpus}, Files: files}))
	cleaned, _ := protocol.ParseID(w.Cleaned)
	w.Hostile = must(c.AddDataset(ctx, api.AddDatasetRequest{Name: hostileName, License: "CC0-1.0",
		Parents: []protocol.ID{cleaned}, Files: []api.FileEntry{file("x.txt", "x")}}))

	claim := func(req api.AddClaimRequest) protocol.ID {
		t.Helper()
		req.Subject = cleaned
		p, err := c.AddClaim(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	mutual := claim(api.AddClaimRequest{Role: "annotator", Weight: 0.3, As: "alice"})
	if _, err := c.Cosign(ctx, mutual, api.CosignRequest{}); err != nil {
		t.Fatal(err)
	}
	w.Mutual = mutual.String()
	claim(api.AddClaimRequest{Role: "reviewer", Weight: 0.1, As: "bob"})
	certified := claim(api.AddClaimRequest{Role: "translator", Weight: 0.2, As: "bob"})
	if _, err := c.Endorse(ctx, api.EndorseRequest{Subject: certified, Standard: "pii-scrubbed"}); err != nil {
		t.Fatal(err)
	}
	w.Certified = certified.String()
	ack := claim(api.AddClaimRequest{Role: "curator", Weight: 0.2, As: "bob", Contributor: w.Carol})
	if _, err := c.Cosign(ctx, ack, api.CosignRequest{}); err != nil {
		t.Fatal(err)
	}
	revoked := claim(api.AddClaimRequest{Role: "transcriber", Weight: 0.1, As: "alice"})
	if _, err := c.Revoke(ctx, revoked, api.RevokeRequest{Reason: "entered by mistake", As: "alice"}); err != nil {
		t.Fatal(err)
	}
	w.Revoked = revoked.String()
	digest := protocol.SumDigest([]byte("weights"))
	w.Artifact = protocol.ArtifactID(digest).String()
	w.Model = must(c.Derive(ctx, api.DeriveRequest{Digest: digest, Inputs: []protocol.ID{cleaned}, Activity: "trained-on", Name: "welsh-asr"}))

	gov := func(req api.GovProposeRequest) api.GovPublished {
		t.Helper()
		p, err := c.GovPropose(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	gov(api.GovProposeRequest{Action: "add-steward", DID: w.Bob})
	gov(api.GovProposeRequest{Action: "revoke-key", DID: w.Carol, Effective: "2026-01-01T00:00:00Z", Reason: "laptop stolen"})
	p := gov(api.GovProposeRequest{Action: "set-threshold", Threshold: 2})
	if p.Status != "passed" {
		t.Fatalf("set-threshold 2 in a commons of one: %s, want passed", p.Status)
	}
	open := gov(api.GovProposeRequest{Action: "dataset-status", Dataset: corpus, Status: "flagged", Reason: "licence disputed"})
	if open.Status != "open" {
		t.Fatalf("a proposal under threshold 2 with one vote: %s, want open", open.Status)
	}
	w.Open = open.ID.String()
	return c, w
}

func walkEnv(t *testing.T, w walk) string {
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return "COMMONS_WALK=" + string(b)
}

// TestExplorerWalkthrough goes through the explorer of a node holding the
// walkthrough's data in headless Chromium as a person would: search, open
// the dataset, click through the lineage graph to the parent, open a
// contributor, open governance and the node page, all by keyboard too;
// axe-core on each page, a 375×667 viewport, deep links, the file
// dropped for hashing, and a hostile dataset name shown as text
// (explorer.mjs). Screenshots go to $COMMONS_SCREENSHOTS or testdata/out.
func TestExplorerWalkthrough(t *testing.T) {
	c, w := walkthrough(t)
	runScript(t, "explorer.mjs", "http://"+c.Addr(), walkEnv(t, w))
}

// TestExplorerCatchesTamperedEnvelope puts between the browser and the
// node a proxy that doctors the signed envelope of the dataset the page
// shows (GET /v1/objects/ID: its name changed in the payload, the
// signatures kept), and checks that the page, verifying in the browser,
// marks that answer not verified (tamper.mjs).
func TestExplorerCatchesTamperedEnvelope(t *testing.T) {
	c, w := walkthrough(t)
	target, _ := url.Parse("http://" + c.Addr())
	doctored := make(chan string, 16)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		r.Host = target.Host
		if isEnvelope(r.URL.Path, w.Cleaned) {
			r.Header.Del("Accept-Encoding")
			r.Header.Del("If-None-Match")
		}
	}
	proxy.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode != http.StatusOK || !isEnvelope(res.Request.URL.Path, w.Cleaned) {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		body = doctor(t, body)
		doctored <- res.Request.URL.String()
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
		res.Header.Del("ETag")
		return nil
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	runScript(t, "tamper.mjs", srv.URL, walkEnv(t, w))
	select {
	case u := <-doctored:
		t.Logf("doctored %s on its way to the browser", u)
	default:
		t.Fatalf("the page never asked for the envelope of %s (GET /v1/objects/%s): nothing was doctored", w.Cleaned, w.Cleaned)
	}
}

func isEnvelope(path, id string) bool {
	return path == "/v1/objects/"+id
}

// doctor changes the dataset's name inside a DSSE envelope's payload and
// keeps its signatures, as a node lying about what was signed would.
func doctor(t *testing.T, raw []byte) []byte {
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Errorf("the envelope is not JSON: %v", err)
		return raw
	}
	p, _ := env["payload"].(string)
	payload, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		t.Errorf("the envelope's payload is not base64: %v", err)
		return raw
	}
	changed := bytes.Replace(payload, []byte("Welsh corpus, cleaned"), []byte("Welsh corpus, doctored"), 1)
	if bytes.Equal(changed, payload) {
		t.Errorf("the dataset's name is not in its envelope's payload")
	}
	env["payload"] = base64.StdEncoding.EncodeToString(changed)
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
