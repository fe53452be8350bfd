//go:build unix

package testnet_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/node/api"
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
