package apiserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/explorer"
	"github.com/commons-p2p/commons/protocol"
)

// The explorer's pages and its login, attacked from the browser: a page of
// another origin, a stolen or replayed cookie put to a POST, a shared
// link, a public explorer asked for what it must keep.

// explorerFake answers the reads these tests make; every other operation
// panics on the nil Service it embeds.
type explorerFake struct{ Service }

func (explorerFake) ID(context.Context) api.IDInfo { return api.IDInfo{Version: "test"} }
func (explorerFake) Datasets(context.Context) ([]api.DatasetSummary, error) {
	return []api.DatasetSummary{}, nil
}
func (explorerFake) Keys(context.Context) ([]api.KeyInfo, error) { return []api.KeyInfo{}, nil }
func (explorerFake) Peers(context.Context) ([]api.PeerInfo, error) {
	return []api.PeerInfo{}, nil
}
func (explorerFake) NewKey(context.Context, string) (api.KeyInfo, error) {
	panic("a key was made")
}

// Attribution answers whether it was asked to search the network.
func (explorerFake) Attribution(_ context.Context, id protocol.ID, q api.QueryOptions) (*api.Attribution, error) {
	kind := "network"
	if q.Local {
		kind = "local"
	}
	return &api.Attribution{Subject: id, Kind: kind}, nil
}

const testToken = "s3cret-token"

func explorerServer(t *testing.T, public bool) *httptest.Server {
	t.Helper()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "commons_peers 0\n") })
	srv := httptest.NewServer(New(explorerFake{}, Options{Token: testToken, Public: public, Metrics: metrics}))
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func do(t *testing.T, c *http.Client, method, url string, header http.Header, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// logIn posts the form as the login page does and returns the cookie.
func logIn(t *testing.T, srv *httptest.Server, token, origin string) (*http.Response, *http.Cookie) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	resp := do(t, noRedirects(srv), "POST", srv.URL+"/login", h, url.Values{"token": {token}, "next": {"/dataset/x"}}.Encode())
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return resp, c
		}
	}
	return resp, nil
}

// The login's cookie lets a browser read, and never write: a POST that
// carries it without the token is refused before any route runs, so a
// page that makes the browser send it (a form, a fetch) changes nothing.
func TestExplorerCookieReadsOnly(t *testing.T) {
	srv := explorerServer(t, false)
	resp, cookie := logIn(t, srv, testToken, srv.URL)
	if resp.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("login: %d, cookie %v", resp.StatusCode, cookie)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", cookie)
	}
	if cookie.Value == testToken || strings.Contains(cookie.Value, testToken) {
		t.Errorf("the cookie holds the token itself: %q", cookie.Value)
	}
	if got := resp.Header.Get("Location"); got != "/dataset/x" {
		t.Errorf("login sends the browser to %q, want /dataset/x", got)
	}
	withCookie := http.Header{"Cookie": {cookie.String()}}
	for _, tt := range []struct {
		method, path, ctype string
		code                int
	}{
		{"GET", "/v1/id", "", 200},
		{"HEAD", "/v1/datasets", "", 200},
		{"GET", "/v1/keys", "", 200},
		{"POST", "/v1/keys", "application/json", 401},
		{"POST", "/v1/keys", "text/plain", 401},
		{"PUT", "/v1/keys", "application/json", 401},
		{"POST", "/v1/gov/vote", "application/json", 401},
	} {
		h := withCookie.Clone()
		if tt.ctype != "" {
			h.Set("Content-Type", tt.ctype)
		}
		resp := do(t, srv.Client(), tt.method, srv.URL+tt.path, h, `{"name":"mallory"}`)
		if resp.StatusCode != tt.code {
			t.Errorf("%s %s with the cookie: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.code)
		}
	}
	// A cookie of another token, or one made up, reads nothing.
	for _, v := range []string{sessionValue("another token"), testToken, ""} {
		resp := do(t, srv.Client(), "GET", srv.URL+"/v1/id", http.Header{"Cookie": {sessionCookie + "=" + v}}, "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("cookie %q: %d, want 401", v, resp.StatusCode)
		}
	}
}

