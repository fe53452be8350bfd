package node

// Refusals of the HTTP API that the CLI never lets through (it checks its
// arguments first, and sends well-formed JSON), sent here as any other
// client could send them: each gets its status, its kind, and a message
// that says what was wrong.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// refusal is a request and what the API must answer.
type refusal struct {
	name         string
	method, path string
	body         string
	code         int
	kind         protocol.Kind
	want         string // in the error message
}

// apiCall sends a request with a JSON body to srv and returns the status
// and the error body.
func apiCall(t *testing.T, srv *httptest.Server, method, path string, body io.Reader) (int, api.ErrorBody) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &eb); err != nil {
			t.Errorf("%s %s: status %d with a body that is not an error: %q", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, eb
}

// postRaw sends body to path on n's API, as any client could, and returns
// the error the API answered with, or nil.
func postRaw(t *testing.T, n *Node, path, body string) error {
	t.Helper()
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	code, eb := apiCall(t, srv, "POST", path, strings.NewReader(body))
	if code == http.StatusOK {
		return nil
	}
	kind, _ := api.KindNamed(eb.Kind)
	return &protocol.Error{Kind: kind, Err: errors.New(eb.Error)}
}

// checkRefusals sends each request to srv and checks its answer.
func checkRefusals(t *testing.T, srv *httptest.Server, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, eb := apiCall(t, srv, tt.method, tt.path, strings.NewReader(tt.body))
			if code != tt.code || eb.Kind != tt.kind.String() || !strings.Contains(eb.Error, tt.want) {
				t.Errorf("%s %s: %d %+v; want %d, kind %q, a message with %q", tt.method, tt.path, code, eb, tt.code, tt.kind, tt.want)
			}
		})
	}
}

func TestAPIRefusesMalformedBodies(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	ds := mustDataset(t, n, "refusals")
	claim := `{"subject":"` + ds.ID.String() + `","role":"curator","weight":1}`
	before := indexSnapshot(t, n, ds.ID)
	checkRefusals(t, srv, []refusal{
		{"a second value", "POST", "/v1/claims", claim + ` {}`, 400, protocol.Invalid, "data after the JSON value"},
		{"a second object glued on", "POST", "/v1/claims", claim + claim, 400, protocol.Invalid, "data after the JSON value"},
		{"a stray brace", "POST", "/v1/claims", claim + `}`, 400, protocol.Invalid, "data after the JSON value"},
		{"a stray bracket", "POST", "/v1/keys", `{"name":"carol"}]`, 400, protocol.Invalid, "data after the JSON value"},
		{"a word after it", "POST", "/v1/keys", `{"name":"carol"} carol`, 400, protocol.Invalid, "data after the JSON value"},
		{"an unknown field", "POST", "/v1/claims", `{"subject":"` + ds.ID.String() + `","rol":"curator"}`, 400, protocol.Invalid, `unknown field "rol"`},
		{"a cut-off body", "POST", "/v1/swarm/connect", `{"addr":`, 400, protocol.Invalid, "malformed JSON request"},
	})
	// Whitespace after the value is not data.
	if code, eb := apiCall(t, srv, "POST", "/v1/keys", strings.NewReader("{\"name\":\"dave\"}\n \t\n")); code != http.StatusOK {
		t.Errorf("a body with trailing whitespace: %d %+v", code, eb)
	}
	keys, err := n.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "carol" {
			t.Error("a refused request made the key carol")
		}
	}
	if after := indexSnapshot(t, n, ds.ID); after != before {
		t.Errorf("refused requests changed the index:\nbefore %s\nafter  %s", before, after)
	}
}

