package node

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// claimEnvelopes makes n distinct signed attribution claims about one
// dataset, each signed by one of a few keys, as encoded envelopes.
func claimEnvelopes(tb testing.TB, n int) [][]byte {
	tb.Helper()
	keys := make([]*protocol.Key, 8)
	for i := range keys {
		seed := make([]byte, 32)
		seed[0] = byte(i + 1)
		keys[i], _ = protocol.KeyFromSeed(seed)
	}
	subject := protocol.ObjectID([]byte("a dataset"))
	created := time.Now().UTC().Truncate(time.Second)
	out := make([][]byte, n)
	for i := range out {
		k := keys[i%len(keys)]
		env, err := protocol.NewEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(subject), protocol.Attribution{
			Issuer: k.DID(), Contributor: k.DID(), Role: "annotator", Weight: 0.5,
			Note: fmt.Sprintf("batch %d", i), Created: created,
		})
		if err != nil {
			tb.Fatal(err)
		}
		k.Sign(env)
		out[i] = env.Encode()
	}
	return out
}

// BenchmarkIngest measures bulk ingest (decode, verification,
// index, batched syncs to an on-disk store, all cores) against raw
// crypto/ed25519 verification on one core over the same envelopes,
// measured in the same run, and reports their ratio as x-verify. The goal
// is an x-verify of at least 2 on a 2-core machine.
//
//	go test ./node -run '^$' -bench Ingest -benchtime 3x
func BenchmarkIngest(b *testing.B) {
	const n = 20000
	raws := claimEnvelopes(b, n)

	// Raw single-core verification of the same signatures.
	envs := make([]*protocol.Envelope, n)
	for i, r := range raws {
		envs[i], _ = protocol.DecodeEnvelope(r)
	}
	start := time.Now()
	for _, e := range envs {
		s := e.Signatures[0]
		if !ed25519.Verify(s.KeyID.PublicKey(), protocol.PAE(e.PayloadType, e.Payload), s.Sig) {
			b.Fatal("verify failed")
		}
	}
	verifyRate := float64(n) / time.Since(start).Seconds()

	var ingestTime time.Duration
	for b.Loop() {
		b.StopTimer()
		n0 := newBenchNode(b)
		b.StartTimer()
		t0 := time.Now()
		n0.IngestAll(raws, func(_ int, r store.PutResult) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		})
		ingestTime += time.Since(t0)
		b.StopTimer()
		n0.store.Close()
		b.StartTimer()
	}
	ingestRate := float64(n*b.N) / ingestTime.Seconds()
	b.ReportMetric(ingestRate, "ingest-objects/s")
	b.ReportMetric(verifyRate, "verify-1core/s")
	b.ReportMetric(ingestRate/verifyRate, "x-verify")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

// newBenchNode is a node whose store is on disk with synced writes, as a
// daemon's is.
func newBenchNode(b *testing.B) *Node {
	r, err := repo.Init(filepath.Join(b.TempDir(), "repo"), repo.InitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		b.Fatal(err)
	}
	return New(r, st, nil)
}

// BenchmarkAddManifestDataset measures what the daemon does for a dataset
// of 10^5 files once the CLI has hashed them: store the manifest's chunks
// as an upload brings them, then check the whole tree, sign the record and
// index every entry, on a store on disk with synced writes. It reports each
// phase per file, against building the manifest in memory (what the CLI
// does as it hashes) measured in the same run.
func BenchmarkAddManifestDataset(b *testing.B) {
	const files = 100_000
	t0 := time.Now()
	tr := buildTree(b, numbered(files, "bench"))
	build := time.Since(t0)
	var chunks [][]byte
	for _, c := range tr.chunks {
		chunks = append(chunks, c)
	}
	var put, add time.Duration
	for b.Loop() {
		b.StopTimer()
		n := newBenchNode(b)
		b.StartTimer()
		t0 := time.Now()
		if _, err := n.PutChunks(b.Context(), chunks); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := n.AddDataset(b.Context(), api.AddDatasetRequest{Name: "bench", License: "CC0-1.0", Manifest: tr.ref()}); err != nil {
			b.Fatal(err)
		}
		put, add = put+t1.Sub(t0), add+time.Since(t1)
		b.StopTimer()
		n.store.Close()
		b.StartTimer()
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(files*b.N) }
	b.ReportMetric(per(put), "put-chunks-ns/file")
	b.ReportMetric(per(add), "add-record-ns/file")
	b.ReportMetric(float64(build.Nanoseconds())/files, "build-ns/file")
	b.ReportMetric(float64(put+add)/float64(b.N)/float64(build), "x-build")
}
