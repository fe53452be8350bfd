package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

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
	if !holdsFor(t, b, key.Hash(), a.Host().ID()) {
		t.Fatal("b does not hold a's record before the restart")
	}
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