// TestAPIRefusesBadIDs: an ID or a digest in a request body that is not
// one is refused before the node sees the request, naming the member and
// the value; nothing is published.
func TestAPIRefusesBadIDs(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	ds := mustDataset(t, n, "bad ids")
	id := ds.ID.String()
	digest := protocol.SumDigest([]byte("model")).String()
	before := indexSnapshot(t, n, ds.ID)
	checkRefusals(t, srv, []refusal{
		{"claim subject", "POST", "/v1/claims", `{"subject":"not-an-id","role":"curator","weight":1}`, 400, protocol.Invalid, `subject: parse id: "not-an-id" is not a CID`},
		{"endorsement subject", "POST", "/v1/endorsements", `{"subject":"bafy-nope","standard":"s"}`, 400, protocol.Invalid, `subject: parse id: "bafy-nope"`},
		{"dataset parent", "POST", "/v1/datasets", `{"name":"d","license":"MIT","parents":["` + id + `","zzz"],"files":[]}`, 400, protocol.Invalid, `parents: parse id: "zzz"`},
		{"derivation digest", "POST", "/v1/derivations", `{"digest":"sha256:abc","inputs":["` + id + `"],"activity":"trained-on"}`, 400, protocol.Invalid, `digest: parse digest: "sha256:abc" is not a sha256 digest`},
		{"derivation input", "POST", "/v1/derivations", `{"digest":"` + digest + `","inputs":["nope"],"activity":"trained-on"}`, 400, protocol.Invalid, `inputs: parse id: "nope"`},
		{"proposal dataset", "POST", "/v1/gov/propose", `{"action":"dataset-status","dataset":"not an id","status":"delisted","reason":"r"}`, 400, protocol.Invalid, `dataset: parse id: "not an id"`},
		{"vote proposal", "POST", "/v1/gov/vote", `{"proposal":"nope","vote":"yes"}`, 400, protocol.Invalid, `proposal: parse id: "nope"`},
		{"no subject", "POST", "/v1/claims", `{"role":"curator","weight":1}`, 400, protocol.Invalid, "missing subject"},
		{"no digest", "POST", "/v1/derivations", `{"inputs":["` + id + `"],"activity":"trained-on"}`, 400, protocol.Invalid, "missing digest"},
		{"no proposal", "POST", "/v1/gov/vote", `{"vote":"yes"}`, 400, protocol.Invalid, "missing proposal"},
	})
	if after := indexSnapshot(t, n, ds.ID); after != before {
		t.Errorf("refused requests changed the index:\nbefore %s\nafter  %s", before, after)
	}
}

func TestAPIRefusesOversizedBodies(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	// A JSON request one byte over the limit, valid but for its size.
	big := `{"name":"` + strings.Repeat("a", apiserver.MaxRequestBody) + `"}`
	for _, tt := range []struct {
		path  string
		body  string
		limit int
	}{
		{"/v1/datasets", big, apiserver.MaxRequestBody},
		{"/v1/claims", big, apiserver.MaxRequestBody},
		{"/v1/objects", strings.Repeat(" ", protocol.MaxEnvelopeSize+1), protocol.MaxEnvelopeSize},
	} {
		code, eb := apiCall(t, srv, "POST", tt.path, strings.NewReader(tt.body))
		want := "request body is over the limit of " + strconv.Itoa(tt.limit) + " bytes"
		if code != http.StatusRequestEntityTooLarge || eb.Kind != protocol.TooLarge.String() || !strings.Contains(eb.Error, want) {
			t.Errorf("POST %s of %d bytes: %d %+v; want 413 and %q", tt.path, len(tt.body), code, eb, want)
		}
	}
	if got, err := n.Datasets(t.Context()); err != nil || len(got) != 0 {
		t.Errorf("datasets after the refusals: %v, %v; want none", got, err)
	}
}

func TestAPIRefusesBadQueryOptions(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	id := mustDataset(t, n, "queried").ID.String()
	d := protocol.SumDigest([]byte("queried a")).Hex()
	var tests []refusal
	for _, path := range []string{"/v1/datasets/" + id, "/v1/attribution/" + id, "/v1/objects/" + id, "/v1/locate/" + d} {
		for _, q := range []struct{ query, want string }{
			{"local=yes", `local="yes": want 1 or 0`},
			{"timeout=soon", `timeout="soon": want a positive duration such as 5s`},
			{"timeout=0s", `timeout="0s": want a positive duration`},
			{"timeout=-5s", `timeout="-5s": want a positive duration`},
			{"timeout=5", `timeout="5": want a positive duration`},
			{"timeout=6m", "timeout=6m0s is above the most a query may take, " + api.MaxQueryTimeout.String()},
			{"local=1&timeout=never", `timeout="never"`},
		} {
			tests = append(tests, refusal{path + "?" + q.query, "GET", path + "?" + q.query, "", 400, protocol.Invalid, q.want})
		}
	}
	checkRefusals(t, srv, tests)
	// The values it takes.
	for _, q := range []string{"local=", "local=0", "local=false", "local=1", "local=true", "local=1&timeout=1s", "timeout=" + url.QueryEscape(api.MaxQueryTimeout.String())} {
		if code, eb := apiCall(t, srv, "GET", "/v1/datasets/"+id+"?"+q, nil); code != http.StatusOK {
			t.Errorf("GET /v1/datasets/ID?%s: %d %+v", q, code, eb)
		}
	}
}

