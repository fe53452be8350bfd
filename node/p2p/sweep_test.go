package p2p_test

import (
	"context"
	"testing"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"

	"github.com/commons-p2p/commons/node/p2p"
)

// TestSweeperAnnouncesByRegion: a Sweeper on the first node of a line of
// ten announces the keys of its source, and new keys handed to Announce;
// the last node finds the first as the provider of each, and the provider
// explored far fewer regions than it announced keys. Buckets of three
// (records on the three nodes closest to a key) make the swarm behave as
// a large one, with several regions.
func TestSweeperAnnouncesByRegion(t *testing.T) {
	const nkeys = 400
	nodes := newLine(t, 10, nodeConfig{dht: p2p.DHTOptions{Extra: []dht.Option{dht.BucketSize(3)}}})
	first, last := nodes[0], nodes[len(nodes)-1]
	keys := manyKeys(t, nkeys)
	dir := t.TempDir()
	store := openDatastore(t, dir)
	s, err := p2p.NewSweeper(first.d, keyList(keys...), p2p.SweepOptions{Datastore: store})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s.Start(ctx)
	late := randomKey(t)
	if err := s.Announce(ctx, late); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the sweeper announces every key", func() bool {
		st, err := s.Stats(ctx)
		return err == nil && st.Operations.Past.KeysProvided >= nkeys+1 && st.Queues.PendingKeyProvides == 0
	})
	st, _ := s.Stats(ctx)
	t.Logf("keys provided %d, failed %d, records sent %d; schedule: %d keys in %d regions (prefix length %.1f)",
		st.Operations.Past.KeysProvided, st.Operations.Past.KeysFailed, st.Operations.Past.RecordsProvided,
		st.Schedule.Keys, st.Schedule.Regions, st.Schedule.AvgPrefixLength)
	if st.Schedule.Keys != nkeys+1 {
		t.Errorf("%d keys scheduled for re-announcement, want %d", st.Schedule.Keys, nkeys+1)
	}
	if st.Schedule.Regions == 0 || st.Schedule.Regions*10 > nkeys {
		t.Errorf("%d regions for %d keys: the keys were not grouped", st.Schedule.Regions, nkeys)
	}
	first.delivered(t)
	for _, k := range append(keys[:20], late) {
		if provs, _ := findProviders(t, last, k, 1); !hasProvider(provs, first.h.ID()) {
			t.Errorf("key %s: providers %v, want node 0", k, provs)
		}
	}

	// Restarted on the same directory with a source that yields nothing,
	// the provider still holds every key for its next rounds.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	store.Close()
	s, err = p2p.NewSweeper(first.d, keyList(), p2p.SweepOptions{Datastore: openDatastore(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	if st, err := s.Stats(ctx); err != nil || st.Schedule.Keys != nkeys+1 {
		t.Errorf("after a restart: %d keys held, %v; want %d", st.Schedule.Keys, err, nkeys+1)
	}
}
