package manifest_test

import (
	"math/rand/v2"
	"slices"
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

// TestDiffEqualsSetDifference: for random edits of random trees, Diff
// gives exactly the entries added, removed and changed, in key order.
func TestDiffEqualsSetDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 30 {
		s := newChunks()
		old := randomEntries(r, 1+r.IntN(2000))
		next := edit(r, old, r.Float64()*0.2)
		a, b := build(t, s, old), build(t, s, next)
		want := setDiff(old, next)
		var got []manifest.Change
		if err := manifest.Diff(a.ID, b.ID, s.fetch, func(c manifest.Change) bool { got = append(got, c); return true }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d changes, want %d", round, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("round %d: change %d is %+v, want %+v", round, i, got[i], want[i])
			}
		}
		// and the other way round
		n := 0
		if err := manifest.Diff(b.ID, a.ID, s.fetch, func(c manifest.Change) bool { n++; return true }); err != nil || n != len(want) {
			t.Fatalf("round %d: reverse diff gave %d changes (%v), want %d", round, n, err, len(want))
		}
	}
}

// edit changes about a fraction frac of entries: removes some, changes
// the content of some, adds new ones.
func edit(r *rand.Rand, entries []manifest.Entry, frac float64) []manifest.Entry {
	var out []manifest.Entry
	for _, e := range entries {
		switch x := r.Float64(); {
		case x < frac/3:
			continue
		case x < 2*frac/3:
			e.Size++
			e.Digest[0] ^= 1
		}
		out = append(out, e)
	}
	have := map[string]bool{}
	for _, e := range out {
		have[e.Key()] = true
	}
	for _, e := range randomEntries(r, int(frac/3*float64(len(entries)))+1) {
		if !have[e.Key()] {
			out = append(out, e)
			have[e.Key()] = true
		}
	}
	return dropDirConflicts(sorted(out))
}

// setDiff is the reference: the changes from old to new by key.
func setDiff(old, next []manifest.Entry) []manifest.Change {
	o, n := map[string]manifest.Entry{}, map[string]manifest.Entry{}
	var keys []string
	for _, e := range old {
		o[e.Key()] = e
		keys = append(keys, e.Key())
	}
	for _, e := range next {
		if _, ok := o[e.Key()]; !ok {
			keys = append(keys, e.Key())
		}
		n[e.Key()] = e
	}
	slices.Sort(keys)
	var out []manifest.Change
	for _, k := range keys {
		a, inOld := o[k]
		b, inNew := n[k]
		switch {
		case inOld && !inNew:
			out = append(out, manifest.Change{Kind: manifest.Removed, Old: a})
		case !inOld && inNew:
			out = append(out, manifest.Change{Kind: manifest.Added, New: b})
		case a != b:
			out = append(out, manifest.Change{Kind: manifest.Changed, Old: a, New: b})
		}
	}
	return out
}
