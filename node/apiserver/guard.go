package apiserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// The API's guard decides, before any route runs, whether a request may
// speak for the node (SPEC §6.2). Listening on loopback keeps other machines
// out but not the web pages of the user's own browser: a page may send
// requests to 127.0.0.1 (a form, or a fetch the browser sends without a
// preflight), and a page whose name it rebinds to 127.0.0.1 reads the
// answers as its own. So the guard trusts a request only when it carries the
// token, or when it names a loopback host and no browser marks it as sent
// from another origin; and a route that changes state takes only JSON, which
// no page may send to another origin without the preflight this API never
// grants. The explorer's pages (SPEC §6.6) add three doors, each for reads
// alone: the page shell itself, which holds no data, answers anyone and a
// link from any site; the login's cookie stands for the token on a GET or
// HEAD and never on a POST; and a public explorer opens its reads.

// access is what the guard knows of who may read and write.
type access struct {
	token   string            // the API token; "" when none is set
	bearer  [sha256.Size]byte // SHA-256 of the token
	session [sha256.Size]byte // SHA-256 of the login cookie's value
	public  bool              // Options.Public: publicReads need no token
}

func newAccess(token string, public bool) access {
	a := access{token: token, public: public}
	if token != "" {
		a.bearer = sha256.Sum256([]byte(token))
		a.session = sha256.Sum256([]byte(sessionValue(token)))
	}
	return a
}

// guard wraps the routes of mux with the checks of SPEC §6.2. a.token,
// when not empty, is required on every request but those that a.public or
// the explorer's open routes let through. refused counts each refusal by
// its status, for the operator to see pages knocking.
func guard(a access, mux *http.ServeMux, refused func(code int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		_, route := mux.Handler(r)
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		open := openRoutes[route]
		if msg := crossOrigin(r); msg != "" && !(open && route != "POST /login" && navigation(r)) {
			refuse(w, http.StatusForbidden, protocol.Forbidden, msg)
			refused(http.StatusForbidden)
			return
		}
		if a.token != "" {
			switch {
			case bearerIs(r.Header.Get("Authorization"), a.bearer):
			case open:
			case read && hasSession(r, a.session):
			case a.public && read && publicReads[route]:
				answerLocally(r)
			default:
				msg := "missing or wrong API token (see DIR/api.token)"
				if hasSession(r, a.session) {
					msg = "the explorer's login authorises reads only: a " + r.Method + " needs the API token in Authorization: Bearer"
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="commons"`)
				refuse(w, http.StatusUnauthorized, protocol.Forbidden, msg)
				refused(http.StatusUnauthorized)
				return
			}
		} else if !loopbackHost(r.Host) {
			refuse(w, http.StatusForbidden, protocol.Forbidden, fmt.Sprintf(
				"Host %q refused: without an api_token the API answers only requests to a loopback address or localhost", r.Host))
			refused(http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// answerLocally makes r a read of the local index alone (local=1): a read
// that only the public switch lets through never makes the node search
// the network, which would let anyone spend the node's time and its
// peers' on lookups.
func answerLocally(r *http.Request) {
	q := r.URL.Query()
	q.Set("local", "1")
	q.Del("timeout")
	r.URL.RawQuery = q.Encode()
}

// crossOrigin says why a request comes from a web page of another origin,
// or "" when nothing says it does. A browser marks what a page sends with
// Origin (on every POST and every CORS request) and, to a loopback address,
// Sec-Fetch-Site; tools such as the CLI send neither. Only the explorer's
// own pages could be trusted, and only "same-origin" and "none" (the user
// typed the address) pass: a page on another port of the same host is
// "same-site" but another origin, and is refused. The guard lets one more
// through: a link followed to a page shell (navigation).
func crossOrigin(r *http.Request) string {
	if origins := r.Header.Values("Origin"); len(origins) > 0 {
		own := "http://" + r.Host
		if len(origins) != 1 || !strings.EqualFold(origins[0], own) {
			return fmt.Sprintf("Origin %q refused: the API answers no web page of another origin than its own, %s", strings.Join(origins, ", "), own)
		}
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Sprintf("Sec-Fetch-Site %q refused: the API answers no web page of another origin", site)
	}
	return ""
}

// loopbackHost reports whether host, the Host of a request with or without
// its port, is an address in 127.0.0.0/8, ::1, or the name localhost. A
// name a page's author controls is refused whatever it resolves to, which
// is what defeats DNS rebinding.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// bearerIs reports whether the Authorization header value carries the
// token whose SHA-256 is want. The scheme is case-insensitive (RFC 7235
// §2.1); the tokens are compared through their hashes, in constant time,
// so that neither their content nor their length shows in the time taken.
func bearerIs(header string, want [sha256.Size]byte) bool {
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimLeft(cred, " ")))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// acceptsBody reports whether the request's Content-Type is one of types,
// parameters such as charset aside. A page of another origin can send a
// POST with a form's or text/plain's type without asking the browser's
// leave (a "simple" request); any other type needs a CORS preflight, which
// this API never answers with a permission.
func acceptsBody(r *http.Request, types ...string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	for _, t := range types {
		if mt == t {
			return true
		}
	}
	return false
}

// refuse answers a request the guard turned away, and closes the
// connection: nothing more is read from a client that was refused, so a
// body it is still sending cannot hold the connection.
func refuse(w http.ResponseWriter, code int, kind protocol.Kind, msg string) {
	w.Header().Set("Connection", "close")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(api.ErrorBody{Error: msg, Kind: kind.String()})
	http.NewResponseController(w).SetReadDeadline(aLongTimeAgo)
}
