package main

// End-to-end tests of the flags for joining and querying a network that the
// CLI decides alone or that one daemon answers: swarm keys, init's
// --bootstrap and --swarm-key, daemon --bootstrap, --local and --timeout.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// testPeerAddr is an address of a peer that does not run, well formed.
func testPeerAddr(t *testing.T) string {
	t.Helper()
	k, err := protocol.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := repo.PeerIDOf(k)
	if err != nil {
		t.Fatal(err)
	}
	return "/ip4/127.0.0.1/tcp/9/p2p/" + pid.String()
}

func TestSwarmKeyNew(t *testing.T) {
	dir := t.TempDir()
	noRepo := filepath.Join(dir, "no-repo")
	file := filepath.Join(dir, "swarm.key")
	var res struct {
		File string `json:"file"`
	}
	testnet.RunJSON(t, &res, "swarm", "key", "new", "--out", file, "--json", "--repo", noRepo)
	if res.File != file {
		t.Errorf("swarm key new --json: file %q, want %q", res.File, file)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("swarm key file mode %v, want 0600", st.Mode().Perm())
	}
	key, _ := os.ReadFile(file)
	if _, err := repo.ParseSwarmKey(key); err != nil {
		t.Errorf("the swarm key written does not parse: %v\n%s", err, key)
	}
	if !strings.HasPrefix(string(key), "/key/swarm/psk/1.0.0/\n/base16/\n") {
		t.Errorf("swarm key is not in the base16 form:\n%s", key)
	}
	if exists(noRepo) {
		t.Error("swarm key new created the repo; it needs none")
	}

	// An existing file is never replaced.
	testnet.RunFails(t, nil, []string{file, "exists", "nothing was written"}, "swarm", "key", "new", "--out", file)
	if after, _ := os.ReadFile(file); !bytes.Equal(after, key) {
		t.Error("a refused swarm key new changed the existing file")
	}

	// Without --out the key goes to stdout, and each is new.
	r := testnet.Run(t, nil, "swarm", "key", "new")
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("swarm key new to stdout:\n%s", r)
	}
	if _, err := repo.ParseSwarmKey([]byte(r.Stdout)); err != nil {
		t.Errorf("the swarm key printed does not parse: %v\n%s", err, r.Stdout)
	}
	if r.Stdout == string(key) {
		t.Error("two swarm keys are the same")
	}

	// The text form says where the key went and what to do with it.
	other := filepath.Join(dir, "other.key")
	r = testnet.Run(t, nil, "swarm", "key", "new", "--out", other)
	if r.Code != 0 || !strings.Contains(r.Stdout, other) || !strings.Contains(r.Stdout, "commons init --swarm-key") {
		t.Errorf("swarm key new --out (text):\n%s", r)
	}

	// The key itself is not JSON, so --json needs --out.
	r = testnet.Run(t, nil, "swarm", "key", "new", "--json")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--json needs --out FILE") || r.Stdout != "" {
		t.Errorf("swarm key new --json without --out: want exit 2\n%s", r)
	}
}

