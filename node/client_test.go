package node

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

func TestClientNoDaemon(t *testing.T) {
	// A port that nothing listens on: listen, note it, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()

	tests := []struct {
		name string
		api  string // contents of DIR/api; "" for no file
	}{
		{"no api file", ""},
		{"stale api file", dead + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my repo")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if tt.api != "" {
				writeTestFile(t, filepath.Join(dir, repo.APIFile), []byte(tt.api))
			}
			_, err := NewClient(dir)
			if protocol.KindOf(err) != protocol.NotFound {
				t.Fatalf("kind of %v = %v, want not found", err, protocol.KindOf(err))
			}
			msg := err.Error()
			want := "no commons daemon is running for repo " + dir + " (start one with: commons daemon --repo " + dir + ")"
			if msg != want {
				t.Errorf("message\n got %q\nwant %q", msg, want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
		})
	}
}

func TestClientBadAPIFile(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, repo.APIFile), []byte("not an address\n"))
	_, err := NewClient(dir)
	if protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), "not a host:port") {
		t.Fatalf("got %v, want invalid naming the address", err)
	}
}

func TestClientDaemonGoneMidway(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, repo.APIFile), []byte(strings.TrimPrefix(srv.URL, "http://")))
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, err = c.ID(context.Background())
	if protocol.KindOf(err) != protocol.NotFound || !strings.Contains(err.Error(), "commons daemon --repo "+dir) {
		t.Fatalf("got %v, want the no-daemon message", err)
	}
}
