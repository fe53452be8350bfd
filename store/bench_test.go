//go:build unix

package store_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// Benchmarks run on disk with every commit synced, as a node runs:
//
//	go test ./store -run '^$' -bench . -benchtime 3s
//	go test ./store -run '^$' -bench PutBatch -benchtime 20x -count 5

func openBenchStore(b *testing.B) *store.Store {
	s, err := store.Open(store.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// claimMaker makes attribution claims about one dataset, from a few
// issuers, each naming a contributor of its own.
type claimMaker struct {
	b         *testing.B
	issuers   []*protocol.Key
	publisher *protocol.Key
	ds        *protocol.Object
	n         int
}

func newClaimMaker(b *testing.B) *claimMaker {
	m := &claimMaker{b: b, publisher: storetest.Key(b, "bench publisher")}
	for i := range 50 {
		m.issuers = append(m.issuers, storetest.Key(b, fmt.Sprint("bench issuer ", i)))
	}
	m.ds = storetest.NewDataset(b, m.publisher, "bench")
	return m
}

// next returns the next claim and the key of its contributor.
func (m *claimMaker) next() (*protocol.Object, *protocol.Key) {
	m.n++
	contributor := storetest.Key(m.b, fmt.Sprint("bench contributor ", m.n))
	weight := float64(m.n%100+1) / 100
	return storetest.NewClaim(m.b, m.issuers[m.n%len(m.issuers)], m.ds.ID, contributor.DID(), "annotator", weight), contributor
}

func (m *claimMaker) claims(n int) []*protocol.Object {
	out := make([]*protocol.Object, n)
	for i := range out {
		out[i], _ = m.next()
	}
	return out
}

func BenchmarkPut(b *testing.B) {
	s := openBenchStore(b)
	m := newClaimMaker(b)
	storetest.MustPut(b, s, m.ds)
	objs := m.claims(b.N)
	b.ResetTimer()
	start := cpuTime()
	for i := range b.N {
		if _, err := s.Put(objs[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
}

// BenchmarkPutBatch stores attribution claims about one dataset in
// batches of 1024, as bulk ingest does. The claims are made before the
// clock starts; cpu-µs/object is the CPU the whole process spends (the
// store's goroutines and Badger's) while PutBatch runs.
func BenchmarkPutBatch(b *testing.B) {
	m := newClaimMaker(b)
	benchBatches(b, []*protocol.Object{m.ds}, func(n int) []*protocol.Object { return m.claims(n) })
}

// BenchmarkPutBatchMixed stores the other kinds in the same way: datasets
// with files and parents, claims, endorsements of them, cosigned copies
// and revocations.
func BenchmarkPutBatchMixed(b *testing.B) {
	m := newClaimMaker(b)
	steward := storetest.Key(b, "bench steward")
	parent := m.ds
	n := 0
	benchBatches(b, []*protocol.Object{m.ds}, func(want int) []*protocol.Object {
		var objs []*protocol.Object
		for len(objs) < want {
			n++
			if n%8 == 0 {
				var files []protocol.File
				for f := range 20 {
					files = append(files, storetest.FileOf(fmt.Sprint("part-", f, ".csv"), fmt.Sprint("rows ", n, " ", f)))
				}
				ds := storetest.NewDatasetWith(b, m.publisher, protocol.Dataset{Name: fmt.Sprint("bench ", n), Parents: []protocol.ID{parent.ID}}, files...)
				objs, parent = append(objs, ds), ds
				continue
			}
			claim, contributor := m.next()
			objs = append(objs, claim, storetest.Cosign(b, claim, m.publisher, contributor))
			if n%2 == 0 {
				e := storetest.NewEndorsement(b, steward, claim.ID, "checked")
				objs = append(objs, e)
				if n%6 == 0 {
					objs = append(objs, storetest.NewRevocation(b, steward, e.ID, "retracted"))
				}
			}
		}
		return objs
	})
}

// benchBatches stores first, then b.N batches of about 1024 objects from
// next, and reports for the batches objects/s, the CPU time of the whole
// process per object and that of PutBatch's own goroutine.
func benchBatches(b *testing.B, first []*protocol.Object, next func(n int) []*protocol.Object) {
	const batch = 1024
	s := openBenchStore(b)
	storetest.MustPut(b, s, first...)
	batches := make([][]*protocol.Object, b.N)
	objects := 0
	for i := range batches {
		batches[i] = next(batch)
		objects += len(batches[i])
	}
	runtime.GC()
	// The benchmark's goroutine keeps its thread, so that the thread's CPU
	// time is what PutBatch itself costs, without Badger's goroutines
	// (commits, flushes, compactions), which cpu-µs/object counts too.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	start := cpuTime()
	threadStart, threadOK := threadCPUTime()
	for _, objs := range batches {
		res, err := s.PutBatch(objs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	threadEnd, _ := threadCPUTime()
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(cpuTime()-start)/float64(objects)/1e3, "cpu-µs/object")
	if threadOK {
		b.ReportMetric(float64(threadEnd-threadStart)/float64(objects)/1e3, "putbatch-cpu-µs/object")
	}
}

// BenchmarkAttribution10kClaims answers for a dataset with 10,000
// attribution claims: a quarter cosigned by the publisher, one in ten also
// by the contributor, one in twenty endorsed by a steward, one in fifty
// withdrawn.
func BenchmarkAttribution10kClaims(b *testing.B) { benchAttribution10k(b, false) }

// BenchmarkAttribution10kClaimsRotated is BenchmarkAttribution10kClaims
// in a store that holds a rotation of the publisher's key: the query then
// walks the party of every issuer and contributor (SPEC.md §4.6).
func BenchmarkAttribution10kClaimsRotated(b *testing.B) { benchAttribution10k(b, true) }

func benchAttribution10k(b *testing.B, rotated bool) {
	const claims = 10000
	s := openBenchStore(b)
	m := newClaimMaker(b)
	steward := storetest.Key(b, "bench steward")
	objs := []*protocol.Object{m.ds}
	if rotated {
		objs = append(objs, storetest.NewRotation(b, m.publisher, storetest.Key(b, "bench successor"), ""))
	}
	for i := range claims {
		claim, contributor := m.next()
		objs = append(objs, claim)
		switch {
		case i%10 == 0:
			objs = append(objs, storetest.Cosign(b, claim, m.publisher, contributor))
		case i%4 == 0:
			objs = append(objs, storetest.Cosign(b, claim, m.publisher))
		}
		if i%20 == 0 {
			objs = append(objs, storetest.NewEndorsement(b, steward, claim.ID, "checked"))
		}
		if i%50 == 7 {
			objs = append(objs, storetest.NewRevocation(b, m.issuers[(i+1)%len(m.issuers)], claim.ID, "withdrawn"))
		}
	}
	if _, err := s.PutBatch(objs); err != nil {
		b.Fatal(err)
	}
	policy := protocol.Stewards{steward.DID(): true}
	a, err := s.Attribution(m.ds.ID, policy)
	if err != nil {
		b.Fatal(err)
	}
	if len(a.Contributors) != claims {
		b.Fatalf("%d contributors, want %d", len(a.Contributors), claims)
	}
	start := cpuTime()
	for b.Loop() {
		if _, err := s.Attribution(m.ds.ID, policy); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuTime is the CPU time this process has used, on every thread (the
// garbage collector's included). On a shared machine it says more about
// the cost of a call than the time on the clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
