package bundle_test

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// BenchmarkVerify verifies the bundle of the last dataset of a lineage of
// n ancestors with 10 claims each, every other one co-signed by the
// publisher (the goal: under 2 s for 10,000 ancestors and 100,000
// claims). Its baselines, measured in the same iterations, check the same
// envelopes' signatures and do nothing else: on every core (sigs-s, and
// x-sigs, verify's time over theirs: the floor of any verifier that checks
// every signature is 1) and on one core (sigs1-s, from every tenth
// envelope, and x-sigs1). cpu-s is the process's CPU time per verify.
//
//	go test -run XXX -bench BenchmarkVerify -benchtime 3x ./node/bundle/
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("ancestors=%d/claims=%d", n, 10*n), func(b *testing.B) {
			raw, envs := largeBundle(b, n, 10)
			var cpu, sigs, sigs1 time.Duration
			b.ResetTimer()
			for b.Loop() {
				c0 := cpuTime()
				res, err := bundle.VerifyWith(raw, bundle.Options{Now: verifyNow})
				cpu += cpuTime() - c0
				if err != nil {
					b.Fatal(err)
				}
				if res.Objects != 11*n {
					b.Fatalf("%d objects", res.Objects)
				}
				b.StopTimer()
				t0 := time.Now()
				parallelFor(len(envs), func(i int) {
					if _, err := protocol.VerifyObject(envs[i]); err != nil {
						panic(err)
					}
				})
				sigs += time.Since(t0)
				t0 = time.Now()
				for i := 0; i < len(envs); i += 10 {
					if _, err := protocol.VerifyObject(envs[i]); err != nil {
						b.Fatal(err)
					}
				}
				sigs1 += 10 * time.Since(t0)
				b.StartTimer()
			}
			elapsed := b.Elapsed()
			b.ReportMetric(float64(len(raw))/(1<<20), "MiB")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(sigs.Seconds()/float64(b.N), "sigs-s")
			b.ReportMetric(sigs1.Seconds()/float64(b.N), "sigs1-s")
			b.ReportMetric(elapsed.Seconds()/sigs.Seconds(), "x-sigs")
			b.ReportMetric(elapsed.Seconds()/sigs1.Seconds(), "x-sigs1")
		})
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// largeBundle builds a store holding a lineage of n datasets (dataset i
// has parents i-1 and i/2) with claims claims each by 1000 contributors,
// every other claim co-signed by the publisher, and returns the bundle of
// the last dataset and every envelope it holds.
func largeBundle(tb testing.TB, n, claims int) ([]byte, [][]byte) {
	tb.Helper()
	w := newWorld(tb)
	publisher := storetest.Key(tb, "publisher")
	contributors := make([]*protocol.Key, 1000)
	for i := range contributors {
		contributors[i] = storetest.Key(tb, fmt.Sprintf("contributor %d", i))
	}
	ids := make([]protocol.ID, n)
	datasets := make([][]byte, n)
	for i := range n {
		var parents []protocol.ID
		if i > 0 {
			parents = append(parents, ids[i-1])
			if i/2 != i-1 {
				parents = append(parents, ids[i/2])
			}
		}
		datasets[i] = signed(protocol.KindDataset, protocol.FileSubjects([]protocol.File{storetest.FileOf("part.csv", fmt.Sprint(i))}),
			protocol.Dataset{Name: fmt.Sprintf("part %d", i), License: "CC-BY-4.0", Publisher: publisher.DID(), Created: day(2), Parents: parents}, publisher)
		ids[i] = protocol.ObjectID(payloadOf(tb, datasets[i]))
	}
	envs := make([][]byte, n*claims)
	parallelFor(n, func(i int) {
		for j := range claims {
			c := contributors[(i*claims+j)%len(contributors)]
			keys := []*protocol.Key{c}
			if j%2 == 0 {
				keys = append(keys, publisher)
			}
			envs[i*claims+j] = signed(protocol.KindAttribution, protocol.ReferenceSubject(ids[i]),
				protocol.Attribution{Issuer: c.DID(), Contributor: c.DID(), Role: "annotator", Weight: 1, Created: day(3)}, keys...)
		}
	})
	s := storetest.Open(tb)
	putRaw(tb, s, datasets)
	putRaw(tb, s, envs)
	bb, err := bundle.Build(bundle.Source{Store: s, Genesis: w.genesis, State: w.dag.State(), Updates: w.updates}, ids[n-1])
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := bb.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return raw, append(datasets, envs...)
}

// signed returns the envelope of a statement signed by keys.
func signed(k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) []byte {
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		panic(err)
	}
	for _, key := range keys {
		key.Sign(env)
	}
	return env.Encode()
}

func payloadOf(tb testing.TB, raw []byte) []byte {
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return env.Payload
}

// putRaw verifies envs on every core and stores them.
func putRaw(tb testing.TB, s *store.Store, envs [][]byte) {
	tb.Helper()
	objs := make([]*protocol.Object, len(envs))
	errs := make([]error, len(envs))
	parallelFor(len(envs), func(i int) { objs[i], errs[i] = protocol.VerifyObject(envs[i]) })
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	res, err := s.PutBatch(objs)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			tb.Fatal(r.Err)
		}
	}
}

func parallelFor(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
