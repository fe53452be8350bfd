package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/protocoltest"
)

var (
	testGenesis = protocoltest.Genesis
	randomDID   = protocoltest.RandomDID
)

// repoFiles reads every regular file of a repo but the store, to show that
// a refusal changed nothing.
func repoFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+repo.StoreDir+string(filepath.Separator)) {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// runDaemonOnce starts a daemon on dir and stops it as soon as it has
// started: enough to see what it does to the repo at start.
func runDaemonOnce(t *testing.T, dir string, genesis []byte) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return RunDaemon(ctx, dir, DaemonOptions{APIAddr: "127.0.0.1:0", Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Genesis: genesis})
}

func TestDaemonFoundsCommonsOfOne(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	start := time.Now().UTC().Truncate(time.Second)
	if err := runDaemonOnce(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	g, me := r.Genesis, r.NodeKey.DID()
	if g == nil {
		t.Fatal("the daemon founded no commons")
	}
	if len(g.Stewards) != 1 || g.Stewards[0] != me || g.Threshold != 1 || g.Name != "commons of "+me.String()[len("did:key:"):][:12] {
		t.Errorf("commons of one: %+v, want %s the only steward", g, me)
	}
	if g.Created.Before(start) || g.Created.After(time.Now()) {
		t.Errorf("created %s, want about now", g.Created)
	}
	// A restart keeps the network; so does one given the same genesis.
	network := r.Network
	genesis, _ := os.ReadFile(filepath.Join(dir, repo.GenesisFile))
	if err := runDaemonOnce(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := runDaemonOnce(t, dir, genesis); err != nil {
		t.Fatal(err)
	}
	if again, err := repo.Open(dir); err != nil || again.Network != network {
		t.Errorf("after restarts: network %s, %v; want %s", again.Network, err, network)
	}
}

func TestDaemonJoinsAndRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	rp, err := repo.Init(dir, repo.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := testGenesis(t, "A", rp.NodeKey.DID(), randomDID(t))
	if err := runDaemonOnce(t, dir, a); err != nil {
		t.Fatal(err)
	}
	before := repoFiles(t, dir)
	if got := before[filepath.Join(dir, repo.GenesisFile)]; got != string(a) {
		t.Fatalf("the daemon stored %q, want the genesis given", got)
	}
	b := testGenesis(t, "B", rp.NodeKey.DID())
	err = runDaemonOnce(t, dir, b)
	if !protocol.IsKind(err, protocol.Exists) || !strings.Contains(err.Error(), protocol.NetworkIDOf(a).String()) || !strings.Contains(err.Error(), protocol.NetworkIDOf(b).String()) {
		t.Fatalf("daemon with another genesis: %v, want a refusal naming both networks", err)
	}
	if after := repoFiles(t, dir); len(after) != len(before) || after[filepath.Join(dir, repo.GenesisFile)] != string(a) {
		t.Error("the refused daemon changed the repo")
	}

	// A daemon that creates its repo joins the network given.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := runDaemonOnce(t, fresh, b); err != nil {
		t.Fatal(err)
	}
	if r, err := repo.Open(fresh); err != nil || r.Network != protocol.NetworkIDOf(b) {
		t.Errorf("a repo created by the daemon: %v, want network %s", err, protocol.NetworkIDOf(b))
	}
}

func TestNodeFollowsGenesis(t *testing.T) {
	n := newTestNode(t)
	steward := randomDID(t)
	if err := n.repo.JoinNetwork(testGenesis(t, "G", steward)); err != nil {
		t.Fatal(err)
	}
	if p := n.policy(); !p.IsSteward(steward) || p.IsSteward(n.repo.NodeKey.DID()) {
		t.Error("node policy: want the genesis stewards")
	}
	if got, want := n.ID(context.Background()).Network, n.repo.Network.String(); got != want || got == "" {
		t.Errorf("ID().Network = %q, want %q", got, want)
	}
}
