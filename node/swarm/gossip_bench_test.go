package swarm

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/protocoltest"
	"github.com/commons-p2p/commons/store"
)

// BenchmarkGossipBurst is the announce topic's validator under a burst:
// 4,000 distinct claims by 8 keys arriving at once, validated as
// GossipSub does, at most 32 at a time (SPEC.md §7.4), against raw
// crypto/ed25519 verification of the same signatures on one core in the
// same run; it reports the ratio as x-verify. The validator is the whole
// of validateAnnounced: the door (decode, signatures, statement), the
// clock, the store's judgement and the budgets. The CPU time of the
// process per validation and per raw verification is the steadier figure
// on a shared machine.
//
//	go test ./node/swarm -run '^$' -bench GossipBurst -benchtime 3x
func BenchmarkGossipBurst(b *testing.B) {
	const n, keys, throttle = 4000, 8, 32
	ks := make([]*protocol.Key, keys)
	for i := range ks {
		ks[i] = protocoltest.MustKey(protocoltest.Seq(byte(16 * i)))
	}
	subject := protocol.ObjectID([]byte("a dataset"))
	created := time.Now().UTC().Truncate(time.Second)
	raws := make([][]byte, n)
	for i := range raws {
		k := ks[i%keys]
		env := protocoltest.MustEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(subject), protocol.Attribution{
			Issuer: k.DID(), Contributor: k.DID(), Role: "annotator", Weight: 0.5,
			Note: fmt.Sprintf("burst %d", i), Created: created,
		}, k)
		raws[i] = env.Encode()
	}

	start, cpu0 := time.Now(), cpuTime()
	for _, r := range raws {
		e, err := protocol.DecodeEnvelope(r)
		if err != nil {
			b.Fatal(err)
		}
		s := e.Signatures[0]
		if !ed25519.Verify(s.KeyID.PublicKey(), protocol.PAE(e.PayloadType, e.Payload), s.Sig) {
			b.Fatal("verify failed")
		}
	}
	verifyRate := float64(n) / time.Since(start).Seconds()
	verifyCPU := cpuTime() - cpu0

	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	counter := func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"outcome"})
	}
	s := &Swarm{cfg: Config{Store: st, Metrics: &metrics.Swarm{Gossiped: counter(), NotStored: counter()}, Now: time.Now}}
	s.budget = NewBudget(BudgetOptions{
		Budgets: defaults(nil), Now: time.Now, Held: st.Has, NotStored: s.cfg.Metrics.NotStored,
		Exempt: func(protocol.DID) bool { return true },
	})
	from := peer.ID("a peer")

	var elapsed, cpu time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range throttle {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if _, err := s.validateAnnounced(context.Background(), from, raws[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(t0)
		cpu += cpuTime() - c0
	}
	rate := float64(n*b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "validated/s")
	b.ReportMetric(verifyRate, "verify-1core/s")
	b.ReportMetric(rate/verifyRate, "x-verify")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/validation")
	b.ReportMetric(float64(verifyCPU.Microseconds())/n, "cpu-µs/verify")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