// The login refuses a wrong token without a cookie, a form of another
// origin, a body of another type, and never sends the browser off the
// node.
func TestExplorerLoginRefusals(t *testing.T) {
	srv := explorerServer(t, false)
	if resp, c := logIn(t, srv, "wrong", srv.URL); resp.StatusCode != http.StatusUnauthorized || c != nil {
		t.Errorf("wrong token: %d, cookie %v; want 401 and none", resp.StatusCode, c)
	}
	if resp, c := logIn(t, srv, testToken, "http://evil.example"); resp.StatusCode != http.StatusForbidden || c != nil {
		t.Errorf("form of another origin: %d, cookie %v; want 403 and none", resp.StatusCode, c)
	}
	resp := do(t, srv.Client(), "POST", srv.URL+"/login", http.Header{"Content-Type": {"text/plain"}}, "token="+testToken)
	if resp.StatusCode != http.StatusUnsupportedMediaType || len(resp.Cookies()) != 0 {
		t.Errorf("text/plain login: %d, cookies %v; want 415 and none", resp.StatusCode, resp.Cookies())
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1"} {
		body := url.Values{"token": {testToken}, "next": {next}}.Encode()
		resp := do(t, noRedirects(srv), "POST", srv.URL+"/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body)
		if got := resp.Header.Get("Location"); got != "/" {
			t.Errorf("next=%q: Location %q, want /", next, got)
		}
	}
}

// Public opens the explorer's reads to anyone, GET and HEAD only: the
// node's keys, its peers, its metrics and every POST keep needing the
// token. Off by default.
func TestExplorerPublicReadsOnly(t *testing.T) {
	for _, public := range []bool{false, true} {
		srv := explorerServer(t, public)
		open := http.StatusUnauthorized
		if public {
			open = http.StatusOK
		}
		for _, tt := range []struct {
			method, path string
			code         int
		}{
			{"GET", "/v1/datasets", open},
			{"HEAD", "/v1/datasets", open},
			{"GET", "/v1/id", 401},
			{"GET", "/v1/keys", 401},
			{"GET", "/v1/swarm/peers", 401},
			{"GET", "/metrics", 401},
			{"POST", "/v1/keys", 401},
			{"POST", "/v1/datasets", 401},
			{"GET", "/", 200},
			{"GET", "/assets/app.js", 200},
		} {
			h := http.Header{"Content-Type": {"application/json"}}
			resp := do(t, srv.Client(), tt.method, srv.URL+tt.path, h, `{"name":"mallory"}`)
			if resp.StatusCode != tt.code {
				t.Errorf("public=%v: %s %s without the token: %d, want %d", public, tt.method, tt.path, resp.StatusCode, tt.code)
			}
		}
	}
}

// A read that only the public switch lets through is answered from the
// local index: a stranger cannot make the node search the network. With
// the token or the login's cookie, the read searches as asked.
func TestExplorerPublicReadsAreLocal(t *testing.T) {
	srv := explorerServer(t, true)
	_, cookie := logIn(t, srv, testToken, srv.URL)
	path := "/v1/attribution/bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq?timeout=4m"
	for _, tt := range []struct {
		name string
		h    http.Header
		want string
	}{
		{"anyone", nil, "local"},
		{"the token", http.Header{"Authorization": {"Bearer " + testToken}}, "network"},
		{"the cookie", http.Header{"Cookie": {cookie.String()}}, "network"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range tt.h {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var a api.Attribution
		json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if resp.StatusCode != 200 || a.Kind != tt.want {
			t.Errorf("%s: %d, read %q, want %q", tt.name, resp.StatusCode, a.Kind, tt.want)
		}
	}
}

// A shared link opens a page from another site: the shell, which holds
// no data, answers a top-level navigation; the API it reads keeps
// refusing every other origin, and the shell refuses a fetch from one.
func TestExplorerSharedLink(t *testing.T) {
	srv := explorerServer(t, true)
	nav := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"}}
	fetch := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"cors"}, "Sec-Fetch-Dest": {"empty"}, "Origin": {"http://evil.example"}}
	noCors := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"script"}}
	for _, tt := range []struct {
		name, path string
		h          http.Header
		code       int
	}{
		{"link to a page", "/dataset/bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq", nav, 200},
		{"link to the home page", "/", nav, 200},
		{"link to the API", "/v1/datasets", nav, 403},
		{"link to an envelope", "/v1/objects/bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq", nav, 403},
		{"fetch of a page", "/", fetch, 403},
		{"fetch of the API", "/v1/datasets", fetch, 403},
		{"script tag", "/assets/app.js", noCors, 403},
		{"same-site page", "/node", http.Header{"Sec-Fetch-Site": {"same-site"}, "Sec-Fetch-Mode": {"no-cors"}, "Sec-Fetch-Dest": {"iframe"}}, 403},
	} {
		resp := do(t, srv.Client(), "GET", srv.URL+tt.path, tt.h, "")
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.code)
		}
	}
	// A link cannot log a browser in: the login form posts same-origin.
	h := nav.Clone()
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp := do(t, noRedirects(srv), "POST", srv.URL+"/login", h, "token="+testToken); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /login: %d, want 403", resp.StatusCode)
	}
}

