package explorer

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

//go:embed assets
var embedded embed.FS

// Pages are the routes of the page shell, as http.ServeMux patterns: a
// deep link to any of them loads the shell, whose script reads the path.
// A path value that cannot name what its page shows (an ID, a did:key) is
// not found.
var Pages = []string{
	"GET /{$}",
	"GET /search",
	"GET /dataset/{id}",
	"GET /object/{id}",
	"GET /did/{did}",
	"GET /governance",
	"GET /node",
}

// AssetRoute serves the embedded assets by name.
const AssetRoute = "GET /assets/{name}"

// ContentSecurityPolicy allows a page its own scripts, styles and reads,
// and nothing inline: text from peers that reached the DOM as markup could
// run no script and load nothing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SetHeaders sets the headers every explorer response carries.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// asset is one embedded file, ready to serve.
type asset struct {
	body, gzipped []byte
	etag, ctype   string
}

var assets = loadAssets()

func loadAssets() map[string]*asset {
	out := map[string]*asset{}
	entries, err := fs.ReadDir(embedded, "assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(embedded, "assets/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		switch path.Ext(e.Name()) {
		case ".js":
			ctype = "text/javascript; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".html":
			ctype = "text/html; charset=utf-8"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[e.Name()] = &asset{body: b, gzipped: z.Bytes(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: ctype}
	}
	return out
}

// Asset serves the embedded asset named by the path value name, or 404.
func Asset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok || r.PathValue("name") == "index.html" || r.PathValue("name") == "login.html" {
		notFound(w)
		return
	}
	serve(w, r, a, http.StatusOK)
}

// Page serves the page shell for the routes of Pages, or 404 when a path
// value cannot name what its page shows.
func Page(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != "" {
		if _, err := protocol.ParseID(id); err != nil {
			notFound(w)
			return
		}
	}
	if d := r.PathValue("did"); d != "" {
		if _, err := protocol.ParseDID(d); err != nil {
			notFound(w)
			return
		}
	}
	serve(w, r, assets["index.html"], http.StatusOK)
}

// Login serves the login form with code; failed, when true, says that the
// token given was wrong. The form itself carries no data: where to go
// next travels in the URL, read by the form's action.
func Login(w http.ResponseWriter, r *http.Request, code int, failed bool) {
	name := "login.html"
	if failed {
		name = "login-failed.html"
	}
	w.Header().Set("Cache-Control", "no-store")
	serve(w, r, assets[name], code)
}

// loginReferrerPolicy is the login page's: under no-referrer a browser
// sends the form's POST with "Origin: null", which the guard refuses as
// it refuses every page of an unknown origin (SPEC §6.2); same-origin
// names this origin to itself and nothing to any other.
const loginReferrerPolicy = "same-origin"

// isLogin reports whether a is one of the login pages.
func isLogin(a *asset) bool {
	return a == assets["login.html"] || a == assets["login-failed.html"]
}

// serve writes a with code, compressed when the client accepts gzip, and
// answers 304 to a request that holds it already.
func serve(w http.ResponseWriter, r *http.Request, a *asset, code int) {
	h := w.Header()
	SetHeaders(h)
	if isLogin(a) {
		h.Set("Referrer-Policy", loginReferrerPolicy)
	}
	h.Set("Content-Type", a.ctype)
	h.Set("Vary", "Accept-Encoding")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	if code == http.StatusOK {
		h.Set("ETag", a.etag)
		if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func notFound(w http.ResponseWriter) {
	SetHeaders(w.Header())
	http.Error(w, "404 page not found", http.StatusNotFound)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip listed, and not with q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
