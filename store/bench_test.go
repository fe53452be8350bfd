//go:build unix

package store_test

import (
	"fmt"
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

func BenchmarkPutBatch(b *testing.B) {
	const batch = 1000
	s := openBenchStore(b)
	m := newClaimMaker(b)
	storetest.MustPut(b, s, m.ds)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		objs := m.claims(batch)
		b.StartTimer()
		if _, err := s.PutBatch(objs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkAttribution10kClaims answers for a dataset with 10,000
// attribution claims: a quarter cosigned by the publisher, one in ten also
// by the contributor, one in twenty endorsed by a steward, one in fifty
// withdrawn.
func BenchmarkAttribution10kClaims(b *testing.B) {
	const claims = 10000
	s := openBenchStore(b)
	m := newClaimMaker(b)
	steward := storetest.Key(b, "bench steward")
	objs := []*protocol.Object{m.ds}
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
