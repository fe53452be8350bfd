package testnet

import (
	"context"
	"fmt"
	"github.com/commons-p2p/commons/node/api"
	"strings"
	"testing"
	"time"
)

// UpTest is Up for a test: the swarm lives in t.TempDir(), its daemons
// are stopped when the test ends (and show the end of their logs when it
// failed), and an error fails the test.
func UpTest(t testing.TB, n int, opts Options) *Swarm {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Up(ctx, n, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range s.Nodes {
				t.Logf("--- last lines of node %d's log (%s):\n%s", nd.K, nd.LogPath(), nd.LogTail(8))
			}
		}
		if err := s.Down(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Eventually calls check until it returns nil, every 200 ms for at most
// limit, and returns how long that took; it fails t with what and check's
// last error otherwise.
func Eventually(t testing.TB, limit time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	t0 := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(t0)
		}
		if time.Since(t0) >= limit {
			t.Fatalf("%s: not so after %s: %v", what, limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Must runs commons ARGS on the node, fails t unless it exits 0, and
// decodes its JSON stdout into v (when v is not nil); --json is added.
func (nd *Node) Must(t testing.TB, v any, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := nd.CLI(ctx, append(args, "--json")...)
	if r.Code != 0 {
		t.Fatalf("node %d: %s", nd.K, r)
	}
	if v != nil {
		if err := r.JSON(v); err != nil {
			t.Fatalf("node %d: %v", nd.K, err)
		}
	}
	return r
}

// Fails runs commons ARGS on the node and fails t unless it exits with
// code and says every one of want on stderr.
func (nd *Node) Fails(t testing.TB, code int, want []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := nd.CLI(ctx, args...)
	if r.Code != code {
		t.Fatalf("node %d: want exit %d\n%s", nd.K, code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Fatalf("node %d: stderr does not say %q\n%s", nd.K, w, r)
		}
	}
	return r
}

// API returns the node's API client, failing t when the daemon does not
// answer.
func (nd *Node) API(t testing.TB) *api.Client {
	t.Helper()
	c, err := nd.Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// StartT, StopT and RestartT are Start, Stop and Restart failing t.
func (nd *Node) StartT(t testing.TB) {
	t.Helper()
	if err := nd.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (nd *Node) StopT(t testing.TB) {
	t.Helper()
	if err := nd.Stop(); err != nil {
		t.Fatal(err)
	}
}

func (nd *Node) String() string { return fmt.Sprintf("node %d", nd.K) }
