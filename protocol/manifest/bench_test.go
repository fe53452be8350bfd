package manifest_test

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
	"unsafe"

	"github.com/commons-p2p/commons/protocol/manifest"
)

// archiveEntry is the i-th file of a synthetic archive in key order:
// a thousand files to a directory, as a broadcaster's or a registry's
// export is laid out.
func archiveEntry(i int) manifest.Entry {
	p := fmt.Sprintf("archive/%04d/record-%07d.xml", i/1000, i)
	return manifest.Entry{Path: p, Size: int64(4096 + i%512), Digest: sha256.Sum256([]byte(p))}
}

// heapBytes is the live heap now, read without stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkBuild builds the tree of 10^6 entries, streamed from a
// generator as `dataset add` streams them from a sorted walk, and reports
// entries/s, bytes of chunks per entry, the peak live heap while building
// (sampled every 4096 entries) and two ratios measured in the same run:
// x-list, the peak heap over the bytes the same entries take as a Go
// slice (what holding the list would cost; below 1 is bounded memory),
// and x-sha256, the build time over the time SHA-256 takes to hash the
// chunks it wrote (the least any content-addressed build must do).
//
//	go test -run X -bench Build -benchtime 1x ./protocol/manifest/
func BenchmarkBuild(b *testing.B) {
	const n = 1_000_000
	var chunkBytes, chunks int
	var out [][]byte
	var peak, base uint64
	var elapsed time.Duration
	for b.Loop() {
		chunkBytes, chunks, out = 0, 0, out[:0]
		runtime.GC()
		base, peak = heapBytes(), 0
		start := time.Now()
		bl := manifest.NewBuilder(func(id manifest.ChunkID, raw []byte) error {
			chunkBytes += len(raw)
			chunks++
			if len(out) < 4096 {
				out = append(out, raw)
			}
			return nil
		})
		for i := range n {
			if err := bl.Add(archiveEntry(i)); err != nil {
				b.Fatal(err)
			}
			if i%4096 == 0 {
				peak = max(peak, heapBytes())
			}
		}
		if _, err := bl.Root(); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	// the baseline: SHA-256 of as many bytes as the chunks hold
	hashStart := time.Now()
	for done := 0; done < chunkBytes; {
		for _, c := range out {
			sha256.Sum256(c)
			done += len(c)
			if done >= chunkBytes {
				break
			}
		}
	}
	hashTime := time.Since(hashStart)
	per := elapsed / time.Duration(b.N)
	listBytes := float64(n) * (float64(unsafe.Sizeof(manifest.Entry{})) + float64(len(archiveEntry(0).Path)))
	peakLive := float64(peak - min(peak, base))
	b.ReportMetric(float64(n)/per.Seconds(), "entries/s")
	b.ReportMetric(float64(chunkBytes)/n, "chunk-B/entry")
	b.ReportMetric(float64(n)/float64(chunks), "entries/chunk")
	b.ReportMetric(peakLive/(1<<20), "peak-heap-MiB")
	b.ReportMetric(peakLive/listBytes, "x-list")
	b.ReportMetric(per.Seconds()/hashTime.Seconds(), "x-sha256")
}

// BenchmarkLookup looks up random paths of a 10^6-entry tree and reports
// the chunks read per lookup (the levels of the tree: what `locate` of
// one file fetches) and, as the baseline of the same run, the chunks a
// walk of the whole tree reads.
//
//	go test -run X -bench Lookup ./protocol/manifest/
func BenchmarkLookup(b *testing.B) {
	const n = 1_000_000
	s := newChunks()
	bl := manifest.NewBuilder(s.put)
	for i := range n {
		if err := bl.Add(archiveEntry(i)); err != nil {
			b.Fatal(err)
		}
	}
	root, err := bl.Root()
	if err != nil {
		b.Fatal(err)
	}
	r := manifest.NewReader(root.ID, s.fetch)
	rng := rand.New(rand.NewPCG(1, 1))
	s.reads = 0
	lookups := 0
	for b.Loop() {
		e := archiveEntry(rng.IntN(n))
		if g, ok, err := r.Lookup(e.Path); err != nil || !ok || g != e {
			b.Fatalf("Lookup(%q) = %+v, %v, %v", e.Path, g, ok, err)
		}
		lookups++
	}
	b.ReportMetric(float64(s.reads)/float64(lookups), "chunks/lookup")
	b.ReportMetric(float64(len(s.m)), "chunks-in-tree")
	b.ReportMetric(float64(len(s.m))/(float64(s.reads)/float64(lookups)), "x-walk")
}
