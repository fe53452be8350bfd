package node

import (
	"fmt"
	"github.com/commons-p2p/commons/node/api"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/repo"
)

// The growth of a victim's store under a flood of large datasets by
// gossip, with the default storage budgets and with budgets too large to
// bind:
//
//	COMMONS_LONG=1 go test -run TestMeasureStorageFlood -v -timeout 20m ./node/

// TestMeasureStorageFlood: a node that is no steward publishes 40
// datasets of 16,000 files each (envelopes of about 2.7 MB) as fast as its
// API takes them; its neighbour's store is measured before and after.
func TestMeasureStorageFlood(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	const unbounded = 1 << 50
	for _, c := range []struct {
		name    string
		storage repo.Storage
	}{
		{"default budgets", repo.Storage{}},
		{"no budget", repo.Storage{SignerObjects: unbounded, SignerBytes: unbounded, PeerObjects: unbounded, PeerBytes: unbounded}},
	} {
		t.Run(c.name, func(t *testing.T) { measureFlood(t, c.storage, 40, 16000) })
	}
}

func measureFlood(t *testing.T, storage repo.Storage, flood, files int) {
	nodes := govSwarmWith(t, 3, 1, 1, nil, swarmOptions{gossip: true, defaults: true, storage: storage})
	victim, attacker := nodes[1], nodes[2]
	waitMesh(t, nodes)
	before, err := dirBytes(victim.repo.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var envBytes int64
	for i := range flood {
		entries := make([]api.FileEntry, files)
		for j := range entries {
			entries[j] = fileEntry(fmt.Sprintf("shard-%03d/part-%05d.bin", i, j), fmt.Sprintf("flood %d %d", i, j))
		}
		p, err := attacker.AddDataset(t.Context(), api.AddDatasetRequest{Name: fmt.Sprint("flood ", i), License: "CC0-1.0", Files: entries})
		if err != nil {
			t.Fatal(err)
		}
		env, err := attacker.store.Envelope(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		envBytes += int64(len(env.Encode()))
	}
	published := time.Since(start)
	attackerDID := attacker.repo.NodeKey.DID()
	deadline := time.Now().Add(5 * time.Minute)
	var held int
	for {
		_, held = heldBy(t, victim, attackerDID)
		seen := held + int(metricValue(t, victim, "commons_gossip_not_stored_total"))
		if seen >= flood {
			break
		}
		if time.Now().After(deadline) {
			t.Logf("after 5 minutes the victim has seen %d of %d datasets", seen, flood)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	heldBytes, _ := heldBy(t, victim, attackerDID)
	after, err := dirBytes(victim.repo.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flood: %d datasets of %d files, %.1f MB of envelopes, published in %s",
		flood, files, float64(envBytes)/1e6, published.Round(time.Millisecond))
	t.Logf("victim: stored %d of them, %.1f MB of envelopes; store on disk grew by %.1f MB (%.1f → %.1f MB) in %s",
		held, float64(heldBytes)/1e6, float64(after-before)/1e6, float64(before)/1e6, float64(after)/1e6, took.Round(time.Millisecond))
	t.Logf("victim: not stored, by reason: signer budget %v, peer budget %v, watermark %v; flooder's score %.1f",
		metricValue(t, victim, "commons_gossip_not_stored_total", "reason", "signer budget"),
		metricValue(t, victim, "commons_gossip_not_stored_total", "reason", "peer budget"),
		metricValue(t, victim, "commons_gossip_not_stored_total", "reason", "watermark"),
		victim.scoreOf(attacker.Host().ID()))
	if storage.SignerBytes == 0 && heldBytes > repo.DefaultSignerBytes+int64(float64(repo.DefaultSignerBytes)*took.Hours()) {
		t.Errorf("the victim stores %d bytes of one signer's envelopes, over the default budget", heldBytes)
	}
}