// Every page and asset carries the headers that keep text from peers
// inert: a strict CSP without inline script or style, no framing, no
// referrer; every API answer, no framing and no content of its own.
func TestExplorerHeaders(t *testing.T) {
	srv := explorerServer(t, true)
	for _, path := range []string{"/", "/search?q=x", "/dataset/bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq",
		"/object/bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", "/did/did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd",
		"/governance", "/node", "/login", "/assets/app.js", "/assets/verify.js", "/assets/app.css"} {
		resp := do(t, srv.Client(), "GET", srv.URL+path, nil, "")
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d, want 200", path, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
			"base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows something unsafe", path, csp)
		}
		referrer := "no-referrer"
		if path == "/login" {
			referrer = "same-origin" // else the form's POST carries Origin: null
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": referrer, "X-Content-Type-Options": "nosniff"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
	}
	resp := do(t, srv.Client(), "GET", srv.URL+"/v1/datasets", nil, "")
	if resp.Header.Get("Content-Security-Policy") != "default-src 'none'; frame-ancestors 'none'" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("API answer headers: %v", resp.Header)
	}
}

// Stable URLs: each page is a real route and a deep link loads it; a path
// that names nothing a page shows, or no page, is not found (to a client
// the guard lets through), and the path is not echoed back.
func TestExplorerRoutes(t *testing.T) {
	srv := explorerServer(t, true)
	for _, tt := range []struct {
		path string
		code int
	}{
		{"/dataset/nonsense", 404},
		{"/dataset/" + url.PathEscape("<img src=x onerror=alert(1)>"), 404},
		{"/did/did:key:nope", 404},
		{"/object/Qm" + strings.Repeat("a", 44), 404},
		{"/nowhere", 404},
		{"/dataset/", 404},
		{"/assets/index.html", 404},
		{"/assets/missing.js", 404},
		{"/assets/../go.mod", 404},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %d, want %d", tt.path, resp.StatusCode, tt.code)
		}
		if strings.Contains(string(b), "<img") {
			t.Errorf("%s: the answer echoes the path: %q", tt.path, b)
		}
	}
}

// Assets are served compressed to a client that takes gzip, with a strong
// ETag that a revalidation matches.
func TestExplorerAssetCaching(t *testing.T) {
	srv := explorerServer(t, false)
	tr := &http.Transport{DisableCompression: true}
	c := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	for _, name := range []string{"app.js", "verify.js", "app.css"} {
		resp := do(t, c, "GET", srv.URL+"/assets/"+name, http.Header{"Accept-Encoding": {"gzip, br"}}, "")
		etag := resp.Header.Get("ETag")
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(etag, `"`) || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %v", name, resp.Header)
		}
		if resp := do(t, c, "GET", srv.URL+"/assets/"+name, http.Header{"If-None-Match": {etag}}, ""); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated: %d, want 304", name, resp.StatusCode)
		}
		if resp := do(t, c, "GET", srv.URL+"/assets/"+name, http.Header{"Accept-Encoding": {"gzip;q=0"}}, ""); resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s with gzip;q=0: encoded %q", name, resp.Header.Get("Content-Encoding"))
		}
	}
	_ = explorer.ContentSecurityPolicy
}