// TestJoinFlagsRefused: a bad --swarm-key or --bootstrap fails with a
// message naming it, and nothing is created.
func TestJoinFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := testPeerAddr(t)
	notKey := write("not.key", "not a swarm key\n")
	short := write("short.key", "/key/swarm/psk/1.0.0/\n/base16/\n0123456789\n")
	genesis := write("genesis.json", `{"name":"not really"}`)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"swarm key not in the format", []string{"--swarm-key", notKey}, []string{"--swarm-key", notKey, "not a swarm key header"}},
		{"swarm key too short", []string{"--swarm-key", short}, []string{short, "want 64 hex digits"}},
		{"swarm key file missing", []string{"--swarm-key", filepath.Join(dir, "nope.key")}, []string{"--swarm-key", "nope.key"}},
		{"swarm key is a genesis", []string{"--swarm-key", genesis}, []string{genesis, "swarm key"}},
		{"bootstrap not a multiaddr", []string{"--bootstrap", "127.0.0.1:4780"}, []string{`--bootstrap "127.0.0.1:4780" is not a multiaddr`}},
		{"bootstrap without its peer", []string{"--bootstrap", "/ip4/127.0.0.1/tcp/4780"}, []string{`--bootstrap "/ip4/127.0.0.1/tcp/4780" does not end in /p2p/PEER`}},
		{"bootstrap with a bad peer ID", []string{"--bootstrap", "/ip4/127.0.0.1/tcp/4780/p2p/12D3nope"}, []string{`--bootstrap "/ip4/127.0.0.1/tcp/4780/p2p/12D3nope"`}},
		{"one bad bootstrap of two", []string{"--bootstrap", good, "--bootstrap", "/dns4/example.org/tcp/4780"}, []string{"/dns4/example.org/tcp/4780", "/p2p/PEER"}},
	}
	// A bad swarm key file exits 1; a bad address on the line is a usage
	// error, exit 2.
	refused := func(t *testing.T, want []string, args ...string) {
		t.Helper()
		if args[3] != "--bootstrap" {
			testnet.RunFails(t, nil, want, args...)
			return
		}
		r := testnet.Run(t, nil, args...)
		if r.Code != 2 || r.Stdout != "" {
			t.Fatalf("commons %s: want exit 2\n%s", strings.Join(args, " "), r)
		}
		for _, w := range want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("commons %s: stderr %q does not say %q", strings.Join(args, " "), r.Stderr, w)
			}
		}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := filepath.Join(dir, "repo", string(rune('a'+i)))
			refused(t, tt.want, append([]string{"init", "--repo", repo}, tt.args...)...)
			if exists(repo) {
				t.Errorf("a refused init created %s", repo)
			}
			if !strings.HasPrefix(tt.args[0], "--bootstrap") {
				return
			}
			refused(t, tt.want, append([]string{"daemon", "--repo", repo, "--bootstrap"}, tt.args[1:]...)...)
			if exists(repo) {
				t.Errorf("a refused daemon created %s", repo)
			}
		})
	}
}

// TestInitJoinFlags: init keeps the bootstrap peers in the config and the
// swarm key beside it, readable by its owner only.
func TestInitJoinFlags(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "swarm.key")
	testnet.Run(t, nil, "swarm", "key", "new", "--out", key)
	keyBytes, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	peer := testPeerAddr(t)
	repo := filepath.Join(dir, "repo")
	var out struct {
		Bootstrap []string `json:"bootstrap"`
		Private   bool     `json:"private"`
	}
	testnet.RunJSON(t, &out, "init", "--repo", repo, "--bootstrap", peer, "--swarm-key", key, "--json")
	if len(out.Bootstrap) != 1 || out.Bootstrap[0] != peer || !out.Private {
		t.Errorf("init --bootstrap --swarm-key: %+v", out)
	}
	cfg, _ := os.ReadFile(filepath.Join(repo, "config.json"))
	if !strings.Contains(string(cfg), peer) {
		t.Errorf("config does not hold the bootstrap peer:\n%s", cfg)
	}
	if strings.Contains(string(cfg), "quic") {
		t.Errorf("a private network listens on TCP only, config:\n%s", cfg)
	}
	kept := filepath.Join(repo, "swarm.key")
	if b, err := os.ReadFile(kept); err != nil || !bytes.Equal(b, keyBytes) {
		t.Errorf("repo's swarm key: %q %v, want the file given", b, err)
	}
	if st, err := os.Stat(kept); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("repo's swarm key: %v %v, want mode 0600", st, err)
	}

	var plain struct {
		Bootstrap []string `json:"bootstrap"`
		Private   bool     `json:"private"`
	}
	testnet.RunJSON(t, &plain, "init", "--repo", filepath.Join(dir, "plain"), "--json")
	if plain.Bootstrap == nil || len(plain.Bootstrap) != 0 || plain.Private {
		t.Errorf("init without join flags: %+v, want bootstrap [] and not private", plain)
	}
}

