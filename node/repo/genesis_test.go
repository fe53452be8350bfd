package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		if err != nil || d.IsDir() || strings.Contains(p, string(filepath.Separator)+StoreDir+string(filepath.Separator)) {
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
	b, err := os.ReadFile(filepath.Join(dir, GenesisFile))
	if err != nil || string(b) != string(doc) {
		t.Fatalf("genesis.json = %q, %v; want the bytes given", b, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, GenesisFile)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("genesis.json mode = %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	again, err := Open(dir)
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
	if _, err := os.Stat(filepath.Join(dir, GenesisFile)); !os.IsNotExist(err) {
		t.Errorf("init without a genesis wrote %s: %v", GenesisFile, err)
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
	if after := repoFiles(t, dir); len(after) != len(before) || after[filepath.Join(dir, GenesisFile)] != string(a) {
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
	r1, err1 := Open(dir)
	r2, err2 := Open(dir)
	r3, err3 := Open(dir)
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
	if got, _ := os.ReadFile(filepath.Join(dir, GenesisFile)); string(got) != string(a) {
		t.Error("the genesis file changed")
	}
}

func TestOpenRepoRefusesBadGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := Init(dir, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, GenesisFile), []byte(`{"type":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), GenesisFile) {
		t.Errorf("open a repo with a bad genesis: %v", err)
	}
}
