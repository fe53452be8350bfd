package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

// TestDaemonClockOffset: COMMONS_CLOCK_OFFSET=2h makes a daemon whose
// clock is two hours ahead, which stamps what it signs so; a value that is
// no duration stops the daemon before it starts, naming the variable.
func TestDaemonClockOffset(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	t.Setenv(clockOffsetEnv, "nonsense")
	testnet.RunFails(t, nil, []string{clockOffsetEnv, "nonsense", "not a duration"}, "daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")

	t.Setenv(clockOffsetEnv, "2h")
	testnet.Start(t, repo)
	data := testnet.WriteTree(t, map[string]string{"a.txt": "ahead"})
	var p struct{ ID string }
	testnet.RunJSON(t, &p, "--repo", repo, "--json", "dataset", "add", data, "--name", "ahead", "--license", "CC0-1.0")
	var d struct{ Created time.Time }
	testnet.RunJSON(t, &d, "--repo", repo, "--json", "dataset", "show", p.ID)
	if ahead := time.Until(d.Created); ahead < 110*time.Minute || ahead > 2*time.Hour {
		t.Fatalf("created %s, %s from now; want about 2 h ahead", d.Created, ahead)
	}
}