// TestQueryFlagsRefused: bad --timeout values are refused before any
// daemon is asked (none runs here).
func TestQueryFlagsRefused(t *testing.T) {
	empty := t.TempDir()
	id := protocol.ObjectID([]byte("anything")).String()
	reads := [][]string{
		{"attribution", id},
		{"locate", filepath.Join(empty, "file.csv")},
		{"dataset", "show", id},
		{"object", "get", id},
	}
	usage := []struct {
		flags []string
		want  string
	}{
		{[]string{"--timeout", "soon"}, `--timeout "soon" is not a duration`},
		{[]string{"--timeout", "5"}, `--timeout "5" is not a duration`},
		{[]string{"--timeout", "0"}, "--timeout 0 is not positive"},
		{[]string{"--timeout=-5s"}, "--timeout -5s is not positive"},
		{[]string{"--timeout", "-1m"}, "--timeout -1m is not positive"},
		{[]string{"--local", "--timeout", "5s"}, "--local and --timeout exclude each other"},
		{[]string{"--timeout"}, "flag --timeout needs a value"},
		{[]string{"--local=maybe"}, "flag --local takes no value"},
		{[]string{"--timeout", "6m"}, "--timeout 6m is above 5m"},
	}
	for _, read := range reads {
		for _, tt := range usage {
			args := append(append([]string{"--repo", empty}, read...), tt.flags...)
			t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
				r := testnet.Run(t, nil, args...)
				if r.Code != 2 || !strings.Contains(r.Stderr, tt.want) || r.Stdout != "" {
					t.Errorf("want exit 2 and %q on stderr:\n%s", tt.want, r)
				}
				if !strings.Contains(r.Stderr, "usage: commons "+strings.Join(read[:len(read)-1], " ")) {
					t.Errorf("no usage line on stderr:\n%s", r.Stderr)
				}
			})
		}
	}
}

// TestLocalQueries: with --local a daemon answers from its index alone,
// here that it lacks the object, and says it did not ask the network;
// without it, it asks the network, here a node with no peers.
func TestLocalQueries(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	missing := protocol.ObjectID([]byte(`{"nobody":"has this"}`)).String()
	const local, searched = "not stored here (the network was not asked)", "not stored here, and this node has no peers to ask"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"object", "get", missing, "--local"}, local},
		{[]string{"dataset", "show", missing, "--local"}, local},
		{[]string{"object", "get", missing, "--timeout", "1s"}, searched},
		{[]string{"dataset", "show", missing, "--timeout=1s"}, searched},
	} {
		testnet.RunFails(t, nil, []string{missing, tc.want}, append(tc.args, "--repo", repo)...)
	}

	// What the node holds is answered with --local as without.
	var ds publishedJSON
	testnet.RunJSON(t, &ds, "dataset", "add", testnet.WriteTree(t, map[string]string{"f.txt": "held here"}), "--name", "Here", "--license", "MIT", "--repo", repo, "--json")
	var shown datasetJSON
	testnet.RunJSON(t, &shown, "dataset", "show", ds.ID, "--local", "--repo", repo, "--json")
	if shown.ID != ds.ID {
		t.Errorf("dataset show --local: %+v", shown)
	}
	var a attributionJSON
	testnet.RunJSON(t, &a, "attribution", ds.ID, "--local", "--repo", repo, "--json")
	if a.Subject != ds.ID {
		t.Errorf("attribution --local: %+v", a)
	}
	var loc locateJSON
	testnet.RunJSON(t, &loc, "locate", filepath.Join(testnet.WriteTree(t, map[string]string{"g.txt": "held here"}), "g.txt"), "--timeout", "2s", "--repo", repo, "--json")
	if len(loc.Datasets) != 1 || loc.Datasets[0].ID != ds.ID {
		t.Errorf("locate --timeout: %+v", loc)
	}
	r := testnet.Run(t, nil, "object", "get", ds.ID, "--local", "--repo", repo)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "{") {
		t.Errorf("object get --local:\n%s", r)
	}
}
