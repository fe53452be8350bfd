package apiserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
)

// The refusals of the HTTP layer itself — the guard, the timeouts — served
// over a fake node: what they refuse never reaches the Service.

// fakeService answers GET /v1/id. No other operation is expected of it:
// each panics on the nil Service it embeds.
type fakeService struct{ Service }

func (fakeService) ID(context.Context) api.IDInfo { return api.IDInfo{Version: "test"} }

// shortTimeouts are the daemon's timeouts shrunk so that a test sees each
// one pass.
var shortTimeouts = Timeouts{
	ReadHeader:  time.Second,
	Read:        time.Second,
	Write:       2 * time.Second,
	Idle:        500 * time.Millisecond,
	BodyGrace:   500 * time.Millisecond,
	MinBodyRate: 1 << 20,
	Margin:      time.Second,
}

// serveAPI serves the API over svc as the daemon does, with timeouts tm.
func serveAPI(t *testing.T, svc Service, token string, tm Timeouts) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer(New(svc, Options{Token: token, Timeouts: tm}), tm)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestAPITokenOpensOtherHosts: with a token, a request that carries it may
// name any host (an API exposed on purpose), and one that does not is
// refused whatever host it names; pages stay refused either way.
func TestAPITokenOpensOtherHosts(t *testing.T) {
	srv := httptest.NewServer(New(fakeService{}, Options{Token: "s3cret"}))
	defer srv.Close()
	for _, tt := range []struct {
		name, host, auth, origin string
		code                     int
	}{
		{"token, other host", "node.example.org:5780", "Bearer s3cret", "", 200},
		{"no token, other host", "node.example.org:5780", "", "", 401},
		{"no token, loopback", "", "", "", 401},
		{"token, page of another origin", "", "Bearer s3cret", "http://evil.example", 403},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/id", nil)
		if tt.host != "" {
			req.Host = tt.host
		}
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.code)
		}
	}
}

// closedWithin reads conn until the server closes it, and fails if it is
// still open after bound (far longer than any timeout it should meet). It
// returns what was read.
func closedWithin(t *testing.T, conn net.Conn, bound time.Duration) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(bound))
	b, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for %s; it had sent %q", bound, b)
	}
	return string(b)
}

// TestAPISlowBodyCutOff: a client that sends its headers and then a body
// a byte at a time, or not at all, is cut off, on an ordinary route by the
// read timeout and on the bulk route by the minimum rate.
func TestAPISlowBodyCutOff(t *testing.T) {
	addr := serveAPI(t, fakeService{}, "", shortTimeouts)
	for _, tt := range []struct {
		path string
		drip bool // send a byte every 50 ms instead of stalling
	}{
		{"/v1/claims", false},
		{"/v1/claims", true},
		{"/v1/objects/bulk", false},
		{"/v1/objects/bulk", true},
	} {
		t.Run(fmt.Sprintf("%s drip=%v", tt.path, tt.drip), func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", tt.path, addr)
			stop := make(chan struct{})
			defer close(stop)
			if tt.drip {
				go func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(50 * time.Millisecond):
						}
						if _, err := conn.Write([]byte(" ")); err != nil {
							return
						}
					}
				}()
			}
			got := closedWithin(t, conn, 15*time.Second)
			if tt.path == "/v1/claims" && !strings.HasPrefix(got, "HTTP/1.1 408") {
				t.Errorf("answer to a stalled body: %q, want 408", got)
			}
		})
	}
}

// TestAPIIdleConnectionClosed: a kept-alive connection that sends nothing
// more is closed.
func TestAPIIdleConnectionClosed(t *testing.T) {
	addr := serveAPI(t, fakeService{}, "", shortTimeouts)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/id HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("first request: %d, close %v; want 200 kept alive", resp.StatusCode, resp.Close)
	}
	closedWithin(t, conn, 15*time.Second)
}

// TestAPIClosesAfter401: a request without the token is answered 401 and
// its connection closed, so a guesser pays a new connection per guess.
func TestAPIClosesAfter401(t *testing.T) {
	addr := serveAPI(t, fakeService{}, "s3cret", shortTimeouts)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/id HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer guess\r\n\r\n", addr)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 401 || !resp.Close || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong token: %d, close %v, WWW-Authenticate %q; want 401, close, a challenge", resp.StatusCode, resp.Close, resp.Header.Get("WWW-Authenticate"))
	}
	// Well before the idle timeout, the connection is gone.
	conn.SetReadDeadline(time.Now().Add(shortTimeouts.Idle / 2))
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after a 401 the connection is open: read %d, %v", n, err)
	}
}

// TestAPIBearerScheme: the scheme is case-insensitive (RFC 7235), the
// token is not.
func TestAPIBearerScheme(t *testing.T) {
	srv := httptest.NewServer(New(fakeService{}, Options{Token: "s3cret"}))
	defer srv.Close()
	for _, tt := range []struct {
		auth string
		code int
	}{
		{"Bearer s3cret", 200},
		{"bearer s3cret", 200},
		{"BEARER s3cret", 200},
		{"Bearer  s3cret", 200},
		{"Bearer S3CRET", 401},
		{"Bearer s3cret2", 401},
		{"Bearer s3cre", 401},
		{"Basic s3cret", 401},
		{"Bearers3cret", 401},
		{"s3cret", 401},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/id", nil)
		req.Header.Set("Authorization", tt.auth)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("Authorization %q: %d, want %d", tt.auth, resp.StatusCode, tt.code)
		}
	}
}
