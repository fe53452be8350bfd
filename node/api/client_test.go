package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// fakeAPI is a daemon made of one function field: Reply answers each
// request with a status and a body (encoded as JSON unless it is []byte).
type fakeAPI struct {
	Reply func(method, path string, body []byte) (int, any)

	auth    []string // Authorization header of each request
	queries []string // URL query of each request, as sent
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.queries = append(f.queries, r.URL.RawQuery)
	body, _ := io.ReadAll(r.Body)
	status, out := f.Reply(r.Method, r.URL.Path, body)
	w.WriteHeader(status)
	if b, ok := out.([]byte); ok {
		w.Write(b)
		return
	}
	json.NewEncoder(w).Encode(out)
}

// testDID is a fixed identity. Zero DIDs encode as "" but do not decode,
// so every reply of the fake carries a real one.
func testDID(t *testing.T) protocol.DID {
	k, err := protocol.KeyFromSeed(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

// newFakeClient starts f and returns a client of it.
func newFakeClient(t *testing.T, f *fakeAPI, token string) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := NewClient(strings.TrimPrefix(srv.URL, "http://"), token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientToken(t *testing.T) {
	did := testDID(t)
	f := &fakeAPI{Reply: func(string, string, []byte) (int, any) { return 200, IDInfo{DID: did, PeerID: "p"} }}
	c := newFakeClient(t, f, "s3cret")
	if _, err := c.ID(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.auth[len(f.auth)-1]; got != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want Bearer s3cret", got)
	}

	f2 := &fakeAPI{Reply: func(string, string, []byte) (int, any) { return 200, IDInfo{DID: did} }}
	c2 := newFakeClient(t, f2, "")
	if _, err := c2.ID(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f2.auth[len(f2.auth)-1]; got != "" {
		t.Errorf("Authorization = %q without a token file, want none", got)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		status int
		body   any
		kind   protocol.Kind
		msg    string // the error's whole message
	}{
		{400, ErrorBody{Error: "add claim: weight 1.5 is outside (0,1]", Kind: "invalid"}, protocol.Invalid, "add claim: weight 1.5 is outside (0,1]"},
		{404, ErrorBody{Error: "no object bagaaiera…", Kind: "not found"}, protocol.NotFound, "no object bagaaiera…"},
		{409, ErrorBody{Error: "a key named \"alice\" already exists", Kind: "exists"}, protocol.Exists, "a key named \"alice\" already exists"},
		{403, ErrorBody{Error: "only the issuer may revoke", Kind: "forbidden"}, protocol.Forbidden, "only the issuer may revoke"},
		{413, ErrorBody{Error: "envelope too large", Kind: "too large"}, protocol.TooLarge, "envelope too large"},
		{503, ErrorBody{Error: "busy", Kind: "transient"}, protocol.Transient, "busy"},
		{507, ErrorBody{Error: "disk full: the filesystem of \"/r/data\" has 5 bytes free", Kind: "no space"}, protocol.NoSpace, "disk full: the filesystem of \"/r/data\" has 5 bytes free"},
		{507, []byte("full"), protocol.NoSpace, "GET /v1/id: HTTP 507: full"},
		{500, ErrorBody{Error: "disk on fire", Kind: "other"}, protocol.Other, "disk on fire"},
		// The kind name wins over the status; an unknown name falls back to it.
		{500, ErrorBody{Error: "odd", Kind: "invalid"}, protocol.Invalid, "odd"},
		{404, ErrorBody{Error: "odd", Kind: "some future kind"}, protocol.NotFound, "odd"},
		// Not an ErrorBody: the status decides, the body is quoted.
		{502, []byte("<html>bad gateway</html>"), protocol.Transient, "GET /v1/id: HTTP 502: <html>bad gateway</html>"},
		{401, []byte(""), protocol.Forbidden, "GET /v1/id: HTTP 401: Unauthorized"},
		{418, []byte("teapot"), protocol.Other, "GET /v1/id: HTTP 418: teapot"},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			c := newFakeClient(t, &fakeAPI{Reply: func(string, string, []byte) (int, any) { return tt.status, tt.body }}, "")
			_, err := c.ID(context.Background())
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %T %v, want a *protocol.Error", err, err)
			}
			if got := protocol.KindOf(err); got != tt.kind {
				t.Errorf("kind = %v, want %v", got, tt.kind)
			}
			if err.Error() != tt.msg {
				t.Errorf("message = %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}

// TestClientRoutes checks that each method sends the route and body of the
// API contract and decodes what comes back.
func TestClientRoutes(t *testing.T) {
	ctx := context.Background()
	id := protocol.ObjectID([]byte(`{"x":1}`))
	digest := protocol.SumDigest([]byte("file"))
	did := testDID(t)
	published := Published{ID: id, Kind: "attribution", Signer: did, New: true, Signers: 1}
	envelope := []byte(`{"payloadType":"t","payload":"eA==","signatures":[]}` + "\n ") // byte-exact, odd whitespace included

	type call struct{ method, path, body string }
	var got call
	reply := map[string]any{}
	c := newFakeClient(t, &fakeAPI{Reply: func(method, path string, body []byte) (int, any) {
		got = call{method, path, string(body)}
		if r, ok := reply[method+" "+path]; ok {
			return 200, r
		}
		return 200, published
	}}, "")
	check := func(name string, err error, want call) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if got.method != want.method || got.path != want.path {
			t.Errorf("%s: sent %s %s, want %s %s", name, got.method, got.path, want.method, want.path)
		}
		if want.body != "" && strings.TrimSpace(got.body) != want.body {
			t.Errorf("%s: body\n got %s\nwant %s", name, got.body, want.body)
		}
	}

	reply["GET /v1/id"] = IDInfo{DID: did, PeerID: "12D3"}
	info, err := c.ID(ctx)
	check("ID", err, call{"GET", "/v1/id", ""})
	if info.PeerID != "12D3" {
		t.Errorf("ID: got %+v", info)
	}

	reply["GET /v1/keys"] = []KeyInfo{{Name: "node", DID: did}, {Name: "alice", DID: did}}
	keys, err := c.Keys(ctx)
	check("Keys", err, call{"GET", "/v1/keys", ""})
	if len(keys) != 2 || keys[1].Name != "alice" {
		t.Errorf("Keys: got %+v", keys)
	}

	reply["POST /v1/keys"] = KeyInfo{Name: "alice", DID: did}
	_, err = c.NewKey(ctx, "alice")
	check("NewKey", err, call{"POST", "/v1/keys", `{"name":"alice"}`})

	p, err := c.AddDataset(ctx, AddDatasetRequest{Name: "d", License: "MIT", Files: []FileEntry{{Name: "a", SHA256: digest.Hex(), Size: 4}}})
	check("AddDataset", err, call{"POST", "/v1/datasets", `{"name":"d","license":"MIT","files":[{"name":"a","sha256":"` + digest.Hex() + `","size":4}]}`})
	if p.ID != id || !p.New {
		t.Errorf("AddDataset: got %+v", p)
	}

	reply["GET /v1/datasets"] = []DatasetSummary{{ID: id, Name: "d", Publisher: did}}
	ds, err := c.Datasets(ctx)
	check("Datasets", err, call{"GET", "/v1/datasets", ""})
	if len(ds) != 1 || ds[0].ID != id {
		t.Errorf("Datasets: got %+v", ds)
	}

	reply["GET /v1/datasets/"+id.String()] = DatasetView{ID: id, Name: "d", Publisher: did, Files: []FileView{{Name: "a", Size: -1}}}
	dv, err := c.Dataset(ctx, id, QueryOptions{})
	check("Dataset", err, call{"GET", "/v1/datasets/" + id.String(), ""})
	if dv.Name != "d" || len(dv.Files) != 1 || dv.Files[0].Size != -1 {
		t.Errorf("Dataset: got %+v", dv)
	}

	_, err = c.AddClaim(ctx, AddClaimRequest{Subject: id, Role: "author", Weight: 0.5, As: "alice"})
	check("AddClaim", err, call{"POST", "/v1/claims", `{"subject":"` + id.String() + `","role":"author","weight":0.5,"as":"alice"}`})

	_, err = c.Revoke(ctx, id, RevokeRequest{Reason: "wrong"})
	check("Revoke", err, call{"POST", "/v1/claims/" + id.String() + "/revoke", `{"reason":"wrong"}`})

	_, err = c.Cosign(ctx, id, CosignRequest{})
	check("Cosign", err, call{"POST", "/v1/objects/" + id.String() + "/cosign", `{}`})

	_, err = c.Endorse(ctx, EndorseRequest{Subject: id, Standard: "pii-scrubbed"})
	check("Endorse", err, call{"POST", "/v1/endorsements", `{"subject":"` + id.String() + `","standard":"pii-scrubbed"}`})

	_, err = c.Derive(ctx, DeriveRequest{Digest: digest, Inputs: []protocol.ID{id}, Activity: "trained-on"})
	check("Derive", err, call{"POST", "/v1/derivations", `{"digest":"` + digest.String() + `","inputs":["` + id.String() + `"],"activity":"trained-on"}`})

	reply["GET /v1/locate/"+digest.Hex()] = LocateResult{SHA256: digest.Hex(), Datasets: []LocatedEntry{{ID: id, Name: "d", Path: "a"}}}
	loc, err := c.Locate(ctx, digest, QueryOptions{})
	check("Locate", err, call{"GET", "/v1/locate/" + digest.Hex(), ""})
	if len(loc.Datasets) != 1 || loc.Datasets[0].Path != "a" {
		t.Errorf("Locate: got %+v", loc)
	}

	reply["GET /v1/objects/"+id.String()] = envelope
	raw, err := c.GetObject(ctx, id, QueryOptions{})
	check("GetObject", err, call{"GET", "/v1/objects/" + id.String(), ""})
	if string(raw) != string(envelope) {
		t.Errorf("GetObject: got %q, want the bytes as served, %q", raw, envelope)
	}

	reply["POST /v1/objects"] = PutResult{ID: id, New: true, Signers: 2}
	pr, err := c.PutObject(ctx, envelope)
	check("PutObject", err, call{"POST", "/v1/objects", ""})
	if got.body != string(envelope) {
		t.Errorf("PutObject: sent %q, want the bytes as given", got.body)
	}
	if pr.Signers != 2 {
		t.Errorf("PutObject: got %+v", pr)
	}

	const addr = "/ip4/127.0.0.1/tcp/4780/p2p/12D3KooWpeer"
	reply["POST /v1/swarm/connect"] = PeerInfo{PeerID: "12D3KooWpeer", Addrs: []string{"/ip4/127.0.0.1/tcp/4780"}, Score: 0}
	pi, err := c.Connect(ctx, addr)
	check("Connect", err, call{"POST", "/v1/swarm/connect", `{"addr":"` + addr + `"}`})
	if pi.PeerID != "12D3KooWpeer" || len(pi.Addrs) != 1 {
		t.Errorf("Connect: got %+v", pi)
	}

	reply["GET /v1/swarm/peers"] = []PeerInfo{{PeerID: "a", Score: -2.5}, {PeerID: "b", Addrs: []string{"/ip4/10.0.0.1/tcp/1"}}}
	peers, err := c.Peers(ctx)
	check("Peers", err, call{"GET", "/v1/swarm/peers", ""})
	if len(peers) != 2 || peers[0].Score != -2.5 || peers[1].Addrs[0] != "/ip4/10.0.0.1/tcp/1" {
		t.Errorf("Peers: got %+v", peers)
	}
}

// TestClientGov checks the governance routes: the bodies sent, what comes
// back, and the kinds of the refusals the contract names.
func TestClientGov(t *testing.T) {
	ctx := context.Background()
	id := protocol.ObjectID([]byte(`{"proposal":1}`))
	vote := protocol.ObjectID([]byte(`{"vote":1}`))
	did := testDID(t)
	network := protocol.NetworkIDOf([]byte(`{"genesis":1}`))
	state := `{"network":"` + network.String() + `","state_hash":"abc","stewards":["` + did.String() + `"],"threshold":1,` +
		`"proposals":[{"id":"` + id.String() + `","action":"add-steward","status":"passed","did":"` + did.String() + `"}]}`
	log := `[{"id":"` + id.String() + `","depth":1,"propose":{"action":"set-param","name":"motto","expires":"2026-11-01T00:00:00Z"},` +
		`"closed":[{"proposal":"` + id.String() + `","status":"void"}]}]`

	type call struct{ method, path, body string }
	var got call
	status, reply := 200, map[string]any{
		"POST /v1/gov/propose": GovPublished{ID: id, Kind: "proposal", Author: did, Proposal: id, Status: "passed", StateHash: "abc"},
		"POST /v1/gov/vote":    GovPublished{ID: vote, Kind: "vote", Author: did, Proposal: id, Status: "open", StateHash: "def"},
		"GET /v1/gov/state":    []byte(state),
		"GET /v1/gov/log":      []byte(log),
	}
	c := newFakeClient(t, &fakeAPI{Reply: func(method, path string, body []byte) (int, any) {
		got = call{method, path, strings.TrimSpace(string(body))}
		if status != 200 {
			return status, ErrorBody{Error: "refused", Kind: map[int]string{400: "invalid", 403: "forbidden", 404: "not found", 409: "exists"}[status]}
		}
		return 200, reply[method+" "+path]
	}}, "")

	p, err := c.GovPropose(ctx, GovProposeRequest{Action: "add-steward", DID: "alice", Expires: "1h", As: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (call{"POST", "/v1/gov/propose", `{"action":"add-steward","did":"alice","expires":"1h","as":"bob"}`}); got != want {
		t.Errorf("GovPropose sent %+v, want %+v", got, want)
	}
	if p.ID != id || p.Proposal != id || p.Status != "passed" || p.Author != did {
		t.Errorf("GovPropose: got %+v", p)
	}

	p, err = c.GovPropose(ctx, GovProposeRequest{Action: "revoke-key", DID: did.String(), Effective: "2026-11-01T00:00:00Z", Reason: "lost"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"action":"revoke-key","did":"` + did.String() + `","effective":"2026-11-01T00:00:00Z","reason":"lost"}`; got.body != want {
		t.Errorf("GovPropose body\n got %s\nwant %s", got.body, want)
	}

	p, err = c.GovVote(ctx, GovVoteRequest{Proposal: id, Vote: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (call{"POST", "/v1/gov/vote", `{"proposal":"` + id.String() + `","vote":"yes"}`}); got != want {
		t.Errorf("GovVote sent %+v, want %+v", got, want)
	}
	if p.ID != vote || p.Kind != "vote" || p.Proposal != id || p.Status != "open" {
		t.Errorf("GovVote: got %+v", p)
	}

	st, err := c.GovState(ctx)
	if err != nil || got != (call{"GET", "/v1/gov/state", ""}) {
		t.Errorf("GovState: sent %+v, err %v", got, err)
	}
	if st == nil || st.Network != network || st.StateHash != "abc" || !st.IsSteward(did) || st.Threshold != 1 ||
		st.Proposal(id) == nil || st.Proposal(id).Action != gov.ActAddSteward || st.Proposal(id).Status != gov.ProposalPassed {
		t.Errorf("GovState: got %+v, want %s", st, state)
	}
	lg, err := c.GovLog(ctx)
	if err != nil || got != (call{"GET", "/v1/gov/log", ""}) {
		t.Errorf("GovLog: sent %+v, err %v", got, err)
	}
	if len(lg) != 1 || lg[0].ID != id || lg[0].Depth != 1 || lg[0].Propose == nil || lg[0].Propose.Action != gov.ActSetParam ||
		!lg[0].Propose.Expires.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || len(lg[0].Closed) != 1 || lg[0].Closed[0].Status != gov.ProposalVoid {
		t.Errorf("GovLog: got %+v, want %s", lg, log)
	}

	for _, tt := range []struct {
		status int
		kind   protocol.Kind
	}{{403, protocol.Forbidden}, {404, protocol.NotFound}, {400, protocol.Invalid}, {409, protocol.Exists}} {
		status = tt.status
		if _, err := c.GovVote(ctx, GovVoteRequest{Proposal: id, Vote: "no"}); protocol.KindOf(err) != tt.kind || err.Error() != "refused" {
			t.Errorf("GovVote answered %d: got %v (kind %v), want %v", tt.status, err, protocol.KindOf(err), tt.kind)
		}
		if _, err := c.GovPropose(ctx, GovProposeRequest{Action: "set-threshold", Threshold: 2}); protocol.KindOf(err) != tt.kind {
			t.Errorf("GovPropose answered %d: got %v (kind %v), want %v", tt.status, err, protocol.KindOf(err), tt.kind)
		}
	}
}

// TestClientQueryOptions checks that the four reads that may search the
// network spell their options as the URL query of the contract, and send
// none when the options are zero.
func TestClientQueryOptions(t *testing.T) {
	ctx := context.Background()
	id := protocol.ObjectID([]byte(`{"x":1}`))
	digest := protocol.SumDigest([]byte("file"))
	did := testDID(t)
	f := &fakeAPI{Reply: func(method, path string, _ []byte) (int, any) {
		switch {
		case strings.HasPrefix(path, "/v1/attribution/"):
			return 200, Attribution{Subject: id, Kind: "dataset"}
		case strings.HasPrefix(path, "/v1/datasets/"):
			return 200, DatasetView{ID: id, Publisher: did}
		case strings.HasPrefix(path, "/v1/locate/"):
			return 200, LocateResult{SHA256: digest.Hex()}
		}
		return 200, []byte(`{}`)
	}}
	c := newFakeClient(t, f, "")
	reads := map[string]func(QueryOptions) error{
		"Attribution": func(o QueryOptions) error { _, err := c.Attribution(ctx, id, o); return err },
		"Dataset":     func(o QueryOptions) error { _, err := c.Dataset(ctx, id, o); return err },
		"Locate":      func(o QueryOptions) error { _, err := c.Locate(ctx, digest, o); return err },
		"GetObject":   func(o QueryOptions) error { _, err := c.GetObject(ctx, id, o); return err },
	}
	tests := []struct {
		opts QueryOptions
		want string
	}{
		{QueryOptions{}, ""},
		{QueryOptions{Local: true}, "local=1"},
		{QueryOptions{Timeout: 5 * time.Second}, "timeout=5s"},
		{QueryOptions{Timeout: 90 * time.Second}, "timeout=1m30s"},
		{QueryOptions{Timeout: 250 * time.Millisecond}, "timeout=250ms"},
		{QueryOptions{Local: true, Timeout: time.Second}, "local=1&timeout=1s"},
	}
	for name, read := range reads {
		for _, tt := range tests {
			if err := read(tt.opts); err != nil {
				t.Errorf("%s(%+v): %v", name, tt.opts, err)
				continue
			}
			if got := f.queries[len(f.queries)-1]; got != tt.want {
				t.Errorf("%s(%+v) sent query %q, want %q", name, tt.opts, got, tt.want)
			}
		}
	}
}

func TestClientAttribution(t *testing.T) {
	subject := protocol.ObjectID([]byte(`{"child":1}`))
	parent := protocol.ObjectID([]byte(`{"parent":1}`))
	claim := protocol.ObjectID([]byte(`{"claim":1}`))
	did := testDID(t)
	want := &Attribution{
		Subject: subject,
		Kind:    "dataset",
		Name:    "child",
		Contributors: []Contributor{
			{DID: did, Role: "annotator", Weight: 0.3, Trust: protocol.Mutual, Claim: claim, Issuer: did, Signers: []protocol.DID{did}},
			{DID: did, Role: "author", Weight: 1, Trust: protocol.Revoked, Claim: claim, Issuer: did, Signers: []protocol.DID{did}},
		},
		Endorsements: []EndorsementView{},
		Lineage: []Ancestor{{ID: parent, Kind: "dataset", Depth: 1, Via: subject, Contributors: []Contributor{
			{DID: did, Role: "source", Weight: 1, Trust: protocol.Certified, Claim: claim, Issuer: did, Signers: []protocol.DID{did}},
		}}},
	}
	served, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	c := newFakeClient(t, &fakeAPI{Reply: func(string, string, []byte) (int, any) { return 200, served }}, "")
	got, err := c.Attribution(context.Background(), subject, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(got)
	if string(again) != string(served) {
		t.Errorf("attribution does not survive the round trip:\n got %s\nwant %s", again, served)
	}
	if got.Contributors[0].Trust != protocol.Mutual || got.Lineage[0].Contributors[0].Trust != protocol.Certified {
		t.Errorf("trust levels: got %v and %v", got.Contributors[0].Trust, got.Lineage[0].Contributors[0].Trust)
	}

	bad := strings.Replace(string(served), `"mutual"`, `"legendary"`, 1)
	c = newFakeClient(t, &fakeAPI{Reply: func(string, string, []byte) (int, any) { return 200, []byte(bad) }}, "")
	if _, err := c.Attribution(context.Background(), subject, QueryOptions{}); err == nil || !strings.Contains(err.Error(), `unknown trust level "legendary"`) {
		t.Errorf("unknown trust level: got %v", err)
	}
}
