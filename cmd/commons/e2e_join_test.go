package main

// End-to-end tests of a repo's network over its life: a daemon start that
// fails founds nothing, and a repo that founded a commons of one joins a
// real network once, with `commons join`.

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

// TestFailedStartChangesNothing: a daemon that cannot listen (its API port
// or its swarm port taken), or that finds another daemon on its repo, stops
// before it founds a commons of one or creates a repo.
func TestFailedStartChangesNothing(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	busyAPI := taken.Addr().String()
	busySwarm := "/ip4/127.0.0.1/tcp/" + strconv.Itoa(port)

	t.Run("no repo yet, API port taken", func(t *testing.T) {
		repo := filepath.Join(dir, "fresh")
		daemonFails(t, []string{"api address " + busyAPI, "address already in use"},
			"daemon", "--repo", repo, "--api", busyAPI, "--listen", "/ip4/127.0.0.1/tcp/0")
		if _, err := os.Stat(repo); !os.IsNotExist(err) {
			t.Errorf("a start that failed left a repo behind: %v", err)
		}
	})

	repo := filepath.Join(dir, "repo")
	var created initJSON
	testnet.RunJSON(t, &created, "init", "--repo", repo, "--json")
	before := snapshotDir(t, repo)
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"API port taken", []string{"--api", busyAPI, "--listen", "/ip4/127.0.0.1/tcp/0"}, []string{"api address " + busyAPI, "address already in use"}},
		{"swarm port taken", []string{"--api", "127.0.0.1:0", "--listen", busySwarm}, []string{busyAPI, "address already in use"}},
	} {
		t.Run("repo in no network, "+tt.name, func(t *testing.T) {
			daemonFails(t, tt.want, append([]string{"daemon", "--repo", repo}, tt.args...)...)
			if _, err := os.Stat(filepath.Join(repo, "genesis.json")); !os.IsNotExist(err) {
				t.Fatalf("a start that failed founded a commons of one: %v", err)
			}
			after := snapshotDir(t, repo)
			for name, content := range before {
				if after[name] != content {
					t.Errorf("a start that failed changed %s", name)
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok && !strings.HasPrefix(name, "data/") {
					t.Errorf("a start that failed wrote %s", name)
				}
			}
		})
	}

	// The same repo starts once the ports are free, founds its commons of
	// one then; a second daemon on it changes nothing.
	testnet.Start(t, repo)
	g, err := os.ReadFile(filepath.Join(repo, "genesis.json"))
	if err != nil {
		t.Fatalf("the daemon that started founded no commons of one: %v", err)
	}
	daemonFails(t, []string{"a daemon is using repo " + repo}, "daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	if again, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(again) != string(g) {
		t.Error("a second daemon changed the genesis")
	}
}

// daemonFails runs a daemon that must not start: exit 1, and a last line
// on stderr (after its logs) that says each of want.
func daemonFails(t *testing.T, want []string, args ...string) {
	t.Helper()
	r := testnet.Run(t, nil, args...)
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	last := lines[len(lines)-1]
	if r.Code != 1 || r.Stdout != "" || !strings.HasPrefix(last, "commons: ") {
		t.Fatalf("commons %s: want exit 1 and a last line `commons: ...`\n%s", strings.Join(args, " "), r)
	}
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Errorf("commons %s: %q does not say %q", strings.Join(args, " "), last, w)
		}
	}
}

