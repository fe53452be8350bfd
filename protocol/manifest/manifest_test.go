package manifest_test

import (
	"math/rand/v2"
	"testing"

	"github.com/commons-p2p/commons/protocol/manifest"
)

// TestLookupFindsEveryEntry: in random trees, Lookup finds every entry,
// by its path and by the other Unicode spelling of it, and nothing else.
func TestLookupFindsEveryEntry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 15, 300, 5000} {
		s := newChunks()
		entries := randomEntries(r, n)
		root := build(t, s, entries)
		if root.Count != int64(len(entries)) {
			t.Fatalf("n=%d: root count %d, want %d", n, root.Count, len(entries))
		}
		rd := manifest.NewReader(root.ID, s.fetch)
		got, err := rd.Root()
		if err != nil || got != root {
			t.Fatalf("n=%d: Root() = %+v, %v; want %+v", n, got, err, root)
		}
		for _, e := range entries {
			g, ok, err := rd.Lookup(e.Path)
			if err != nil || !ok || g != e {
				t.Fatalf("n=%d: Lookup(%q) = %+v, %v, %v; want %+v", n, e.Path, g, ok, err, e)
			}
		}
		for _, p := range []string{"zzz", "a", "0", "data1/x/y/z"} {
			if g, ok, err := rd.Lookup(p); err != nil || ok && g.Key() != manifest.Key(p) {
				t.Fatalf("Lookup(%q) = %+v, %v, %v", p, g, ok, err)
			}
		}
	}
}

// TestPageWalksAllInOrder: paging with every limit from 1 gives every entry
// once, in key order, and Walk agrees.
func TestPageWalksAllInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := newChunks()
	entries := sorted(randomEntries(r, 3000))
	root := build(t, s, entries)
	rd := manifest.NewReader(root.ID, s.fetch)
	for _, limit := range []int{1, 7, 100, 5000} {
		var got []manifest.Entry
		after := ""
		for {
			page, more, err := rd.Page(after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit || more && len(page) != limit {
				t.Fatalf("limit %d: page of %d, more %v", limit, len(page), more)
			}
			got = append(got, page...)
			if !more {
				break
			}
			after = page[len(page)-1].Path
		}
		if len(got) != len(entries) {
			t.Fatalf("limit %d: paged %d entries, want %d", limit, len(got), len(entries))
		}
		for i := range got {
			if got[i] != entries[i] {
				t.Fatalf("limit %d: entry %d is %+v, want %+v", limit, i, got[i], entries[i])
			}
		}
	}
	var walked []manifest.Entry
	if err := rd.Walk(func(e manifest.Entry) bool { walked = append(walked, e); return true }); err != nil {
		t.Fatal(err)
	}
	if len(walked) != len(entries) {
		t.Fatalf("walked %d entries, want %d", len(walked), len(entries))
	}
}
