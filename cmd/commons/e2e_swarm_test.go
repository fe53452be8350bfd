package main

// End-to-end tests of two daemons on loopback: one connects to the other by
// the address `commons id` gives, and each then lists the other as a peer.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// twoNodes are two daemons of one commons, not yet connected.
type twoNodes struct {
	genesis      string // the genesis file, for more nodes
	repoA, repoB string
	a, b         idJSON
}

// startTwoNodes starts two daemons of one commons, founded by a genesis
// whose only steward is the first, with the init flags in initFlags given
// to both.
func startTwoNodes(t *testing.T, initFlags ...string) twoNodes {
	t.Helper()
	dir := t.TempDir()
	n := twoNodes{genesis: filepath.Join(dir, "genesis.json"), repoA: filepath.Join(dir, "a"), repoB: filepath.Join(dir, "b")}
	var founder, other initJSON
	testnet.RunJSON(t, &founder, append([]string{"init", "--repo", n.repoA, "--json"}, initFlags...)...)
	var g genesisJSON
	testnet.RunJSON(t, &g, "genesis", "new", "--name", "Two nodes", "--steward", founder.DID, "--threshold", "1", "--out", n.genesis, "--json")
	testnet.RunJSON(t, &other, append([]string{"init", "--repo", n.repoB, "--genesis", n.genesis, "--json"}, initFlags...)...)
	testnet.Start(t, n.repoA, "--genesis", n.genesis)
	testnet.Start(t, n.repoB)
	testnet.RunJSON(t, &n.a, "id", "--repo", n.repoA, "--json")
	testnet.RunJSON(t, &n.b, "id", "--repo", n.repoB, "--json")
	for _, id := range []idJSON{n.a, n.b} {
		if len(id.Addrs) == 0 {
			t.Fatalf("id --json of %s lists no addrs: %+v", id.Repo, id)
		}
		for _, addr := range id.Addrs {
			if !strings.HasSuffix(addr, "/p2p/"+id.PeerID) {
				t.Errorf("id --json of %s: addr %q does not end in /p2p/%s", id.Repo, addr, id.PeerID)
			}
		}
	}
	return n
}

