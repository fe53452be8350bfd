package protocol_test

import (
	"crypto/ed25519"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// claims returns n distinct attribution claims, each signed by its issuer,
// one of keys keys, as bulk ingest receives them.
func claims(tb testing.TB, n, keys int) [][]byte {
	tb.Helper()
	ks := make([]*protocol.Key, keys)
	for i := range ks {
		seed := make([]byte, 32)
		seed[0], seed[1] = byte(i), 0x5a
		ks[i] = mustKey(seed)
	}
	subject := protocol.ObjectID([]byte("a dataset"))
	out := make([][]byte, n)
	for i := range out {
		k := ks[i%keys]
		env := mustEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(subject), protocol.Attribution{
			Issuer: k.DID(), Contributor: k.DID(), Role: "annotator", Weight: 0.5,
			Note: fmt.Sprintf("claim %d", i), Created: day(1),
		}, k)
		out[i] = env.Encode()
	}
	return out
}

// BenchmarkVerifySignatures is signature verification alone, on one
// core, over 1,024 claims signed by 8 keys: crypto/ed25519 against
// Envelope.Verify (SPEC.md §2.6), reported per signature (ns/sig); the
// ratio of the two is what the expanded keys gain. The door itself,
// decoding and statement included, is BenchmarkVerifyObjects.
//
//	go test ./protocol -run '^$' -bench VerifySignatures -benchtime 2s -count 3 -cpu 1
func BenchmarkVerifySignatures(b *testing.B) {
	raws := claims(b, 1024, 8)
	envs := make([]*protocol.Envelope, len(raws))
	msgs := make([][]byte, len(raws))
	for i, r := range raws {
		env, err := protocol.DecodeEnvelope(r)
		if err != nil {
			b.Fatal(err)
		}
		envs[i], msgs[i] = env, protocol.PAE(env.PayloadType, env.Payload)
	}
	var cpu0 time.Duration
	perSig := func(b *testing.B) {
		sigs := float64(b.N * len(raws))
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/sigs, "ns/sig")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/sigs, "cpu-ns/sig")
	}
	b.Run("crypto-ed25519", func(b *testing.B) {
		cpu0 = cpuTime()
		for b.Loop() {
			for i, env := range envs {
				s := env.Signatures[0]
				if !ed25519.Verify(s.KeyID.PublicKey(), msgs[i], s.Sig) {
					b.Fatal("refused")
				}
			}
		}
		perSig(b)
	})
	b.Run("commons", func(b *testing.B) {
		cpu0 = cpuTime()
		for b.Loop() {
			for _, env := range envs {
				if err := env.Verify(); err != nil {
					b.Fatal(err)
				}
			}
		}
		perSig(b)
	})
}

// cpuTime is the CPU time the process has used, which a machine shared
// with other work leaves steadier than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerifyObjects is the door for many objects, one signature
// each, on one core, per signature.
//
//	go test ./protocol -run '^$' -bench VerifyObjects -benchtime 2s -count 3 -cpu 1
func BenchmarkVerifyObjects(b *testing.B) {
	raws := claims(b, 1024, 8)
	for b.Loop() {
		_, errs := protocol.VerifyObjects(raws)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/sig")
}
