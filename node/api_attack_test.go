package node

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
)

// stewardOfOne returns a node that is the only steward of its network, so
// that a proposal it signs passes at once: what a page that could propose
// through its API would make of it.
func stewardOfOne(t *testing.T) *netNode {
	t.Helper()
	return govSwarm(t, 1, 1, 1, nil)[0]
}

// pageProposal is what a hostile page asks the node to sign: a steward of
// its own choosing (the contributor key of SPEC §9).
const pageProposal = `{"action":"add-steward","did":"did:key:z6MkhFwXNFWosLeugvSf4wcL9t3uuRXueGSFTRgSvHhWj5G2","reason":"planted by a page"}`

// pageDataset is the dataset a hostile page asks the node to publish.
func pageDataset(t *testing.T) string {
	b, err := json.Marshal(api.AddDatasetRequest{Name: "planted by a page", License: "CC0-1.0",
		Files: []api.FileEntry{fileEntry("a.txt", "planted")}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nothingPublished fails unless the node signed nothing: no dataset, no
// governance update, no key but its own.
func nothingPublished(t *testing.T, n *Node, keys int) {
	t.Helper()
	ds, err := n.Datasets(t.Context())
	if err != nil || len(ds) != 0 {
		t.Errorf("datasets after the attack: %+v, %v; want none", ds, err)
	}
	if u := n.govState().Updates(); u != 0 {
		t.Errorf("governance updates after the attack: %d, want 0", u)
	}
	if ks, err := n.Keys(t.Context()); err != nil || len(ks) != keys {
		t.Errorf("keys after the attack: %+v, %v; want %d", ks, err, keys)
	}
}

// TestAPIRefusesWebPages sends the requests a browser sends for a page of
// another origin, or for a page whose name was rebound to 127.0.0.1, and
// the ones the CLI and a user's own tools send (SPEC §6.2).
func TestAPIRefusesWebPages(t *testing.T) {
	n := stewardOfOne(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	own := srv.Listener.Addr().String() // 127.0.0.1:PORT
	_, port, _ := net.SplitHostPort(own)
	dataset := pageDataset(t)
	form := "name=planted&license=CC0-1.0"
	type header = map[string]string
	tests := []struct {
		name, method, path, body string
		host                     string // "" for the listen address
		header                   header
		code                     int
		says                     string // in the error body: what was refused
	}{
		{"simple CORS POST text/plain", "POST", "/v1/gov/propose", pageProposal, "",
			header{"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, 403, "evil.example"},
		{"text/plain from a browser without fetch metadata", "POST", "/v1/datasets", dataset, "",
			header{"Content-Type": "text/plain;charset=UTF-8"}, 415, "text/plain"},
		{"form POST", "POST", "/v1/datasets", form, "",
			header{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/x-www-form-urlencoded"},
		{"multipart form POST", "POST", "/v1/keys", "--x\r\n\r\n--x--\r\n", "",
			header{"Content-Type": "multipart/form-data; boundary=x"}, 415, "multipart/form-data"},
		{"POST without a type", "POST", "/v1/objects/" + protocol.ObjectID([]byte("x")).String() + "/cosign", "", "",
			header{}, 415, "application/json"},
		{"bulk as text/plain", "POST", "/v1/objects/bulk", "\n", "",
			header{"Content-Type": "text/plain"}, 415, "text/plain"},
		{"Origin evil with JSON", "POST", "/v1/gov/propose", pageProposal, "",
			header{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403, "evil.example"},
		{"Origin null", "POST", "/v1/datasets", dataset, "",
			header{"Content-Type": "application/json", "Origin": "null"}, 403, `"null"`},
		{"Origin of another port of loopback", "POST", "/v1/keys", `{"name":"planted"}`, "",
			header{"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"}, 403, "127.0.0.1:1"},
		{"Origin on a read", "GET", "/v1/keys", "", "",
			header{"Origin": "http://evil.example"}, 403, "evil.example"},
		{"Sec-Fetch-Site cross-site", "GET", "/v1/keys", "", "",
			header{"Sec-Fetch-Site": "cross-site"}, 403, "cross-site"},
		{"Sec-Fetch-Site same-site", "POST", "/v1/swarm/connect", `{"addr":"/ip4/127.0.0.1/tcp/22/p2p/12D3KooWGzX9Y8RxczPmA2Xs8mVSMdMdp5f4yxV2V5o1kZVgJhB4"}`, "",
			header{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403, "same-site"},
		{"rebinding: GET /v1/keys", "GET", "/v1/keys", "", "evil.example:" + port, header{}, 403, "evil.example"},
		{"rebinding: GET /v1/id", "GET", "/v1/id", "", "evil.example:" + port, header{}, 403, "evil.example"},
		{"rebinding: GET /metrics", "GET", "/metrics", "", "evil.example:" + port, header{}, 403, "evil.example"},
		{"rebinding: same-origin POST", "POST", "/v1/gov/propose", pageProposal, "evil.example:5780",
			header{"Content-Type": "application/json", "Origin": "http://evil.example:5780"}, 403, "evil.example:5780"},
		{"rebinding: a name under localhost", "GET", "/v1/id", "", "evil.localhost:" + port, header{}, 403, "evil.localhost"},
		{"rebinding: a private address", "GET", "/v1/id", "", "192.168.1.1:" + port, header{}, 403, "192.168.1.1"},
		{"Host 127.0.0.1:PORT", "GET", "/v1/keys", "", "", header{}, 200, ""},
		{"Host localhost:PORT", "GET", "/v1/id", "", "localhost:" + port, header{}, 200, ""},
		{"Host localhost", "GET", "/metrics", "", "localhost", header{}, 200, ""},
		{"Host [::1]:PORT", "GET", "/v1/keys", "", "[::1]:" + port, header{}, 200, ""},
		{"Host 127.1.2.3", "GET", "/v1/keys", "", "127.1.2.3", header{}, 200, ""},
		{"own Origin", "GET", "/v1/keys", "", "", header{"Origin": "http://" + own, "Sec-Fetch-Site": "same-origin"}, 200, ""},
		{"address typed by the user", "GET", "/v1/id", "", "", header{"Sec-Fetch-Site": "none"}, 200, ""},
		{"JSON with a charset", "POST", "/v1/keys", `{"name":"mine"}`, "", header{"Content-Type": "application/json; charset=utf-8"}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.code)
			}
			if tt.code == 200 {
				return
			}
			var eb api.ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil || !strings.Contains(eb.Error, tt.says) || !strings.Contains(eb.Error, "refused") {
				t.Errorf("error body %s: want one that says %q was refused", b, tt.says)
			}
			if !resp.Close {
				t.Error("the connection of a refused request stays open")
			}
		})
	}
	nothingPublished(t, n.Node, 2) // the node key and "mine"
}

// TestAPIClientPassesTheGuard: the CLI's client, which sends no Origin and
// JSON bodies, reads and writes through the guard, with and without a token.
func TestAPIClientPassesTheGuard(t *testing.T) {
	for _, token := range []string{"", "s3cret"} {
		n := newTestNode(t)
		srv := httptest.NewServer(n.Handler(token))
		if err := n.repo.SetAPIAddr(srv.Listener.Addr().String()); err != nil {
			t.Fatal(err)
		}
		if err := n.repo.SetAPIToken(token); err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(n.repo.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.NewKey(t.Context(), "alice"); err != nil {
			t.Errorf("token %q: new key: %v", token, err)
		}
		p, err := c.AddDataset(t.Context(), api.AddDatasetRequest{Name: "d", License: "CC0-1.0", Files: []api.FileEntry{fileEntry("a", "a")}})
		if err != nil {
			t.Errorf("token %q: add dataset: %v", token, err)
		}
		if _, err := c.Dataset(t.Context(), p.ID, api.QueryOptions{Local: true}); err != nil {
			t.Errorf("token %q: dataset: %v", token, err)
		}
		raw, err := c.GetObject(t.Context(), p.ID, api.QueryOptions{Local: true})
		if err != nil {
			t.Errorf("token %q: get object: %v", token, err)
		}
		if _, err := c.PutObject(t.Context(), raw); err != nil {
			t.Errorf("token %q: put object: %v", token, err)
		}
		srv.Close()
	}
}

// shortTimeouts are the daemon's timeouts shrunk so that a test sees each
// one pass.
var shortTimeouts = apiserver.Timeouts{
	ReadHeader:  time.Second,
	Read:        time.Second,
	Write:       2 * time.Second,
	Idle:        500 * time.Millisecond,
	BodyGrace:   500 * time.Millisecond,
	MinBodyRate: 1 << 20,
	Margin:      time.Second,
}

// serveAPI serves n's API as the daemon does, with timeouts t.
func serveAPI(t *testing.T, n *Node, token string, tm apiserver.Timeouts) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = apiserver.NewServer(n.handler(token, tm), tm)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestAPILongBulkUploadStillWorks: a bulk body that keeps arriving takes
// longer than the read timeout and is read to the end.
func TestAPILongBulkUploadStillWorks(t *testing.T) {
	src := newTestNode(t)
	d := mustDataset(t, src, "uploaded slowly")
	raw, err := src.GetObject(t.Context(), d.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNode(t)
	tm := shortTimeouts
	tm.MinBodyRate = 1 << 10 // each piece below earns more time than it takes
	addr := serveAPI(t, n, "", tm)
	pr, pw := io.Pipe()
	go func() {
		piece := append(append([]byte{}, raw...), '\n')
		piece = append(piece, strings.Repeat("\n", 2<<10)...)
		deadline := time.Now().Add(2 * tm.Read)
		for time.Now().Before(deadline) {
			if _, err := pw.Write(piece); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		pw.Close()
	}()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/v1/objects/bulk", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a bulk upload longer than the read timeout: %d %s", resp.StatusCode, b)
	}
	if _, err := n.GetObject(t.Context(), d.ID, api.QueryOptions{Local: true}); err != nil {
		t.Errorf("the uploaded dataset is not stored: %v", err)
	}
}

// slowSource answers as its store does, after a pause: a peer far away.
type slowSource struct {
	storeSource
	pause time.Duration
}

func (s slowSource) Envelope(id protocol.ID) ([]byte, error) {
	time.Sleep(s.pause)
	return s.storeSource.Envelope(id)
}

// TestAPISearchOutlastsReadTimeout: a read that searches the network for
// longer than the read and write timeouts, within the timeout it asked
// for, is answered; the server's watch on the idle connection does not
// cancel it.
func TestAPISearchOutlastsReadTimeout(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	asker, far := nodes[0], nodes[1]
	d := mustDataset(t, far.Node, "far away")
	waitAnnounced(t, far)
	pause := 2 * max(shortTimeouts.Read, shortTimeouts.Write)
	fetch.NewServer(far.repo.Network, slowSource{storeSource{far.store}, pause}, fetch.ServerOptions{}).Register(far.Host())
	addr := serveAPI(t, asker.Node, "", shortTimeouts)
	if ok, _ := asker.store.Has(d.ID); ok {
		t.Fatal("the asker holds the dataset before it asks")
	}
	resp, err := http.Get("http://" + addr + "/v1/objects/" + d.ID.String() + "?timeout=1m")
	if err != nil {
		t.Fatalf("a search longer than the read timeout: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "payload") {
		t.Fatalf("a search longer than the read timeout: %d %s", resp.StatusCode, b)
	}
}
