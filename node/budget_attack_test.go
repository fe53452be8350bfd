package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// floodDatasets has the node publish count datasets of files synthetic
// files each, as a user of its API would, and returns their IDs. Each goes
// out on the announce topic at once. The files' paths are long (about a
// kilobyte), so that envelopes are large with few file keys to announce.
func floodDatasets(t *testing.T, n *netNode, prefix string, count, files int) []protocol.ID {
	t.Helper()
	dir := strings.Repeat("deeply/nested/", 70)
	ids := make([]protocol.ID, count)
	for i := range ids {
		entries := make([]api.FileEntry, files)
		for j := range entries {
			entries[j] = fileEntry(fmt.Sprintf("%spart-%05d.bin", dir, j), fmt.Sprintf("%s %d %d", prefix, i, j))
		}
		p, err := n.AddDataset(t.Context(), api.AddDatasetRequest{Name: fmt.Sprintf("%s %d", prefix, i), License: "CC0-1.0", Files: entries})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = p.ID
	}
	return ids
}

// heldBy returns the envelope bytes and the count of the objects issued
// by d that n stores.
func heldBy(t *testing.T, n *netNode, d protocol.DID) (bytes int64, count int) {
	t.Helper()
	ids, err := n.store.BySigner(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		o, err := n.store.Object(id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Issuer() == d {
			bytes += int64(len(o.Envelope.Encode()))
			count++
		}
	}
	return bytes, count
}

// metricValue returns the value of the counter or gauge name in n's
// registry whose labels include labels (name=value pairs), 0 if none.
func metricValue(t *testing.T, n *netNode, name string, labels ...string) float64 {
	t.Helper()
	families, err := n.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestStorageBudgetAttack: a node that is no steward publishes, by gossip,
// datasets of many files as fast as its API takes them. Its neighbour, the
// victim, stores no more of them than one signer's budget; the flooder,
// past its budget as a peer, loses score — for volume, never as a sender of
// invalid messages — while the steward that forwards some of the flood does
// not; the steward's own datasets, published during the flood, are all
// stored; and a dataset the budget kept out is still found, from its
// publisher, by a query.
func TestStorageBudgetAttack(t *testing.T) {
	const (
		files       = 64 // about 100 KiB an envelope
		flood       = 30
		signerBytes = 512 << 10
	)
	budgets := repo.Storage{SignerObjects: 1000, SignerBytes: signerBytes, PeerObjects: 1000, PeerBytes: 1 << 20}
	nodes := govSwarmWith(t, 3, 1, 1, nil, swarmOptions{gossip: true, storage: budgets})
	steward, victim, attacker := nodes[0], nodes[1], nodes[2]
	waitMesh(t, nodes)
	start := time.Now()

	var flooded []protocol.ID
	var stewards []protocol.ID
	for round := range 5 {
		flooded = append(flooded, floodDatasets(t, attacker, fmt.Sprint("flood ", round), flood/5, files)...)
		stewards = append(stewards, floodDatasets(t, steward, fmt.Sprint("curated ", round), 1, 50)...)
	}
	attackerDID := attacker.repo.NodeKey.DID()
	seen := func() float64 {
		_, held := heldBy(t, victim, attackerDID)
		return float64(held) + metricValue(t, victim, "commons_gossip_not_stored_total")
	}
	waitFor(t, "two thirds of the flood reach the victim", func() bool { return seen() >= 2*flood/3 })
	for _, id := range stewards {
		waitFor(t, "the steward's datasets reach the victim during the flood", func() bool { ok, _ := victim.store.Has(id); return ok })
	}

	bytes, held := heldBy(t, victim, attackerDID)
	elapsed := time.Since(start)
	bound := signerBytes + int64(float64(signerBytes)*elapsed.Seconds()/repo.BudgetPeriod.Seconds())
	t.Logf("the victim stores %d of the flooder's %d datasets, %d bytes; its budget allows %d", held, flood, bytes, bound)
	if bytes > bound {
		t.Errorf("the victim stores %d bytes of the flooder's datasets (%d of %d): over the signer's budget of %d", bytes, held, flood, bound)
	}
	if held == 0 {
		t.Error("the victim stores none of the flooder's datasets: a budget is an allowance, not a ban")
	}
	waitFor(t, "the flooder's score drops at the victim", func() bool { return victim.scoreOf(attacker.Host().ID()) < 0 })
	if s := victim.scoreOf(steward.Host().ID()); s < 0 {
		t.Errorf("the steward, which forwards only what its own budgets let through, has score %v at the victim", s)
	}
	if v := metricValue(t, victim, "commons_p2p_penalties_total", "reason", p2p.ReasonInvalidGossip); v != 0 {
		t.Errorf("%v invalid-message penalties at the victim: valid objects over a budget are ignored, not rejected", v)
	}
	if v := metricValue(t, victim, "commons_p2p_penalties_total", "reason", p2p.ReasonOverBudget); v == 0 {
		t.Error("no over-budget penalty counted at the victim")
	}
	if v := metricValue(t, victim, "commons_gossip_not_stored_total", "reason", "signer budget") +
		metricValue(t, victim, "commons_gossip_not_stored_total", "reason", "peer budget"); v == 0 {
		t.Error("commons_gossip_not_stored_total counts nothing")
	}
	if v := metricValue(t, victim, "commons_storage_past_watermark"); v != 0 {
		t.Errorf("commons_storage_past_watermark %v on a disk with room", v)
	}

	// What the budget kept out is one query away, from its publisher.
	var dropped []protocol.ID
	for _, id := range flooded {
		if ok, _ := victim.store.Has(id); !ok {
			dropped = append(dropped, id)
		}
	}
	if len(dropped) < 2 {
		t.Fatalf("only %d datasets dropped", len(dropped))
	}
	waitAnnounced(t, attacker)
	got, err := victim.Dataset(t.Context(), dropped[0], api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil || got.ID != dropped[0] {
		t.Fatalf("dataset show of a dataset over the budget: %v", err)
	}
	att, err := victim.Attribution(t.Context(), dropped[1], api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil || att.Kind != "dataset" || att.Publisher != attackerDID {
		t.Fatalf("attribution of a dataset over the budget: %+v, %v", att, err)
	}
	for _, id := range dropped[:2] {
		if ok, _ := victim.store.Has(id); !ok {
			t.Errorf("%s, fetched for a query, is not stored: queries are not budgeted", id)
		}
	}
}