func TestAPIRefusesBadConnect(t *testing.T) {
	// A node off the network cannot connect anywhere, and says so.
	off := httptest.NewServer(newTestNode(t).Handler(""))
	defer off.Close()
	checkRefusals(t, off, []refusal{
		{"off the network", "POST", "/v1/swarm/connect", `{"addr":"/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGC6TvWhfapngX6wvJHMYvKpDMXPb3ZnCZ6dMoaMtimQ5"}`, 503, protocol.Transient, "the node is not on the network"},
	})

	n := startNetNode(t, filepath.Join(t.TempDir(), "n"), testGenesis(t, "connect", randomDID(t)), swarmOptions{})
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	self := n.net.Addrs()[0]
	other := mustKey(t)
	nobody := "/ip4/127.0.0.1/tcp/" + closedPort(t) + "/p2p/" + peerIDOf(t, other)
	checkRefusals(t, srv, []refusal{
		{"itself", "POST", "/v1/swarm/connect", `{"addr":"` + self + `"}`, 400, protocol.Invalid, n.Host().ID().String() + " is this node"},
		{"not a multiaddr", "POST", "/v1/swarm/connect", `{"addr":"127.0.0.1:4780"}`, 400, protocol.Invalid, `"127.0.0.1:4780" is not a multiaddr`},
		{"no peer", "POST", "/v1/swarm/connect", `{"addr":"/ip4/127.0.0.1/tcp/4780"}`, 400, protocol.Invalid, `"/ip4/127.0.0.1/tcp/4780" does not end in /p2p/PEER`},
		{"no address", "POST", "/v1/swarm/connect", `{}`, 400, protocol.Invalid, `"" is not a multiaddr`},
		{"nobody listens", "POST", "/v1/swarm/connect", `{"addr":"` + nobody + `"}`, 503, protocol.Transient, nobody},
	})
	if peers, _ := n.Peers(t.Context()); len(peers) != 0 {
		t.Errorf("peers after the refused connects: %+v", peers)
	}
}

// closedPort returns a loopback TCP port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

