package node

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// testGenesis returns the bytes of a genesis named name whose stewards are
// dids, threshold 1.
func testGenesis(t *testing.T, name string, dids ...protocol.DID) []byte {
	t.Helper()
	b, err := protocol.EncodeGenesis(&protocol.Genesis{
		Name: name, Stewards: dids, Threshold: 1,
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomDID(t *testing.T) protocol.DID {
	t.Helper()
	k, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

// repoFiles reads every regular file of a repo but the store, to show that
// a refusal changed nothing.
func repoFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+dataDir+string(filepath.Separator)) {
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

func TestInitWithGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	steward := randomDID(t)
	// Bytes as a person may write them: the ID is over them, whatever their spelling.
	doc := append(testGenesis(t, "Test commons", steward), "\n\n"...)
	repo, err := Init(dir, InitOptions{Genesis: doc})
	if err != nil {
		t.Fatal(err)
	}
	want := protocol.NetworkIDOf(doc)
	if repo.Network != want || repo.Genesis == nil || repo.Genesis.Name != "Test commons" {
		t.Fatalf("after init: network %s, genesis %+v; want network %s", repo.Network, repo.Genesis, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, genesisFile))
	if err != nil || string(b) != string(doc) {
		t.Fatalf("genesis.json = %q, %v; want the bytes given", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, genesisFile)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("genesis.json mode = %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	again, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Network != want || again.Genesis.Stewards[0] != steward {
		t.Errorf("after open: network %s, genesis %+v", again.Network, again.Genesis)
	}
	p := again.Policy()
	if !p.IsSteward(steward) || p.IsSteward(again.NodeKey.DID()) {
		t.Error("policy: want the genesis stewards, not the node key")
	}
}

func TestInitWithoutGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	repo, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if repo.Genesis != nil || !repo.Network.IsZero() {
		t.Errorf("init without a genesis joined network %s", repo.Network)
	}
	if _, err := os.Stat(filepath.Join(dir, genesisFile)); !os.IsNotExist(err) {
		t.Errorf("init without a genesis wrote %s: %v", genesisFile, err)
	}
	if p := repo.Policy(); !p.IsSteward(repo.NodeKey.DID()) {
		t.Error("policy of a repo with no genesis yet: want the node key as steward")
	}
}

func TestInitRefusesInvalidGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	doc := testGenesis(t, "x", randomDID(t))
	bad := []byte(strings.Replace(string(doc), `"threshold": 1`, `"threshold": 2`, 1))
	_, err := Init(dir, InitOptions{Genesis: bad})
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "threshold 2") {
		t.Fatalf("init with an invalid genesis: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused init left %s: %v", dir, err)
	}
}

func TestJoinNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	repo, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := testGenesis(t, "A", repo.NodeKey.DID())
	b := testGenesis(t, "B", repo.NodeKey.DID(), randomDID(t))
	if err := repo.JoinNetwork(a); err != nil {
		t.Fatal(err)
	}
	if err := repo.JoinNetwork(a); err != nil {
		t.Errorf("joining the same network again: %v", err)
	}
	before := repoFiles(t, dir)
	err = repo.JoinNetwork(b)
	netA, netB := protocol.NetworkIDOf(a), protocol.NetworkIDOf(b)
	if !protocol.IsKind(err, protocol.Exists) {
		t.Fatalf("joining another network: %v, want an exists error", err)
	}
	for _, want := range []string{netA.String(), netB.String(), `"A"`, `"B"`, "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if repo.Network != netA {
		t.Errorf("refused, yet the repo now says network %s", repo.Network)
	}
	if after := repoFiles(t, dir); len(after) != len(before) || after[filepath.Join(dir, genesisFile)] != string(a) {
		t.Errorf("refused, yet the repo changed: %v", after)
	}
	if err := repo.JoinNetwork([]byte("{}")); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("joining with an invalid genesis: %v", err)
	}
}

// TestJoinNetworkRace: two handles on one repo, both opened before either
// joins. The second finds the file the first wrote and compares with it.
func TestJoinNetworkRace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := Init(dir, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	r1, err1 := OpenRepo(dir)
	r2, err2 := OpenRepo(dir)
	r3, err3 := OpenRepo(dir)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	a, b := testGenesis(t, "A", randomDID(t)), testGenesis(t, "B", randomDID(t))
	if err := r1.JoinNetwork(a); err != nil {
		t.Fatal(err)
	}
	if err := r2.JoinNetwork(b); !protocol.IsKind(err, protocol.Exists) {
		t.Errorf("a late join of another network: %v, want an exists error", err)
	}
	if err := r3.JoinNetwork(a); err != nil || r3.Network != protocol.NetworkIDOf(a) {
		t.Errorf("a late join of the same network: %v, network %s", err, r3.Network)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, genesisFile)); string(got) != string(a) {
		t.Error("the genesis file changed")
	}
}

func TestOpenRepoRefusesBadGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := Init(dir, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, genesisFile), []byte(`{"type":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenRepo(dir)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), genesisFile) {
		t.Errorf("open a repo with a bad genesis: %v", err)
	}
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
	repo, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	g, me := repo.Genesis, repo.NodeKey.DID()
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
	network := repo.Network
	genesis, _ := os.ReadFile(filepath.Join(dir, genesisFile))
	if err := runDaemonOnce(t, dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := runDaemonOnce(t, dir, genesis); err != nil {
		t.Fatal(err)
	}
	if again, err := OpenRepo(dir); err != nil || again.Network != network {
		t.Errorf("after restarts: network %s, %v; want %s", again.Network, err, network)
	}
}

func TestDaemonJoinsAndRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	repo, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := testGenesis(t, "A", repo.NodeKey.DID(), randomDID(t))
	if err := runDaemonOnce(t, dir, a); err != nil {
		t.Fatal(err)
	}
	before := repoFiles(t, dir)
	if got := before[filepath.Join(dir, genesisFile)]; got != string(a) {
		t.Fatalf("the daemon stored %q, want the genesis given", got)
	}
	b := testGenesis(t, "B", repo.NodeKey.DID())
	err = runDaemonOnce(t, dir, b)
	if !protocol.IsKind(err, protocol.Exists) || !strings.Contains(err.Error(), protocol.NetworkIDOf(a).String()) || !strings.Contains(err.Error(), protocol.NetworkIDOf(b).String()) {
		t.Fatalf("daemon with another genesis: %v, want a refusal naming both networks", err)
	}
	if after := repoFiles(t, dir); len(after) != len(before) || after[filepath.Join(dir, genesisFile)] != string(a) {
		t.Error("the refused daemon changed the repo")
	}

	// A daemon that creates its repo joins the network given.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := runDaemonOnce(t, fresh, b); err != nil {
		t.Fatal(err)
	}
	if r, err := OpenRepo(fresh); err != nil || r.Network != protocol.NetworkIDOf(b) {
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
