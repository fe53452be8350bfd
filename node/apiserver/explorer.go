package apiserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/commons-p2p/commons/node/explorer"
	"github.com/commons-p2p/commons/protocol"
)

// The explorer's pages and its login (SPEC §6.6). The pages carry no data:
// the shell is the same for every route, and its script reads the API. So
// a page answers without the token, and a shared link to one may come from
// another site; what the page then reads passes the guard as any read.

// sessionCookie is the name of the cookie the login sets.
const sessionCookie = "commons_session"

// maxLoginBody bounds the login form: a token and a path.
const maxLoginBody = 8 << 10

// sessionValue is what the login's cookie holds for token: a hash of it
// under a label of its own, so that the cookie, which the guard takes for
// reads alone, is not the token that the Authorization header takes for
// everything.
func sessionValue(token string) string {
	sum := sha256.Sum256([]byte("commons explorer session v1\x00" + token))
	return hex.EncodeToString(sum[:])
}

// openRoutes answer without the token: the page shell, its assets and the
// login form hold nothing of the node's.
var openRoutes = func() map[string]bool {
	m := map[string]bool{explorer.AssetRoute: true, "GET /login": true, "POST /login": true}
	for _, p := range explorer.Pages {
		m[p] = true
	}
	return m
}()

// publicReads are the routes that Options.Public opens to GET and HEAD
// without the token: the reads the explorer's pages make. The others stay
// behind it: the node's keys and repo (GET /v1/id, GET /v1/keys), its
// peers' addresses (GET /v1/swarm/peers), /metrics, and every POST.
var publicReads = map[string]bool{
	"GET /v1/datasets":           true,
	"GET /v1/datasets/{id}":      true,
	"GET /v1/datasets/{id}/diff": true,
	"GET /v1/attribution/{id}":   true,
	"GET /v1/export/{id}":        true,
	"GET /v1/license/{id}":       true,
	"GET /v1/notice/{id}":        true,
	"GET /v1/derived/{id}":       true,
	"GET /v1/credit/{id}":        true,
	"GET /v1/bundle/{id}":        true,
	"GET /v1/locate/{digest}":    true,
	"GET /v1/objects/{id}":       true,
	"GET /v1/gov/state":          true,
	"GET /v1/gov/log":            true,
	"GET /v1/lineage/{id}":       true,
	"GET /v1/did/{did}":          true,
	"GET /v1/search":             true,
	"GET /v1/node":               true,
}

// servePages registers the explorer's routes on mux.
func servePages(mux *http.ServeMux, token string) {
	for _, p := range explorer.Pages {
		mux.HandleFunc(p, explorer.Page)
	}
	mux.HandleFunc(explorer.AssetRoute, explorer.Asset)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		explorer.Login(w, r, http.StatusOK, false)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { login(w, r, token) })
}

// login checks the token a person typed into the login form and, when it
// is the API's, sets the cookie that lets this browser read. The form is
// the one POST of a form's type the node takes: it changes nothing the
// node holds, and a page of another origin cannot send it (the guard
// refuses its Origin).
func login(w http.ResponseWriter, r *http.Request, token string) {
	explorer.SetHeaders(w.Header())
	if token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !acceptsBody(r, "application/x-www-form-urlencoded") {
		refuse(w, http.StatusUnsupportedMediaType, protocol.Invalid, fmt.Sprintf("Content-Type %q refused: POST /login takes application/x-www-form-urlencoded", r.Header.Get("Content-Type")))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		explorer.Login(w, r, http.StatusBadRequest, true)
		return
	}
	got := sha256.Sum256([]byte(r.PostForm.Get("token")))
	want := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		explorer.Login(w, r, http.StatusUnauthorized, true)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sessionValue(token), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}

// localPath is next when it is a path of this node, else "/": the login
// never sends a browser elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t\\") {
		return "/"
	}
	return next
}

// hasSession reports whether r carries the login's cookie for the token
// whose session value hashes to want.
func hasSession(r *http.Request, want [sha256.Size]byte) bool {
	ok := false
	for _, c := range r.CookiesNamed(sessionCookie) {
		got := sha256.Sum256([]byte(c.Value))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			ok = true
		}
	}
	return ok
}

// navigation reports whether r is a person opening a page shell from a
// link, which a browser marks as a top-level navigation to a document.
func navigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.Header.Get("Sec-Fetch-Mode") == "navigate" &&
		(r.Header.Get("Sec-Fetch-Dest") == "document" || r.Header.Get("Sec-Fetch-Dest") == "") &&
		len(r.Header.Values("Origin")) == 0
}