// snapshotDir reads every file under dir, by slash path.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJoinFromCommonsOfOne: a repo that founded a commons of one moves into
// a real network once, keeping its keys and objects and dropping its
// governance; a repo of a real network never moves.
func TestJoinFromCommonsOfOne(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	d := testnet.Start(t, repo)
	var me, alice keyJSON
	testnet.RunJSON(t, &me, r("id")...)
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	var ds publishedJSON
	testnet.RunJSON(t, &ds, r("dataset", "add", testnet.WriteTree(t, map[string]string{"a.txt": "a"}), "--name", "kept", "--license", "CC0-1.0")...)
	var prop govPublishedJSON
	testnet.RunJSON(t, &prop, r("gov", "propose", "set-param", "review-days", "14")...)
	var old networkJSON
	testnet.RunJSON(t, &old, r("id")...)
	oldGenesis, _ := os.ReadFile(filepath.Join(repo, "genesis.json"))

	// The founders of a real network: another node, and this one.
	var other initJSON
	testnet.RunJSON(t, &other, "init", "--repo", filepath.Join(dir, "other"), "--json")
	file := filepath.Join(dir, "genesis.json")
	var g genesisJSON
	testnet.RunJSON(t, &g, "genesis", "new", "--name", "Real commons", "--steward", other.DID, "--threshold", "1", "--out", file, "--json")
	content, _ := os.ReadFile(file)

	// A daemon given it refuses, and says how to move.
	d.Stop(t)
	daemonFails(t, []string{"founded its own commons of one", "commons join"},
		"daemon", "--repo", repo, "--genesis", file, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	// join refuses while a daemon runs.
	d = testnet.Start(t, repo)
	testnet.RunFails(t, nil, []string{"a daemon is using repo " + repo, "stop it first"}, "join", file, "--repo", repo)
	if now, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(now) != string(oldGenesis) {
		t.Fatal("join changed the genesis while a daemon ran")
	}
	d.Stop(t)

	res := testnet.Run(t, nil, "join", file, "--repo", repo, "--json")
	if res.Code != 0 {
		t.Fatal(res)
	}
	var j struct {
		Network string `json:"network"`
		Left    string `json:"left"`
		Dropped int    `json:"dropped_governance_updates"`
		Objects int    `json:"objects"`
		Steward bool   `json:"steward"`
	}
	res.Decode(t, &j)
	if j.Network != g.Network || j.Left != old.Network || j.Dropped != 1 || j.Objects != 1 || j.Steward {
		t.Errorf("join: %+v, want network %s, left %s, 1 update dropped, 1 object kept, not a steward", j, g.Network, old.Network)
	}
	for _, w := range []string{"warning", old.Network, "1 governance updates were deleted", "not a steward"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("join's warning does not say %q:\n%s", w, res.Stderr)
		}
	}
	if stored, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(stored) != string(content) {
		t.Error("join did not store the genesis byte for byte")
	}

	// The daemon starts in the new network with its keys and objects, and
	// without the old governance.
	d = testnet.Start(t, repo)
	var id struct {
		DID     string `json:"did"`
		Network string `json:"network"`
	}
	testnet.RunJSON(t, &id, r("id")...)
	if id.DID != me.DID || id.Network != g.Network {
		t.Errorf("after join: %+v, want %s in %s", id, me.DID, g.Network)
	}
	var keys []keyJSON
	testnet.RunJSON(t, &keys, r("key", "list")...)
	if len(keys) != 2 || keys[1].DID != alice.DID {
		t.Errorf("after join: keys %+v", keys)
	}
	var shown datasetJSON
	testnet.RunJSON(t, &shown, r("dataset", "show", ds.ID, "--local")...)
	var state govStateJSON
	testnet.RunJSON(t, &state, r("gov", "state")...)
	if len(state.Proposals) != 0 || len(state.Stewards) != 1 || state.Stewards[0] != other.DID {
		t.Errorf("after join: governance %+v, want the new genesis alone", state)
	}
	testnet.RunFails(t, nil, []string{prop.ID}, r("object", "get", prop.ID, "--local")...)

	// Once: the repo now belongs to a real network, and never moves again;
	// joining the network it belongs to changes nothing.
	d.Stop(t)
	another := filepath.Join(dir, "another.json")
	var o genesisJSON
	testnet.RunJSON(t, &o, "genesis", "new", "--name", "Another", "--steward", me.DID, "--threshold", "1", "--out", another, "--json")
	testnet.RunFails(t, nil, []string{"belongs to network " + g.Network, o.Network, "nothing was changed"}, "join", another, "--repo", repo)
	var same struct {
		Already bool `json:"already"`
	}
	testnet.RunJSON(t, &same, "join", file, "--repo", repo, "--json")
	if !same.Already {
		t.Errorf("join of the network the repo belongs to: %+v, want already", same)
	}
	if stored, _ := os.ReadFile(filepath.Join(repo, "genesis.json")); string(stored) != string(content) {
		t.Error("a refused join changed the genesis")
	}
}
