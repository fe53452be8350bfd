package p2p_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/namespace"
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/provider"
	"github.com/libp2p/go-libp2p-kad-dht/provider/keystore"
	"github.com/libp2p/go-libp2p/core/peer"

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

// TestSweeperAnnouncesAfterUncleanStop: a node killed after its sweeper
// put a key in the keystore, but before the key was sent, finds the key
// there at its next start, in a region it announced minutes ago. That
// start announces every region again, so the key reaches the network
// within seconds rather than at its region's turn, hours later.
func TestSweeperAnnouncesAfterUncleanStop(t *testing.T) {
	const nkeys = 200
	nodes := newLine(t, 10, nodeConfig{dht: p2p.DHTOptions{Extra: []dht.Option{dht.BucketSize(3)}}})
	first, last := nodes[0], nodes[len(nodes)-1]
	keys := manyKeys(t, nkeys)
	mem := dssync.MutexWrap(ds.NewMapDatastore())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	announced := func(s *p2p.Sweeper, n int64) func() bool {
		return func() bool {
			st, err := s.Stats(ctx)
			return err == nil && st.Operations.Past.KeysProvided >= n && st.Queues.PendingKeyProvides == 0 &&
				st.Queues.PendingRegionReprovides == 0 && st.Operations.Ongoing.RegionReprovides == 0
		}
	}

	// A first run announces the keys and stops cleanly; the second, on
	// coming online, announces every region again and records it.
	s, err := p2p.NewSweeper(first.d, keyList(keys...), p2p.SweepOptions{Datastore: mem})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	eventually(t, 60*time.Second, "the first run announces every key", announced(s, nkeys))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = p2p.NewSweeper(first.d, keyList(keys...), p2p.SweepOptions{Datastore: mem})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	eventually(t, 60*time.Second, "the second run records the regions it announced", func() bool {
		return announced(s, 0)() && len(queryKeys(t, mem, "/schedule/history")) > 0
	})

	// Killed: what is on disk is the datastore as it is now, with one more
	// key in the keystore that was never sent.
	crashed := copyDatastore(t, mem)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	late := randomKey(t)
	ks, err := keystore.NewKeystore(namespace.Wrap(crashed, ds.NewKey("keys")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Put(ctx, late.Hash()); err != nil {
		t.Fatal(err)
	}
	ks.Close()

	s, err = p2p.NewSweeper(first.d, keyList(append(keys, late)...), p2p.SweepOptions{Datastore: crashed})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Start(ctx)
	eventually(t, 60*time.Second, "the key held when the node died is announced", func() bool {
		provs, _ := findProviders(t, last, late, 0)
		return hasProvider(provs, first.h.ID())
	})
}

// TestSweeperAnnouncesAfterOffline: kad-dht's provider, once offline,
// keeps keys handed to it in its keystore alone (its queue of keys not yet
// sent is cleared when it goes offline), and on coming back announces only
// the regions whose turn has passed. A key handed over while the network
// is away is announced all the same once it is back, because the sweeper
// replaces a provider that went offline with one that announces every
// region once online.
func TestSweeperAnnouncesAfterOffline(t *testing.T) {
	const nkeys = 100
	nodes := newLine(t, 8, nodeConfig{dht: p2p.DHTOptions{Extra: []dht.Option{dht.BucketSize(3)}}})
	first, last := nodes[0], nodes[len(nodes)-1]
	router := &failingRouter{d: first.d}
	s, err := p2p.NewSweeper(first.d, keyList(manyKeys(t, nkeys)...), p2p.SweepOptions{Extra: []provider.Option{
		provider.WithRouter(router),
		provider.WithOfflineDelay(0),
		provider.WithConnectivityCheckOnlineInterval(time.Millisecond),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s.Start(ctx)
	eventually(t, 60*time.Second, "the sweeper announces every key", func() bool {
		st, err := s.Stats(ctx)
		return err == nil && st.Operations.Past.KeysProvided >= nkeys && st.Queues.PendingKeyProvides == 0 &&
			st.Queues.PendingRegionReprovides == 0 && st.Operations.Ongoing.RegionReprovides == 0
	})

	// The network goes away: the next provide fails, and the provider
	// goes offline. A key is handed over meanwhile.
	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	router.failing.Store(true)
	if err := s.Announce(ctx, randomKey(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the provider goes offline", func() bool {
		st, err := s.Stats(ctx)
		return err == nil && st.Connectivity.Status == "offline"
	})
	late := randomKey(t)
	if err := s.Announce(ctx, late); err != nil {
		t.Fatal(err)
	}
	router.failing.Store(false)
	eventually(t, 60*time.Second, "the key handed over while offline is announced", func() bool {
		provs, _ := findProviders(t, last, late, 0)
		return hasProvider(provs, first.h.ID())
	})
	// The counters go on from the replaced provider's.
	if after, err := s.Stats(ctx); err != nil || after.Operations.Past.KeysProvided < before.Operations.Past.KeysProvided {
		t.Errorf("keys provided: %d before the network went away, %d after (%v)",
			before.Operations.Past.KeysProvided, after.Operations.Past.KeysProvided, err)
	}
}

// failingRouter is a DHT whose lookups fail while failing is set: a node
// whose network went away.
type failingRouter struct {
	d       *dht.IpfsDHT
	failing atomic.Bool
}

func (r *failingRouter) GetClosestPeers(ctx context.Context, key string) ([]peer.ID, error) {
	if r.failing.Load() {
		return nil, errors.New("no route to any peer")
	}
	return r.d.GetClosestPeers(ctx, key)
}

// queryKeys lists the keys of d under prefix.
func queryKeys(t testing.TB, d ds.Datastore, prefix string) []string {
	t.Helper()
	res, err := d.Query(context.Background(), query.Query{Prefix: prefix, KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Key
	}
	return out
}

// copyDatastore returns an in-memory copy of d as it is now.
func copyDatastore(t testing.TB, d ds.Datastore) ds.Batching {
	t.Helper()
	ctx := context.Background()
	res, err := d.Query(ctx, query.Query{})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	out := dssync.MutexWrap(ds.NewMapDatastore())
	for _, e := range entries {
		if err := out.Put(ctx, ds.NewKey(e.Key), e.Value); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
