package main

// End-to-end tests of the genesis: founders create their nodes, write the
// genesis together offline, and each node joins that network and no other.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

type (
	initJSON struct {
		DID     string `json:"did"`
		PeerID  string `json:"peer_id"`
		Network string `json:"network"`
		Repo    string `json:"repo"`
	}
	genesisJSON struct {
		Network string `json:"network"`
		File    string `json:"file"`
	}
	networkJSON struct {
		Network string `json:"network"`
	}
)

func TestGenesisFounders(t *testing.T) {
	dir := t.TempDir()
	// Two institutions create their nodes; neither belongs to a network yet.
	var a, b initJSON
	testnet.RunJSON(t, &a, "init", "--repo", filepath.Join(dir, "a"), "--json")
	testnet.RunJSON(t, &b, "init", "--repo", filepath.Join(dir, "b"), "--json")
	if a.Network != "" || !strings.HasPrefix(a.DID, "did:key:z") {
		t.Fatalf("init without a genesis: %+v", a)
	}

	// They write the genesis together, with no repo and no daemon.
	file := filepath.Join(dir, "genesis.json")
	var g genesisJSON
	testnet.RunJSON(t, &g, "genesis", "new", "--name", "Two founders", "--steward", a.DID, "--steward", b.DID,
		"--threshold", "2", "--param", "review-days=14", "--out", file, "--json")
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.NetworkIDOf(content).String(); g.Network != want || g.File != file {
		t.Fatalf("genesis new: %+v, want network %s in %s", g, want, file)
	}
	parsed, _, err := protocol.DecodeGenesis(content)
	if err != nil || parsed.Name != "Two founders" || len(parsed.Stewards) != 2 || parsed.Threshold != 2 || parsed.Params["review-days"] != "14" {
		t.Fatalf("genesis written: %+v, %v", parsed, err)
	}
	testnet.RunFails(t, nil, []string{file, "exists", "--force"}, "genesis", "new", "--name", "x", "--steward", a.DID, "--threshold", "1", "--out", file)
	if r := testnet.Run(t, nil, "genesis", "new", "--name", "x", "--steward", a.DID, "--steward", b.DID, "--threshold", "3", "--out", filepath.Join(dir, "bad.json")); r.Code != 2 || !strings.Contains(r.Stderr, "threshold 3") || !strings.Contains(r.Stderr, "[1, 2]") {
		t.Errorf("genesis new --threshold above the stewards: want exit 2 naming the range\n%s", r)
	}
	// A steward that is not a DID is a usage error, exit 2, whatever it names.
	if r := testnet.Run(t, nil, "genesis", "new", "--name", "x", "--steward", filepath.Join(dir, "a"), "--threshold", "1", "--out", filepath.Join(dir, "bad.json")); r.Code != 2 || !strings.Contains(r.Stderr, "is a path") || !strings.Contains(r.Stderr, "did:key") {
		t.Errorf("genesis new --steward PATH: want exit 2 naming the path and did:key\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); !os.IsNotExist(err) {
		t.Errorf("a refused genesis new wrote its file: %v", err)
	}
	if after, _ := os.ReadFile(file); string(after) != string(content) {
		t.Error("a refused genesis new changed the existing file")
	}

	// A third node joins at init; its daemon reports the network.
	repo := filepath.Join(dir, "c")
	var c initJSON
	testnet.RunJSON(t, &c, "init", "--repo", repo, "--genesis", file, "--json")
	if c.Network != g.Network {
		t.Errorf("init --genesis: network %q, want %q", c.Network, g.Network)
	}
	if stored, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(stored) != string(content) {
		t.Error("init --genesis did not store the genesis byte for byte")
	}
	d := testnet.Start(t, repo)
	var id networkJSON
	testnet.RunJSON(t, &id, "id", "--repo", repo, "--json")
	if id.Network != g.Network {
		t.Errorf("id: network %q, want %q", id.Network, g.Network)
	}
	if code := d.Stop(t); code != 0 {
		t.Fatalf("daemon exited %d:\n%s", code, d.Stderr())
	}

	// A daemon given another genesis refuses to start and changes nothing.
	other := filepath.Join(dir, "other.json")
	var o genesisJSON
	testnet.RunJSON(t, &o, "genesis", "new", "--name", "Other", "--steward", c.DID, "--threshold", "1", "--out", other, "--json")
	testnet.RunFails(t, nil, []string{g.Network, o.Network, "nothing was changed"},
		"daemon", "--repo", repo, "--genesis", other, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	if stored, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(stored) != string(content) {
		t.Error("a refused daemon changed the genesis")
	}
	testnet.RunFails(t, nil, []string{"bad.json", "decode genesis"}, "init", "--repo", filepath.Join(dir, "d"), "--genesis", writeBad(t, dir))
	if _, err := os.Stat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Errorf("init with a bad genesis created the repo: %v", err)
	}
}

func writeBad(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(p, []byte(`{"type":"https://commons.network/genesis/v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommonsOfOne: a node never given a genesis founds its own network,
// and keeps it across restarts.
func TestCommonsOfOne(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, repo)
	var id struct {
		DID     string `json:"did"`
		Network string `json:"network"`
	}
	testnet.RunJSON(t, &id, "id", "--repo", repo, "--json")
	content, err := os.ReadFile(filepath.Join(repo, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	g, nid, err := protocol.DecodeGenesis(content)
	if err != nil || id.Network != nid.String() || len(g.Stewards) != 1 || g.Stewards[0].String() != id.DID || g.Threshold != 1 {
		t.Fatalf("commons of one: id %+v, genesis %+v, %v", id, g, err)
	}
	d.Stop(t)
	testnet.Start(t, repo)
	var again networkJSON
	testnet.RunJSON(t, &again, "id", "--repo", repo, "--json")
	if again.Network != id.Network {
		t.Errorf("after a restart: network %s, want %s", again.Network, id.Network)
	}
}
