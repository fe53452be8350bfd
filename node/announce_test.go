package node

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/swarm"
)

// TestSweeperTakesWholeManifest: a dataset whose manifest has more entries
// than the announce queue holds has every entry's file key handed to the
// sweeping announcer at once, none left for its next walk of the store
// 12 h later.
func TestSweeperTakesWholeManifest(t *testing.T) {
	const entries = 70_000 // over the queue's 65,536
	genesis := testGenesis(t, "sweep", randomDID(t))
	b := startNetNode(t, filepath.Join(t.TempDir(), "b"), genesis, swarmOptions{announcer: swarm.AnnounceSweep})
	startNetNode(t, filepath.Join(t.TempDir(), "a"), genesis, swarmOptions{}, b)
	before := b.net.Announcer().Counts().Keys
	publishTree(t, b.Node, buildTree(t, numbered(entries, "sweep")))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := b.net.Announcer().Counts()
		if c.Keys-before >= entries+1 { // the entries and the manifest key
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sweeper holds %d new keys after 60 s, want the %d of the manifest: %+v", c.Keys-before, entries+1, c)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLoneNodeFoundOnceJoined: what a node published while it had no peer
// is found by the first node that joins it, with either announcer.
func TestLoneNodeFoundOnceJoined(t *testing.T) {
	for _, kind := range announcers {
		t.Run(kind, func(t *testing.T) {
			genesis := testGenesis(t, "lone", randomDID(t))
			lone := startNetNode(t, filepath.Join(t.TempDir(), "lone"), genesis, swarmOptions{announcer: kind})
			ds := mustDataset(t, lone.Node, "published alone")
			joiner := startNetNode(t, filepath.Join(t.TempDir(), "joiner"), genesis, swarmOptions{announcer: kind}, lone)
			if err := p2p.WaitForPeers(t.Context(), joiner.net.DHT()); err != nil {
				t.Fatal(err)
			}
			got, err := joiner.Dataset(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
			if err != nil || got.Name != "published alone" {
				t.Fatalf("the joiner: %+v, %v", got, err)
			}
		})
	}
}
