package main

// End-to-end tests of what a new user meets first: the text forms, the
// exit codes and the messages of the real binary.

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestAttributionTextColumns: the lineage and each ancestor's contributors
// are separate tables, so a role's column is as wide as the roles in it,
// not as an ancestor's ID.
func TestAttributionTextColumns(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	var parent, child, claim publishedJSON
	testnet.RunJSON(t, &parent, r("dataset", "add", testnet.WriteTree(t, map[string]string{"a.txt": "a"}), "--name", "parent", "--license", "CC0-1.0")...)
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", parent.ID, "--role", "annotator", "--weight", "0.5")...)
	testnet.RunJSON(t, &child, r("dataset", "add", testnet.WriteTree(t, map[string]string{"b.txt": "b"}), "--name", "child", "--license", "CC0-1.0", "--parent", parent.ID)...)

	res := testnet.Run(t, nil, "attribution", child.ID, "--repo", repo)
	if res.Code != 0 {
		t.Fatal(res)
	}
	var header string
	for _, line := range strings.Split(res.Stdout, "\n") {
		if strings.Contains(line, "CONTRIBUTOR") && strings.HasPrefix(line, "  ") {
			header = line
		}
	}
	if header == "" {
		t.Fatalf("no contributor table in the lineage:\n%s", res.Stdout)
	}
	// ROLE is as wide as "annotator", plus the table's padding of 2.
	if got, want := strings.Index(header, "WEIGHT")-strings.Index(header, "ROLE"), len("annotator")+2; got != want {
		t.Errorf("the lineage's ROLE column is %d wide, want %d:\n%s", got, want, res.Stdout)
	}
	if !strings.Contains(res.Stdout, claim.ID) || !strings.Contains(res.Stdout, "contributors of parent ("+parent.ID+"):") {
		t.Errorf("the lineage does not name the parent's contributors:\n%s", res.Stdout)
	}
}

