package node

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// TestRestartKeepsProviderRecords: the provider records a node holds for
// others live in its repo's providers/ directory, and a daemon restarted
// on the repo still holds them — here the record of a dataset announced
// by a node that has since left.
func TestRestartKeepsProviderRecords(t *testing.T) {
	genesis := testGenesis(t, "provider records", randomDID(t))
	dir := filepath.Join(t.TempDir(), "b")
	b := startNetNode(t, dir, genesis, swarmOptions{})
	a := startNetNode(t, filepath.Join(t.TempDir(), "a"), genesis, swarmOptions{}, b)
	ds := mustDataset(t, a.Node, "held for another")
	waitAnnounced(t, a)
	key := protocol.ObjectKey(ds.ID)
	// ADD_PROVIDER has no answer: the record lands a moment after the
	// announcement counts it sent (SPEC §7.2).
	waitFor(t, "b holds a's record before the restart", func() bool { return holdsFor(t, b, key.Hash(), a.Host().ID()) })
	if _, err := os.Stat(filepath.Join(dir, repo.ProvidersDir)); err != nil {
		t.Fatalf("the repo has no providers directory: %v", err)
	}
	a.stop()
	b.stop()

	b = startNetNode(t, dir, genesis, swarmOptions{})
	if !holdsFor(t, b, key.Hash(), a.Host().ID()) {
		t.Error("b lost a's record in the restart")
	}
}

// holdsFor reports whether n's DHT holds a provider record of key by p.
func holdsFor(t *testing.T, n *netNode, key []byte, p peer.ID) bool {
	t.Helper()
	provs, err := n.net.DHT().ProviderStore().GetProviders(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range provs {
		if ai.ID == p {
			return true
		}
	}
	return false
}

// TestFailedStartLeavesNoProviders: a daemon start that fails after its
// swarm was built — here the API's address cannot be written, a directory
// standing where the api file goes — changes nothing in a repo that was
// there, and leaves no providers/ directory in it (SPEC.md §6.1).
func TestFailedStartLeavesNoProviders(t *testing.T) {
	genesis := testGenesis(t, "failed start", randomDID(t))
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := repo.Init(dir, repo.InitOptions{Genesis: genesis}); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, repo.APIFile)
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := repoFiles(t, dir)

	if err := runDaemonOnce(t, dir, nil); err == nil {
		t.Fatal("the daemon started with a directory where its api file goes")
	}
	if _, err := os.Stat(filepath.Join(dir, repo.ProvidersDir)); !os.IsNotExist(err) {
		t.Errorf("the failed start left %s (stat: %v)", repo.ProvidersDir, err)
	}
	if after := repoFiles(t, dir); !maps.Equal(before, after) {
		t.Errorf("the failed start changed the repo:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
}

// TestFailedStartLateChangesNothing: a repo that belongs to no network yet,
// whose start fails at its last step (writing the api file), keeps no
// genesis: neither the commons of one it would have founded nor the
// network it was given (SPEC §6.1).
func TestFailedStartLateChangesNothing(t *testing.T) {
	for _, c := range []struct {
		name    string
		genesis []byte
	}{
		{"founding a commons of one", nil},
		{"joining a network", testGenesis(t, "late failure", randomDID(t))},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			if _, err := repo.Init(dir, repo.InitOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, repo.APIFile, "x"), 0o755); err != nil {
				t.Fatal(err)
			}
			before := repoFiles(t, dir)
			if err := runDaemonOnce(t, dir, c.genesis); err == nil {
				t.Fatal("the daemon started with a directory where its api file goes")
			}
			if _, err := os.Stat(filepath.Join(dir, repo.GenesisFile)); !os.IsNotExist(err) {
				t.Errorf("the failed start left %s (stat: %v)", repo.GenesisFile, err)
			}
			if after := repoFiles(t, dir); !maps.Equal(before, after) {
				t.Errorf("the failed start changed the repo:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
			}
		})
	}
}

// TestSearchFindsProviderAddress: a node restarted holds its provider
// records but not the providers' addresses, and answers a search with a
// provider's peer ID alone. The searcher then looks the provider's address
// up on the DHT (FindPeer) instead of giving up on it. Here b holds a's
// record across its restart, d is the only node still connected to a, and
// c, which has never met a, finds a's dataset through b's record.
func TestSearchFindsProviderAddress(t *testing.T) {
	genesis := testGenesis(t, "provider addresses", randomDID(t))
	dirB := filepath.Join(t.TempDir(), "b")
	b := startNetNode(t, dirB, genesis, swarmOptions{})
	a := startNetNode(t, filepath.Join(t.TempDir(), "a"), genesis, swarmOptions{}, b)
	ds := mustDataset(t, a.Node, "provided before a restart")
	waitAnnounced(t, a)
	key := protocol.ObjectKey(ds.ID).Hash()
	waitFor(t, "b holds a's record", func() bool { return holdsFor(t, b, key, a.Host().ID()) })
	b.stop()
	b = startNetNode(t, dirB, genesis, swarmOptions{})
	if !holdsFor(t, b, key, a.Host().ID()) {
		t.Fatal("b lost a's record in the restart")
	}
	startNetNode(t, filepath.Join(t.TempDir(), "d"), genesis, swarmOptions{}, a, b)
	c := startNetNode(t, filepath.Join(t.TempDir(), "c"), genesis, swarmOptions{}, b)
	waitFor(t, "c knows d through b", func() bool { return len(c.net.DHT().RoutingTable().ListPeers()) >= 2 })
	// Whatever a DHT query taught them since, b and c hold no address of a.
	for _, n := range []*netNode{b, c} {
		n.Host().Network().ClosePeer(a.Host().ID())
		n.Host().Peerstore().ClearAddrs(a.Host().ID())
	}
	v, err := c.Dataset(context.Background(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("c searching a dataset whose provider record has no address: %v", err)
	}
	if v.Name != "provided before a restart" {
		t.Errorf("c found %+v", v)
	}
}
