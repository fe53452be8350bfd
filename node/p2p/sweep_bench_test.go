//go:build unix

package p2p_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
)

// TestAnnounceSweep10k is TestAnnounce10k with a Sweeper in place of the
// Announcer: 10 000 keys (COMMONS_ANNOUNCE_KEYS) from one node of a
// 20-node loopback swarm in one process, every node's provider records in
// a Datastore on disk, as a daemon's are:
//
//	COMMONS_LONG=1 go test -run TestAnnounceSweep10k -v -timeout 60m ./node/p2p/
//
// With COMMONS_SWEEP_RENEW=DURATION, the interval of renewal, it then
// waits until every key was provided again and reports the renewal.
func TestAnnounceSweep10k(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	nkeys, _ := announceParams(t)
	start := time.Now()
	nodes := make([]*testNode, announceSwarm)
	for i := range nodes {
		c := nodeConfig{dht: p2p.DHTOptions{Datastore: openDatastore(t, t.TempDir())}}
		if i > 0 {
			c.dht.Bootstrap = []peer.AddrInfo{nodes[i-1].info()}
		}
		nodes[i] = newNode(t, c)
	}
	waitRouting(t, nodes)
	t.Logf("swarm of %d nodes up in %v", announceSwarm, time.Since(start).Round(time.Millisecond))
	keys := manyKeys(t, nkeys)
	renew := sweepRenewal(t)
	s, err := p2p.NewSweeper(nodes[0].d, keyList(keys...), p2p.SweepOptions{Datastore: openDatastore(t, t.TempDir()), Interval: renew})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The run is bounded by go test's -timeout, less a minute to report
	// where it stood; the sweeper itself runs on a context of its own.
	ctx := context.Background()
	waitCtx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithDeadline(waitCtx, d.Add(-time.Minute))
		defer cancel()
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := cpuTime(t)
	start = time.Now()
	s.Start(ctx)
	for {
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Done when every key was provided (some twice: a key handed over
		// while its region's first sweep runs goes out in both) and no
		// provide or sweep is under way or queued.
		q, on := st.Queues, st.Operations.Ongoing
		if p := st.Operations.Past; p.KeysProvided+p.KeysFailed >= int64(nkeys) &&
			q.PendingKeyProvides == 0 && q.PendingRegionReprovides == 0 && on.KeyProvides == 0 && on.KeyReprovides == 0 {
			break
		}
		select {
		case <-waitCtx.Done():
			t.Fatalf("not done within the test's -timeout: %+v", st.Operations)
		case <-time.After(100 * time.Millisecond):
		}
	}
	took := time.Since(start)
	cpu = cpuTime(t) - cpu
	runtime.ReadMemStats(&after)
	st, _ := s.Stats(ctx)
	t.Logf("%d keys from node 0 of %d in %.1f s: %.0f keys/s, %.2f CPU ms/key and %.1f KiB alloc/key across the swarm; "+
		"%d provided, %d failed, %d records sent, %d regions (prefix length %.1f)",
		nkeys, announceSwarm, took.Seconds(), float64(nkeys)/took.Seconds(),
		float64(cpu.Microseconds())/1000/float64(nkeys), float64(after.TotalAlloc-before.TotalAlloc)/float64(nkeys)/1024,
		st.Operations.Past.KeysProvided, st.Operations.Past.KeysFailed, st.Operations.Past.RecordsProvided,
		st.Schedule.Regions, st.Schedule.AvgPrefixLength)
	if st.Operations.Past.KeysFailed > 0 {
		t.Errorf("%d keys failed", st.Operations.Past.KeysFailed)
	}
	if renew > 0 {
		// The renewal: every region is explored again once within the
		// interval, its turn spread over it.
		first := st.Operations.Past.KeysProvided
		cpu = cpuTime(t)
		start = time.Now()
		for {
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Operations.Past.KeysProvided >= first+int64(nkeys) && st.Operations.Ongoing.KeyReprovides == 0 {
				break
			}
			select {
			case <-waitCtx.Done():
				t.Fatalf("renewal not done within the test's -timeout: %+v", st.Operations)
			case <-time.After(100 * time.Millisecond):
			}
		}
		took, cpu := time.Since(start), cpuTime(t)-cpu
		st, _ := s.Stats(ctx)
		t.Logf("renewal of %d keys, interval %s: every key provided again %.1f s after the first announcement ended; %.2f CPU ms/key across the swarm (%.2f cores on average); %d failed",
			nkeys, renew, took.Seconds(), float64(cpu.Microseconds())/1000/float64(nkeys), cpu.Seconds()/took.Seconds(), st.Operations.Past.KeysFailed)
	}
	nodes[0].delivered(t)
	for _, k := range keys[:50] {
		if provs, _ := findProviders(t, nodes[announceSwarm-1], k, 1); !hasProvider(provs, nodes[0].h.ID()) {
			t.Errorf("key %s not found from node %d", k, announceSwarm-1)
		}
	}
}

// sweepRenewal is COMMONS_SWEEP_RENEW, the sweeper's interval of renewal
// in a measurement; 0 (unset): the default, and no renewal measured.
func sweepRenewal(t testing.TB) time.Duration {
	v := os.Getenv("COMMONS_SWEEP_RENEW")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("COMMONS_SWEEP_RENEW=%q: want a positive duration", v)
	}
	return d
}
