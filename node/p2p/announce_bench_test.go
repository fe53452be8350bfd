//go:build unix

package p2p_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/commons-p2p/commons/node/p2p"
)

// The cost of announcing many keys, on a 20-node loopback swarm in one
// process:
//
//	COMMONS_LONG=1 go test -run TestAnnounce10k -v -timeout 30m ./node/p2p/
//	go test -run '^$' -bench BenchmarkAnnounce10k -benchtime 3x -timeout 30m ./node/p2p/
//
// COMMONS_ANNOUNCE_KEYS and COMMONS_ANNOUNCE_CONCURRENCY change the number
// of keys (10 000) and the provides in flight (the default of
// AnnouncerOptions).

const announceSwarm = 20

func announceParams(t testing.TB) (keys, concurrency int) {
	keys, concurrency = 10_000, p2p.DefaultAnnounceConcurrency
	for name, v := range map[string]*int{"COMMONS_ANNOUNCE_KEYS": &keys, "COMMONS_ANNOUNCE_CONCURRENCY": &concurrency} {
		if s := os.Getenv(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive integer", name, s)
			}
			*v = n
		}
	}
	return keys, concurrency
}

func manyKeys(t testing.TB, n int) []cid.Cid {
	keys := make([]cid.Cid, n)
	for i := range keys {
		keys[i] = randomKey(t)
	}
	return keys
}

// TestAnnounce10k announces 10 000 keys from one node of a 20-node swarm
// (a round), announces them again (the renewal round), and checks a sample
// from the farthest node.
func TestAnnounce10k(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement of minutes: COMMONS_LONG=1")
	}
	nkeys, conc := announceParams(t)
	start := time.Now()
	nodes := newLine(t, announceSwarm, nodeConfig{})
	t.Logf("swarm of %d nodes up in %v", announceSwarm, time.Since(start).Round(time.Millisecond))
	keys := manyKeys(t, nkeys)
	a := p2p.NewAnnouncer(nodes[0].d, keyList(keys...), p2p.AnnouncerOptions{Concurrency: conc})
	ctx := context.Background()

	var rows []string
	for _, name := range []string{"announce", "renew"} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu := cpuTime(t)
		st := a.Round(ctx)
		cpu = cpuTime(t) - cpu
		runtime.ReadMemStats(&after)
		rows = append(rows, fmt.Sprintf("%-8s  %6d  %6d  %7.1f  %6.0f  %10.2f  %9.0f",
			name, st.Keys, st.Failed, st.Duration.Seconds(), float64(st.Keys)/st.Duration.Seconds(),
			float64(cpu.Microseconds())/1000/float64(st.Keys),
			float64(after.TotalAlloc-before.TotalAlloc)/float64(st.Keys)/1024))
		if st.Failed > 0 {
			t.Errorf("%s: %d of %d provides failed", name, st.Failed, st.Keys)
		}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("%d keys from node 0 of %d, %d provides in flight\n"+
		"round       keys  failed  seconds  keys/s  CPU ms/key  KiB alloc/key   (CPU and allocations of all %d nodes)\n%s\n%s\n"+
		"heap in use after: %.0f MiB for %d nodes (provider records of %d keys on each)",
		nkeys, announceSwarm, conc, announceSwarm, rows[0], rows[1], float64(ms.HeapInuse)/(1<<20), announceSwarm, nkeys)

	for _, k := range keys[:50] {
		if provs, _ := findProviders(t, nodes[announceSwarm-1], k, 1); !hasProvider(provs, nodes[0].h.ID()) {
			t.Errorf("key %s not found from node %d", k, announceSwarm-1)
		}
	}
}

// BenchmarkAnnounce10k runs b.N rounds of 10 000 keys from one node of a
// 20-node swarm: the first is the announcement, the next are renewals.
func BenchmarkAnnounce10k(b *testing.B) {
	nkeys, conc := announceParams(b)
	nodes := newLine(b, announceSwarm, nodeConfig{})
	a := p2p.NewAnnouncer(nodes[0].d, keyList(manyKeys(b, nkeys)...), p2p.AnnouncerOptions{Concurrency: conc})
	ctx := context.Background()
	failed := 0
	b.ResetTimer()
	for b.Loop() {
		failed += a.Round(ctx).Failed
	}
	b.ReportMetric(float64(nkeys*b.N)/b.Elapsed().Seconds(), "keys/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/round")
	b.ReportMetric(0, "ns/op")
	if failed > 0 {
		b.Errorf("%d provides failed", failed)
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
