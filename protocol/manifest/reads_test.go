package manifest_test

import (
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol/manifest"
)

// height returns the number of levels of the tree under root.
func height(t *testing.T, s *chunks, root manifest.ChunkID) int {
	t.Helper()
	c, err := manifest.DecodeChunk(s.m[root])
	if err != nil {
		t.Fatal(err)
	}
	return c.Level + 1
}

// TestReadsOnlyThePath: a lookup reads one chunk per level, a page the
// chunks on the path to its first entry and the leaves it lists, a diff of
// one changed entry the chunks on the two paths and their neighbours; none
// reads the tree.
func TestReadsOnlyThePath(t *testing.T) {
	const n = 50_000
	s := newChunks()
	entries := sorted(synthetic(n))
	root := build(t, s, entries)
	levels := height(t, s, root.ID)
	if levels < 3 {
		t.Fatalf("a tree of %d entries has %d levels; want ≥ 3 for this test to mean anything", n, levels)
	}
	r := manifest.NewReader(root.ID, s.fetch)
	for _, i := range []int{0, 1, n / 3, n / 2, n - 1} {
		s.reads = 0
		if _, ok, err := r.Lookup(entries[i].Path); err != nil || !ok {
			t.Fatalf("Lookup(%q): %v, %v", entries[i].Path, ok, err)
		}
		if s.reads != levels {
			t.Errorf("Lookup of entry %d read %d chunks, want %d (one per level)", i, s.reads, levels)
		}
		s.reads = 0
		page, _, err := r.Page(entries[i].Path, 20)
		if err != nil {
			t.Fatal(err)
		}
		// the path to the first entry, then at most one new leaf per
		// entry listed, and the branches above them
		if max := levels + 2*len(page); s.reads > max {
			t.Errorf("Page after entry %d read %d chunks for %d entries, want ≤ %d", i, s.reads, len(page), max)
		}
	}
	s.reads = 0
	if err := r.CheckRoot(root); err != nil || s.reads != 1 {
		t.Errorf("CheckRoot: %v after %d reads, want nil after 1", err, s.reads)
	}
	if err := r.CheckRoot(manifest.Root{ID: root.ID, Count: root.Count + 1, Bytes: root.Bytes}); err == nil || !strings.Contains(err.Error(), "the record says") {
		t.Errorf("CheckRoot of a wrong count: %v", err)
	}

	// one entry changed: Diff reads the two roots and little more than
	// the two paths.
	next := append([]manifest.Entry(nil), entries...)
	next[n/2].Size++
	other := build(t, s, next)
	s.reads = 0
	var changes []manifest.Change
	if err := manifest.Diff(root.ID, other.ID, s.fetch, func(c manifest.Change) bool { changes = append(changes, c); return true }); err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Kind != manifest.Changed || changes[0].New != next[n/2] {
		t.Fatalf("Diff gave %+v, want the one change", changes)
	}
	if max := 2 * (levels + 2); s.reads > max {
		t.Errorf("Diff of one change read %d chunks of a %d-level tree, want ≤ %d", s.reads, levels, max)
	}
	t.Logf("%d entries, %d levels, %d chunks; Diff of one change read %d", n, levels, len(s.m), s.reads)
	s.reads = 0
	if err := manifest.Diff(root.ID, root.ID, s.fetch, func(manifest.Change) bool { return true }); err != nil || s.reads != 0 {
		t.Errorf("Diff of a tree with itself: %v after %d reads, want none", err, s.reads)
	}
}

// TestFullChunksSplit: keys none of which ends a chunk still make valid
// trees, cut every MaxLeafEntries entries, which readers accept.
func TestFullChunksSplit(t *testing.T) {
	var entries []manifest.Entry
	for i := 0; len(entries) < 3*manifest.MaxLeafEntries+10; i++ {
		e := entry(i, 0)
		if !manifest.IsBoundary(e.Key(), 0) {
			entries = append(entries, e)
		}
	}
	s := newChunks()
	root := build(t, s, entries)
	c, err := manifest.DecodeChunk(s.m[root.ID])
	if err != nil {
		t.Fatal(err)
	}
	if c.Level != 1 || len(c.Children) != 4 || c.Children[0].Count != manifest.MaxLeafEntries {
		t.Fatalf("root of level %d with children %+v, want 4 leaves, the first of %d entries", c.Level, c.Children, manifest.MaxLeafEntries)
	}
	r := manifest.NewReader(root.ID, s.fetch)
	n := 0
	if err := r.Walk(func(manifest.Entry) bool { n++; return true }); err != nil || n != len(entries) {
		t.Fatalf("Walk: %d entries, %v; want %d", n, err, len(entries))
	}
}
