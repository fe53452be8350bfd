package manifest_test

import (
	"math/rand/v2"
	"testing"

	"github.com/commons-p2p/commons/protocol/manifest"
)

// sharing builds two versions into one store each and reports the share
// of the new version's chunks, and of its bytes, that the old one holds,
// and the chunks Diff reads.
func sharing(t *testing.T, old, next []manifest.Entry) (chunks, bytes float64, diffReads, changes int) {
	t.Helper()
	s1, s2 := newChunks(), newChunks()
	a, b := build(t, s1, old), build(t, s2, next)
	var shared, sharedBytes, total, totalBytes int
	for id, raw := range s2.m {
		total++
		totalBytes += len(raw)
		if _, ok := s1.m[id]; ok {
			shared++
			sharedBytes += len(raw)
		}
	}
	all := newChunks()
	for id, raw := range s1.m {
		all.m[id] = raw
	}
	for id, raw := range s2.m {
		all.m[id] = raw
	}
	if err := manifest.Diff(a.ID, b.ID, all.fetch, func(manifest.Change) bool { changes++; return true }); err != nil {
		t.Fatal(err)
	}
	return float64(shared) / float64(total), float64(sharedBytes) / float64(totalBytes), all.reads, changes
}

// TestNewVersionSharesChunks: a version of a 10^5-file dataset that
// changes 1% of its files shares most chunks with the first. Changes
// spread uniformly at random are the worst case: each rewrites its leaf
// (16 entries on average) and every branch above, so about 1 − 0.99^16 of
// the leaves change; changes gathered in a part of the tree (a directory
// added, a year of records corrected) rewrite little more than themselves.
func TestNewVersionSharesChunks(t *testing.T) {
	const n = 100_000
	old := synthetic(n)
	r := rand.New(rand.NewPCG(7, 8))

	// gathered: 1% of the files, in ten runs of 100 consecutive entries
	// (in key order), changed in content; and 100 files added among them.
	next := sorted(old)
	for run := range 10 {
		start := r.IntN(n - 100)
		for i := start; i < start+100; i++ {
			next[i].Digest[0] ^= byte(run + 1)
		}
	}
	gChunks, gBytes, gReads, gChanges := sharing(t, old, next)

	// uniform: 1% of the files, chosen at random, changed in content.
	uni := sorted(old)
	for _, i := range r.Perm(n)[:n/100] {
		uni[i].Digest[0] ^= 1
	}
	uChunks, uBytes, uReads, uChanges := sharing(t, old, uni)

	// insertions: 1% new files at random places.
	ins := append([]manifest.Entry(nil), old...)
	for i, j := range r.Perm(n)[:n/100] {
		e := entry(n+i, 0)
		e.Path = old[j].Path + ".new"
		ins = append(ins, e)
	}
	iChunks, iBytes, iReads, iChanges := sharing(t, old, ins)

	t.Logf("1%% of %d files changed in 10 runs: %.1f%% of chunks and %.1f%% of bytes shared; Diff read %d chunks for %d changes", n, 100*gChunks, 100*gBytes, gReads, gChanges)
	t.Logf("1%% of %d files changed at random:  %.1f%% of chunks and %.1f%% of bytes shared; Diff read %d chunks for %d changes", n, 100*uChunks, 100*uBytes, uReads, uChanges)
	t.Logf("1%% of %d files inserted at random: %.1f%% of chunks and %.1f%% of bytes shared; Diff read %d chunks for %d changes", n, 100*iChunks, 100*iBytes, iReads, iChanges)
	if gChunks < 0.95 {
		t.Errorf("gathered 1%% edit shares %.1f%% of chunks, want ≥ 95%%", 100*gChunks)
	}
	// 1 − 0.99^16 ≈ 15% of leaves change; branches (≈ 1/30 of chunks) all do.
	if uChunks < 0.78 || iChunks < 0.78 {
		t.Errorf("random 1%% edits share %.1f%% and %.1f%% of chunks, want ≥ 78%% (the leaves they miss)", 100*uChunks, 100*iChunks)
	}
	if gChanges != 1000 || uChanges != 1000 || iChanges != 1000 {
		t.Errorf("Diff found %d, %d, %d changes, want 1000 each", gChanges, uChanges, iChanges)
	}
}