// TestUsageErrorsExit2: every value that the command line alone refuses
// exits 2 with the command's usage line, before any repo is created or
// daemon looked for (none runs here), and says each thing once.
func TestUsageErrorsExit2(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo") // never created
	obj := protocol.ObjectID([]byte(`{"a":1}`)).String()
	art := protocol.ArtifactID(protocol.SumDigest([]byte("f"))).String()
	padded := obj[:len(obj)-1] + string(obj[len(obj)-1]+1) // bits set past the last byte
	dir := testnet.WriteTree(t, map[string]string{"a.txt": "a"})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"dataset", "show"}, "missing ID"},
		{[]string{"dataset", "show", obj, obj}, "unexpected argument"},
		{[]string{"dataset", "show", obj, "--nope"}, "unknown flag --nope"},
		{[]string{"attribution", obj, "--timeout", "10m"}, "--timeout 10m is above 5m"},
		{[]string{"object", "get", obj, "--timeout", "soon"}, `--timeout "soon" is not a duration`},
		{[]string{"init", "--listen", "garbage"}, `--listen "garbage" is not a multiaddr: must begin with /`},
		{[]string{"init", "--api", "localhost"}, `--api "localhost" is not HOST:PORT`},
		{[]string{"init", "--bootstrap", "/ip4/192.0.2.1/tcp/4780"}, "does not end in /p2p/PEER"},
		{[]string{"daemon", "--listen", "/ip4/nowhere/tcp/1"}, `--listen "/ip4/nowhere/tcp/1" is not a multiaddr`},
		{[]string{"daemon", "--api", ":x:y"}, `--api ":x:y" is not HOST:PORT`},
		{[]string{"swarm", "connect", "garbage"}, `MULTIADDR "garbage" is not a multiaddr`},
		{[]string{"claim", "add", "--subject", obj, "--role", "author", "--weight", "0"}, "--weight 0 is outside (0, 1]"},
		{[]string{"claim", "add", "--subject", obj, "--role", "author", "--weight", "1.5"}, "--weight 1.5 is outside (0, 1]"},
		{[]string{"claim", "add", "--subject", obj, "--role", "author", "--weight", "lots"}, `--weight "lots" is not a number`},
		{[]string{"claim", "add", "--subject", "bafy-nope", "--role", "author", "--weight", "0.5"}, `--subject "bafy-nope" is not a CID`},
		{[]string{"dataset", "show", "not-a-cid"}, `ID "not-a-cid" is not a CID`},
		{[]string{"dataset", "show", padded}, "is not in canonical form " + obj},
		{[]string{"object", "get", padded}, "is not in canonical form " + obj},
		{[]string{"dataset", "add", dir, "--name", "X", "--license", "MIT", "--parent", "zzz"}, `--parent "zzz" is not a CID`},
		{[]string{"dataset", "add", dir, "--name", "X", "--license", "free as in <beer>"}, "license"},
		{[]string{"dataset", "add", dir, "--name", "", "--license", "MIT"}, "name"},
		{[]string{"dataset", "show", obj, "--limit", "0"}, "--limit"},
		{[]string{"dataset", "show", obj, "--limit", "10001"}, "--limit"},
		{[]string{"attribution", "sha256:1234"}, `ID "sha256:1234" is not a sha256 digest`},
		{[]string{"locate", "sha256:abc"}, `PATH "sha256:abc" is not a sha256 digest`},
		{[]string{"derive", "--digest", "sha256:xyz", "--input", obj, "--activity", "trained-on"}, `--digest "sha256:xyz" is not a sha256 digest`},
		{[]string{"derive", "--digest", "sha256:" + sha256Hex("x"), "--input", "nope", "--activity", "trained-on"}, `--input "nope" is not a CID`},
		{[]string{"gov", "propose", "add-steward", "did:key:zNope"}, `DID "did:key:zNope"`},
		{[]string{"gov", "propose", "add-steward", "alice", "--expires", "721h"}, "--expires 721h is above 720h"},
		{[]string{"gov", "propose", "dataset-status", art, "flagged", "--reason", "x"}, "names an artifact"},
		{[]string{"gov", "vote", "nope", "yes"}, `PROPOSAL_ID "nope" is not a CID`},
		{[]string{"genesis", "new", "--name", "x", "--steward", "12D3KooWabc", "--threshold", "1", "--out", filepath.Join(dir, "g.json")}, "looks like a peer ID"},
		{[]string{"genesis", "new", "--name", "x", "--steward", "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", "--threshold", "2", "--out", filepath.Join(dir, "g.json")}, "threshold 2"},
		{[]string{"genesis", "new", "--name", "x", "--steward", "did:key:zNope", "--threshold", "1", "--out", filepath.Join(dir, "g.json")}, `--steward "did:key:zNope"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := testnet.Run(t, nil, append(tt.args, "--repo", repo)...)
			if r.Code != 2 || r.Stdout != "" || !strings.Contains(r.Stderr, tt.want) {
				t.Fatalf("want exit 2 and %q on stderr:\n%s", tt.want, r)
			}
			msg, _, _ := strings.Cut(r.Stderr, "\n")
			for _, twice := range []string{"parse id", "parse did", "parse digest", "invalid cid", "failed to parse multiaddr"} {
				if strings.Contains(msg, twice) {
					t.Errorf("the message names what the argument's name says already (%q): %s", twice, msg)
				}
			}
			if !strings.Contains(r.Stderr, "(see `commons ") {
				t.Errorf("no pointer to the usage on stderr:\n%s", r.Stderr)
			}
			if _, err := os.Stat(repo); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a usage error created %s: %v", repo, err)
			}
		})
	}
}