// waitPeer waits until `swarm peers --json` on repo lists want.
func waitPeer(t *testing.T, repo, want string) peerJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var peers []peerJSON
		testnet.RunJSON(t, &peers, "swarm", "peers", "--repo", repo, "--json")
		if i := slices.IndexFunc(peers, func(p peerJSON) bool { return p.PeerID == want }); i >= 0 {
			return peers[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("swarm peers of %s does not list %s within 10s: %+v", repo, want, peers)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSwarmConnect(t *testing.T) {
	n := startTwoNodes(t)
	repoA, repoB, a, b := n.repoA, n.repoB, n.a, n.b

	// Before they connect neither lists the other; the JSON is an array.
	r := testnet.Run(t, nil, "swarm", "peers", "--repo", repoB, "--json")
	if r.Code != 0 || strings.Contains(r.Stdout, a.PeerID) || !strings.HasPrefix(strings.TrimSpace(r.Stdout), "[") {
		t.Errorf("swarm peers before connecting:\n%s", r)
	}

	var ds publishedJSON
	testnet.RunJSON(t, &ds, "dataset", "add", testnet.WriteTree(t, map[string]string{"f.txt": "only on a"}), "--name", "On A", "--license", "MIT", "--repo", repoA, "--json")
	testnet.RunFails(t, nil, []string{ds.ID}, "dataset", "show", ds.ID, "--repo", repoB, "--timeout", "1s")

	var p peerJSON
	testnet.RunJSON(t, &p, "swarm", "connect", a.Addrs[0], "--repo", repoB, "--json")
	if p.PeerID != a.PeerID || len(p.Addrs) == 0 || p.Score == nil {
		t.Errorf("swarm connect: %+v, want peer %s with its addrs and a score", p, a.PeerID)
	}
	if got := waitPeer(t, repoB, a.PeerID); len(got.Addrs) == 0 || got.Score == nil {
		t.Errorf("swarm peers of b: %+v, want a's addrs and a score", got)
	}
	waitPeer(t, repoA, b.PeerID)

	// Connecting again to a connected peer is not an error.
	testnet.RunJSON(t, &p, "swarm", "connect", a.Addrs[0], "--repo", repoB, "--json")

	// The text forms.
	r = testnet.Run(t, nil, "swarm", "peers", "--repo", repoA)
	if r.Code != 0 || !strings.Contains(r.Stdout, b.PeerID) || !strings.Contains(r.Stdout, "PEER") {
		t.Errorf("swarm peers (text):\n%s", r)
	}
	r = testnet.Run(t, nil, "id", "--repo", repoA)
	if r.Code != 0 || !strings.Contains(r.Stdout, a.Addrs[0]) {
		t.Errorf("id (text) does not show the addrs:\n%s", r)
	}
	r = testnet.Run(t, nil, "swarm", "connect", a.Addrs[0], "--repo", repoB)
	if r.Code != 0 || !strings.Contains(r.Stdout, "connected to "+a.PeerID) {
		t.Errorf("swarm connect (text):\n%s", r)
	}

	// A read on b finds on the network what only a held before they
	// connected, and keeps it.
	var shown datasetJSON
	testnet.RunJSON(t, &shown, "dataset", "show", ds.ID, "--timeout", "30s", "--repo", repoB, "--json")
	if shown.ID != ds.ID || shown.Name != "On A" || shown.Publisher != a.DID {
		t.Errorf("dataset show on b of a's dataset: %+v", shown)
	}
	testnet.RunJSON(t, &shown, "dataset", "show", ds.ID, "--local", "--repo", repoB, "--json")
	envA := testnet.Run(t, nil, "object", "get", ds.ID, "--repo", repoA)
	envB := testnet.Run(t, nil, "object", "get", ds.ID, "--local", "--repo", repoB)
	if envB.Code != 0 || envB.Stdout != envA.Stdout {
		t.Errorf("object get on b of what b fetched from a:\n%s\nwant the bytes a holds:\n%s", envB, envA.Stdout)
	}

	// With a peer to ask, --local answers from the index alone: the
	// daemon says it did not ask the network.
	missing := protocol.ObjectID([]byte(`{"nobody":"has this"}`)).String()
	testnet.RunFails(t, nil, []string{missing, "not stored here (the network was not asked)"}, "object", "get", missing, "--local", "--repo", repoB)
	// Without it, the network is asked: b's peer announces nothing.
	testnet.RunFails(t, nil, []string{missing, "no peer announces it"}, "object", "get", missing, "--timeout", "5s", "--repo", repoB)

	// Refusals: the CLI refuses an address without its peer, a usage
	// error; the daemon fails to reach a peer where nothing listens.
	if r := testnet.Run(t, nil, "swarm", "connect", "/ip4/127.0.0.1/tcp/9", "--repo", repoB); r.Code != 2 || !strings.Contains(r.Stderr, "does not end in /p2p/PEER") {
		t.Errorf("swarm connect without the peer: want exit 2 saying so\n%s", r)
	}
	testnet.RunFails(t, nil, nil, "swarm", "connect", testPeerAddr(t), "--repo", repoB)
}

// TestBootstrap: a node given the other's address with --bootstrap joins
// through it at start, without swarm connect.
func TestBootstrap(t *testing.T) {
	n := startTwoNodes(t)
	dir := t.TempDir()

	// init --bootstrap, kept in the config.
	var c initJSON
	repoC := filepath.Join(dir, "c")
	testnet.RunJSON(t, &c, "init", "--repo", repoC, "--genesis", n.genesis, "--bootstrap", n.a.Addrs[0], "--json")
	testnet.Start(t, repoC)
	waitPeer(t, repoC, n.a.PeerID)
	waitPeer(t, n.repoA, c.PeerID)

	// daemon --bootstrap, for one run.
	var d initJSON
	repoD := filepath.Join(dir, "d")
	testnet.RunJSON(t, &d, "init", "--repo", repoD, "--genesis", n.genesis, "--json")
	testnet.Start(t, repoD, "--bootstrap", n.b.Addrs[0])
	waitPeer(t, repoD, n.b.PeerID)
	waitPeer(t, n.repoB, d.PeerID)
}

// TestPrivateNetwork: nodes that share a swarm key connect; a node without
// it cannot reach them.
func TestPrivateNetwork(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "swarm.key")
	if r := testnet.Run(t, nil, "swarm", "key", "new", "--out", key); r.Code != 0 {
		t.Fatalf("swarm key new:\n%s", r)
	}
	n := startTwoNodes(t, "--swarm-key", key)
	var p peerJSON
	testnet.RunJSON(t, &p, "swarm", "connect", n.a.Addrs[0], "--repo", n.repoB, "--json")
	waitPeer(t, n.repoA, n.b.PeerID)

	outsider := filepath.Join(dir, "outsider")
	var o initJSON
	testnet.RunJSON(t, &o, "init", "--repo", outsider, "--genesis", n.genesis, "--json")
	testnet.Start(t, outsider)
	testnet.RunFails(t, nil, nil, "swarm", "connect", n.a.Addrs[0], "--repo", outsider)
	var peers []peerJSON
	testnet.RunJSON(t, &peers, "swarm", "peers", "--repo", n.repoA, "--json")
	for _, p := range peers {
		if p.PeerID == o.PeerID {
			t.Errorf("a node without the swarm key connected to the private network: %+v", peers)
		}
	}
}
