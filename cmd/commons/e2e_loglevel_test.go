package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

// TestDaemonLogLevel: `daemon --log-level debug` logs what the default
// level leaves out (a search's trace of where its time went), and a level
// it does not know is refused before the daemon starts.
func TestDaemonLogLevel(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.RunFails(t, nil, []string{"--log-level", `"loud"`, "want debug, info, warn or error"},
		"daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--log-level", "loud")

	for _, tc := range []struct {
		flags []string
		debug bool
	}{{nil, false}, {[]string{"--log-level", "debug"}, true}} {
		repo := filepath.Join(t.TempDir(), "repo")
		d := testnet.Start(t, repo, tc.flags...)
		data := testnet.WriteTree(t, map[string]string{"a.txt": "traced"})
		var p struct{ ID string }
		testnet.RunJSON(t, &p, "--repo", repo, "--json", "dataset", "add", data, "--name", "traced", "--license", "CC0-1.0")
		testnet.Run(t, nil, "--repo", repo, "--json", "attribution", p.ID, "--timeout", "2s")
		d.Stop(t)
		if got := strings.Contains(d.Stderr(), "search: attribution"); got != tc.debug {
			t.Errorf("flags %q: the search's trace logged: %v, want %v; log:\n%s", tc.flags, got, tc.debug, d.Stderr())
		}
	}
}
