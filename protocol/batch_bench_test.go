package protocol_test

import (
	"fmt"
	"testing"

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

// BenchmarkVerifyBatch is the door for many objects, one signature each:
// VerifyObject one by one against VerifyObjects in groups of each size,
// on one core, reported per signature (ns/sig). The ratio of the
// one-by-one figure to a batch figure is what batching gains.
//
//	go test ./protocol -run '^$' -bench VerifyBatch -benchtime 2s -count 3 -cpu 1
func BenchmarkVerifyBatch(b *testing.B) {
	raws := claims(b, 1024, 8)
	perSig := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/sig")
	}
	b.Run("one-by-one", func(b *testing.B) {
		for b.Loop() {
			for _, r := range raws {
				if _, err := protocol.VerifyObject(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		perSig(b)
	})
	for _, size := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("batch-%d", size), func(b *testing.B) {
			for b.Loop() {
				for lo := 0; lo < len(raws); lo += size {
					_, errs := protocol.VerifyObjects(raws[lo:min(lo+size, len(raws))])
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			perSig(b)
		})
	}
}