func peerIDOf(t *testing.T, k *protocol.Key) string {
	t.Helper()
	id, err := repo.PeerIDOf(k)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// TestAPIStoreFailure: a store that fails under the node (here, closed)
// answers 500 with the store's own words, and the failure is logged with
// the request that met it.
func TestAPIStoreFailure(t *testing.T) {
	r, err := repo.Init(filepath.Join(t.TempDir(), "repo"), repo.InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	var logged syncWriter
	n := New(r, st, slog.New(slog.NewTextHandler(&logged, nil)))
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	ds := mustDataset(t, n, "before the failure")
	other := newTestNode(t)
	fresh, err := other.GetObject(t.Context(), mustDataset(t, other, "after the failure").ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, tt := range []struct {
		method, path string
		body         []byte
		want         string
	}{
		{"POST", "/v1/objects", fresh, "put objects"},
		{"POST", "/v1/datasets", []byte(`{"name":"x","license":"MIT","files":[{"name":"a","sha256":"` + protocol.SumDigest([]byte("a")).Hex() + `","size":1}]}`), "put objects"},
		{"GET", "/v1/objects/" + ds.ID.String() + "?local=1", nil, "get governance update: " + ds.ID.String()},
		{"GET", "/v1/datasets/" + ds.ID.String() + "?local=1", nil, "has object: " + ds.ID.String()},
		{"GET", "/v1/datasets", nil, "list datasets"},
	} {
		code, eb := apiCall(t, srv, tt.method, tt.path, bytes.NewReader(tt.body))
		if code != http.StatusInternalServerError || eb.Kind != protocol.Other.String() || !strings.Contains(eb.Error, tt.want) {
			t.Errorf("%s %s on a failed store: %d %+v; want 500, kind %q and %q", tt.method, tt.path, code, eb, protocol.Other, tt.want)
		}
		if !strings.Contains(logged.String(), "path="+strings.SplitN(tt.path, "?", 2)[0]) {
			t.Errorf("%s %s: the failure is not logged with its path:\n%s", tt.method, tt.path, logged.String())
		}
	}
}

// syncWriter is a buffer the server's goroutines may write to.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestAPIStoreTooLarge: an object the store cannot hold (here a dataset
// envelope over what a store in memory holds) is refused with 413, the
// store's reason, and nothing stored; through both doors, a dataset made
// here and an envelope signed elsewhere.
func TestAPIStoreTooLarge(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	files := make([]api.FileEntry, 12000)
	for i := range files {
		files[i] = fileEntry("file-"+strconv.Itoa(i)+".txt", strconv.Itoa(i))
	}
	req, err := json.Marshal(api.AddDatasetRequest{Name: "too many files for memory", License: "MIT", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	// The same dataset, signed on a node whose store is on disk.
	disk := startNetNode(t, filepath.Join(t.TempDir(), "disk"), testGenesis(t, "disk", randomDID(t)), swarmOptions{})
	ds, err := disk.AddDataset(t.Context(), api.AddDatasetRequest{Name: "too many files for memory", License: "MIT", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	env, err := disk.GetObject(t.Context(), ds.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(env) <= store.MaxInMemoryValue || len(env) > protocol.MaxEnvelopeSize {
		t.Fatalf("the envelope is %d bytes: want one over what memory holds, within the protocol's limit", len(env))
	}
	for _, tt := range []struct {
		path string
		body []byte
		want string // besides the limit
	}{
		{"/v1/datasets", req, "put object: dataset "}, // made here: another ID, its own created time
		{"/v1/objects", env, "put object: dataset " + ds.ID.String()},
	} {
		code, eb := apiCall(t, srv, "POST", tt.path, bytes.NewReader(tt.body))
		limit := "bytes, over the " + strconv.Itoa(store.MaxInMemoryValue) + " an in-memory store holds"
		if code != http.StatusRequestEntityTooLarge || eb.Kind != protocol.TooLarge.String() || !strings.Contains(eb.Error, tt.want) || !strings.Contains(eb.Error, limit) {
			t.Errorf("POST %s: %d %+v; want 413, kind %q, %q and %q", tt.path, code, eb, protocol.TooLarge, tt.want, limit)
		}
	}
	if got, err := n.Datasets(t.Context()); err != nil || len(got) != 0 {
		t.Errorf("datasets after the refusals: %+v, %v; want none", got, err)
	}
}

// TestDaemonRefusesSecondOnRepo: a second daemon on a repo in use stops at
// once, says which repo, and leaves the first serving and named in the
// repo's api file.
func TestDaemonRefusesSecondOnRepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := repo.Init(dir, repo.InitOptions{Genesis: testGenesis(t, "one repo", randomDID(t))}); err != nil {
		t.Fatal(err)
	}
	first := runDaemon(t, dir)
	err := RunDaemon(t.Context(), dir, DaemonOptions{APIAddr: "127.0.0.1:0", Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if !protocol.IsKind(err, protocol.Exists) || !strings.Contains(err.Error(), "a daemon is using repo "+dir) {
		t.Fatalf("a second daemon on the repo: %v, want exists and a message naming the repo", err)
	}
	again, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Addr() != first.Addr() {
		t.Errorf("the api file names %s after the refused start, want the first daemon's %s", again.Addr(), first.Addr())
	}
	if _, err := again.ID(t.Context()); err != nil {
		t.Errorf("the first daemon after the refused start: %v", err)
	}
}

// TestDaemonAPIPortInUse: a daemon whose API address is taken stops at
// once, names the address and why, and writes no api file for clients to
// follow.
func TestDaemonAPIPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := repo.Init(dir, repo.InitOptions{Genesis: testGenesis(t, "port", randomDID(t))}); err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	err = RunDaemon(t.Context(), dir, DaemonOptions{APIAddr: addr, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err == nil || !strings.Contains(err.Error(), "api address "+addr) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("a daemon on a taken API port: %v, want a message naming %s and why", err, addr)
	}
	if c, err := NewClient(dir); err == nil {
		t.Errorf("a client finds a daemon at %s after the failed start", c.Addr())
	}
}
