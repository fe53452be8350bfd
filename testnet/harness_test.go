//go:build unix

package testnet_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/testnet"
)

// TestHarness: a swarm of one taken up again from its directory (as the
// swarm command does from another process) sees the same node and daemon;
// a killed daemon is seen stopped, and started again it keeps its
// identity; the CLI's exit codes come back as they are.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon; skipped with -short")
	}
	s := testnet.UpTest(t, 1, testnet.Options{})
	nd := s.Node(1)
	var id api.IDInfo
	nd.Must(t, &id, "id")
	if id.DID != nd.DID || id.PeerID != nd.PeerID || id.Repo != nd.Repo {
		t.Fatalf("id %+v, the harness says %s %s %s", id, nd.DID, nd.PeerID, nd.Repo)
	}
	again, err := testnet.Open(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if o := again.Node(1); o.DID != nd.DID || o.PeerID != nd.PeerID || o.APIPort != nd.APIPort || o.PID() != nd.PID() || nd.PID() == 0 {
		t.Fatalf("Open: node %+v, pid %d; Up: %+v, pid %d", o, o.PID(), nd, nd.PID())
	}
	if r := nd.CLI(ctx(t), "no-such-command"); r.Code != 2 {
		t.Fatalf("an unknown command: want exit 2\n%s", r)
	}
	if err := nd.Kill(); err != nil {
		t.Fatal(err)
	}
	if nd.Running() || again.Node(1).Running() {
		t.Fatal("a killed daemon is still seen running")
	}
	if _, err := os.Stat(filepath.Join(nd.Repo, "daemon.pid")); !os.IsNotExist(err) {
		t.Fatalf("daemon.pid left after the kill: %v", err)
	}
	nd.Fails(t, 1, []string{"no commons daemon is running"}, "id")
	nd.StartT(t)
	nd.Must(t, &id, "id")
	if id.DID != nd.DID || id.PeerID != nd.PeerID {
		t.Fatalf("after a kill and a start: %+v, want %s %s", id, nd.DID, nd.PeerID)
	}
}

// TestStart: one daemon of a test answers on its repo; RunJSON, RunFails
// and RunEnv see the CLI's exit codes and streams; a stopped daemon exits
// 0, and one started again on the repo keeps its identity.
func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, dir)
	var id api.IDInfo
	testnet.RunJSON(t, &id, "id", "--repo", dir, "--json")
	if id.Repo != dir || id.DID.String() == "" {
		t.Fatalf("id %+v of the daemon on %s", id, dir)
	}
	if r := testnet.Run(t, nil, "no-such-command"); r.Code != 2 || r.Stdout != "" || r.Stderr == "" {
		t.Fatalf("an unknown command: want exit 2 and a usage on stderr\n%s", r)
	}
	var byEnv api.IDInfo
	testnet.RunEnv(t, []string{repo.EnvPath + "=" + dir}, nil, "id", "--json").Decode(t, &byEnv)
	if byEnv.DID != id.DID {
		t.Fatalf("id with %s: %s, want %s", repo.EnvPath, byEnv.DID, id.DID)
	}
	d = d.Restart(t)
	var again api.IDInfo
	testnet.RunJSON(t, &again, "id", "--repo", dir, "--json")
	if again.DID != id.DID {
		t.Fatalf("after a restart: %s, want %s", again.DID, id.DID)
	}
	if code := d.Stop(t); code != 0 || d.State() == nil {
		t.Fatalf("stopped: exit %d (%v)\n%s", code, d.State(), d.Stderr())
	}
	testnet.RunFails(t, nil, []string{"no commons daemon is running for repo " + dir}, "id", "--repo", dir)
}