// TestDaemonPapercuts: what a new user met on a running daemon.
func TestDaemonPapercuts(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	dir := testnet.WriteTree(t, map[string]string{"a.txt": "a"})
	var ds publishedJSON
	testnet.RunJSON(t, &ds, r("dataset", "add", dir, "--name", "d", "--license", "CC0-1.0")...)

	// The ID of a governance update gives its envelope, as stored.
	t.Run("object get of a governance update", func(t *testing.T) {
		var p govPublishedJSON
		testnet.RunJSON(t, &p, r("gov", "propose", "set-param", "review-days", "14")...)
		res := testnet.Run(t, nil, r("object", "get", p.ID)...)
		if res.Code != 0 {
			t.Fatal(res)
		}
		env, err := protocol.DecodeEnvelope([]byte(res.Stdout))
		if err != nil {
			t.Fatalf("object get %s: %v\n%s", p.ID, err, res.Stdout)
		}
		if env.ID().String() != p.ID || env.Verify() != nil {
			t.Errorf("object get %s gave the envelope of %s (verify: %v)", p.ID, env.ID(), env.Verify())
		}
	})

	// A parent neither held nor found is refused, naming it, and nothing
	// is published; --allow-unknown-parent publishes it.
	t.Run("dataset add with an unknown parent", func(t *testing.T) {
		unknown := protocol.ObjectID([]byte(`{"nobody":"published this"}`)).String()
		add := r("dataset", "add", dir, "--name", "child", "--license", "CC0-1.0", "--parent", ds.ID, "--parent", unknown)
		testnet.RunFails(t, nil, []string{"--parent " + unknown, "neither held by this node nor found on the network", "--allow-unknown-parent"}, add...)
		var list []struct {
			Name string `json:"name"`
		}
		testnet.RunJSON(t, &list, r("dataset", "list")...)
		if len(list) != 1 {
			t.Fatalf("a refused dataset add published something: %+v", list)
		}
		var child publishedJSON
		testnet.RunJSON(t, &child, append(add, "--allow-unknown-parent")...)
		var shown datasetJSON
		testnet.RunJSON(t, &shown, r("dataset", "show", child.ID)...)
		if len(shown.Parents) != 2 {
			t.Errorf("--allow-unknown-parent: parents %q, want both", shown.Parents)
		}
	})

	// An ID in a path or a body of the API is refused unless canonical.
	t.Run("API refuses an ID not in canonical text", func(t *testing.T) {
		addr, err := os.ReadFile(filepath.Join(repo, "api"))
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + strings.TrimSpace(string(addr))
		padded := ds.ID[:len(ds.ID)-1] + string(ds.ID[len(ds.ID)-1]+1)
		if padded == ds.ID || protocol.MustParseID(ds.ID).String() != ds.ID {
			t.Fatal("bad test ID")
		}
		check := func(what string, resp *http.Response, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "not in canonical form "+ds.ID) {
				t.Errorf("%s: %d %s, want 400 naming the canonical form", what, resp.StatusCode, body)
			}
		}
		resp, err := http.Get(base + "/v1/objects/" + padded)
		check("GET /v1/objects/{id}", resp, err)
		resp, err = http.Get(base + "/v1/datasets/" + padded)
		check("GET /v1/datasets/{id}", resp, err)
		body := `{"subject":"` + padded + `","role":"author","weight":0.5}`
		resp, err = http.Post(base+"/v1/claims", "application/json", strings.NewReader(body))
		check("POST /v1/claims", resp, err)
	})
}

// TestErrorsSayEachThingOnce: representative failures, each wrapped at
// several layers, name each value and each operation once.
func TestErrorsSayEachThingOnce(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()

	badConfig := filepath.Join(dir, "bad-config")
	testnet.RunJSON(t, &initJSON{}, "init", "--repo", badConfig, "--json")
	cfg, _ := os.ReadFile(filepath.Join(badConfig, "config.json"))
	cfg = []byte(strings.Replace(string(cfg), `"/ip4/0.0.0.0/tcp/4780"`, `"garbage"`, 1))
	if err := os.WriteFile(filepath.Join(badConfig, "config.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(dir, "bad-key")
	testnet.RunJSON(t, &initJSON{}, "init", "--repo", badKey, "--json")
	if err := os.WriteFile(filepath.Join(badKey, "keys", "node.key"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	running := filepath.Join(dir, "running")
	testnet.Start(t, running)
	tests := []struct {
		name  string
		args  []string
		once  string // said exactly once
		never string // a prefix that one layer repeats from another
	}{
		{"object put of a directory", []string{"object", "put", dir}, dir, ""},
		{"API port in use", []string{"daemon", "--repo", filepath.Join(dir, "new"), "--api", busy}, busy, "listen tcp"},
		{"a listen address in the config", []string{"daemon", "--repo", badConfig, "--api", "127.0.0.1:0"}, "garbage", "failed to parse multiaddr"},
		{"a listen address on the line", []string{"init", "--repo", filepath.Join(dir, "x"), "--listen", "/ip4/nowhere/tcp/1"}, "/ip4/nowhere/tcp/1", "failed to parse multiaddr"},
		{"an ID that is not a CID", []string{"dataset", "show", "bafyreigarbage"}, "bafyreigarbage", "invalid cid"},
		{"a second daemon on a repo", []string{"daemon", "--repo", running, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"}, running, "badger"},
		{"a node key that does not parse", []string{"daemon", "--repo", badKey, "--api", "127.0.0.1:0"}, "node", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testnet.Run(t, nil, tt.args...)
			var msg string // the error, after a daemon's logs
			for _, line := range strings.Split(r.Stderr, "\n") {
				if strings.HasPrefix(line, "commons: ") {
					msg = line
				}
			}
			if r.Code == 0 || msg == "" {
				t.Fatalf("no error:\n%s", r)
			}
			if n := strings.Count(msg, tt.once); n != 1 {
				t.Errorf("%q says %q %d times, want once", msg, tt.once, n)
			}
			if tt.never != "" && strings.Contains(msg, tt.never) {
				t.Errorf("%q repeats %q", msg, tt.never)
			}
			seen := map[string]bool{}
			for _, part := range strings.Split(msg, ": ") {
				if seen[part] {
					t.Errorf("%q says %q twice", msg, part)
				}
				seen[part] = true
			}
		})
	}
}
