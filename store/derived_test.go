package store_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// derivedFamily is a corpus, a cleaned copy of it, a model trained on the
// cleaned copy and a model fine-tuned from that one, and a dataset that
// has nothing to do with them.
type derivedFamily struct {
	corpus, cleaned, model, tuned, unrelated *protocol.Object
	modelFile                                protocol.File
}

func newDerivedFamily(t *testing.T, c cast) derivedFamily {
	var f derivedFamily
	f.corpus = storetest.NewDataset(t, c.publisher, "corpus")
	f.cleaned = storetest.NewDatasetWith(t, c.alice, protocol.Dataset{Name: "corpus, cleaned", Parents: []protocol.ID{f.corpus.ID}})
	f.modelFile = storetest.FileOf("model.bin", "weights")
	f.model = storetest.NewDerivation(t, c.bob, f.modelFile, "trained-on", f.cleaned.ID)
	f.tuned = storetest.NewDerivation(t, c.carol, storetest.FileOf("tuned.bin", "tuned weights"), "fine-tuned-on", f.model.ID, f.corpus.ID)
	f.unrelated = storetest.NewDataset(t, c.mallory, "unrelated")
	return f
}

func TestDescendants(t *testing.T) {
	c := newCast(t)
	f := newDerivedFamily(t, c)
	s := storetest.Open(t)
	// In any order: the index is read when asked.
	storetest.MustPut(t, s, f.tuned, f.model, f.unrelated, f.cleaned, f.corpus)

	direct, err := s.Derived(f.corpus.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := sortedIDs([]protocol.ID{f.cleaned.ID, f.tuned.ID})
	if !slices.Equal(direct, want) {
		t.Errorf("Derived(corpus) = %v, want %v", direct, want)
	}

	got, err := s.Descendants(f.corpus.ID, store.MaxDerivedDepth)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id    protocol.ID
		depth int
		via   protocol.ID
	}
	var rows []row
	for _, d := range got {
		rows = append(rows, row{d.ID, d.Depth, d.Via})
	}
	wantRows := []row{{f.cleaned.ID, 1, f.corpus.ID}, {f.tuned.ID, 1, f.corpus.ID}, {f.model.ID, 2, f.cleaned.ID}}
	if wantRows[0].id.String() > wantRows[1].id.String() {
		wantRows[0], wantRows[1] = wantRows[1], wantRows[0]
	}
	if !slices.Equal(rows, wantRows) {
		t.Fatalf("Descendants(corpus) = %+v, want %+v", rows, wantRows)
	}
	for _, d := range got {
		switch d.ID {
		case f.cleaned.ID:
			if d.Kind != protocol.KindDataset || d.Name != "corpus, cleaned" || d.Publisher != c.alice.DID() || d.Activity != "" {
				t.Errorf("the cleaned dataset described as %+v", d)
			}
		case f.model.ID:
			if d.Kind != protocol.KindDerivation || d.Name != "model.bin" || d.Activity != "trained-on" ||
				d.Artifact != protocol.ArtifactID(f.modelFile.Digest) || d.Publisher != c.bob.DID() || d.Created.IsZero() {
				t.Errorf("the model described as %+v", d)
			}
		}
	}

	// The model's artifact: what was made from it is what was made from
	// the derivations that made it.
	fromArtifact, err := s.Descendants(protocol.ArtifactID(f.modelFile.Digest), store.MaxDerivedDepth)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromArtifact) != 1 || fromArtifact[0].ID != f.tuned.ID || fromArtifact[0].Depth != 1 || fromArtifact[0].Via != f.model.ID {
		t.Errorf("Descendants(the model's artifact) = %+v, want the fine-tuned model through the model", fromArtifact)
	}
	none, err := s.Descendants(f.unrelated.ID, store.MaxDerivedDepth)
	if err != nil || len(none) != 0 {
		t.Errorf("Descendants(unrelated) = %+v, %v; want none", none, err)
	}
}

// A derivation its publisher withdrew is not what was made from its
// inputs any more, nor what the fetch protocol lists; one withdrawn by
// someone else stays.
func TestDerivedLeavesOutWithdrawn(t *testing.T) {
	c := newCast(t)
	f := newDerivedFamily(t, c)
	s := storetest.Open(t)
	storetest.MustPut(t, s, f.corpus, f.cleaned, f.model, f.tuned)
	// Mallory's revocation names a derivation she did not publish: stored
	// before it, it has no effect (SPEC.md §3.6).
	other := storetest.NewDerivation(t, c.carol, storetest.FileOf("other.bin", "x"), "trained-on", f.cleaned.ID)
	storetest.MustPut(t, s, storetest.NewRevocation(t, c.mallory, other.ID, "not mine to revoke"), other)
	storetest.MustPut(t, s, storetest.NewRevocation(t, c.bob, f.model.ID, "trained on the wrong copy"))

	direct, err := s.Derived(f.cleaned.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(direct, []protocol.ID{other.ID}) {
		t.Errorf("Derived(cleaned) = %v, want only %s", direct, other.ID)
	}
	page, more, err := s.DerivedPage(f.cleaned.ID, protocol.ID{}, 10)
	if err != nil || more || !slices.Equal(page, direct) {
		t.Errorf("DerivedPage(cleaned) = %v, %v, %v; want %v", page, more, err, direct)
	}
	all, err := s.Descendants(f.corpus.ID, store.MaxDerivedDepth)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.ID == f.model.ID {
			t.Errorf("the withdrawn model is among the descendants: %+v", d)
		}
	}
}

func TestDerivedPage(t *testing.T) {
	c := newCast(t)
	corpus := storetest.NewDataset(t, c.publisher, "corpus")
	s := storetest.Open(t)
	storetest.MustPut(t, s, corpus)
	var want []protocol.ID
	for i := range 7 {
		d := storetest.NewDerivation(t, c.alice, storetest.FileOf("m.bin", string(rune('a'+i))), "trained-on", corpus.ID)
		storetest.MustPut(t, s, d)
		want = append(want, d.ID)
	}
	want = sortedIDs(want)
	var got []protocol.ID
	var after protocol.ID
	for pages := 0; ; pages++ {
		ids, more, err := s.DerivedPage(corpus.ID, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 3 || (more && len(ids) == 0) || pages > 3 {
			t.Fatalf("page %d: %v, more %v", pages, ids, more)
		}
		got = append(got, ids...)
		if !more {
			break
		}
		after = ids[len(ids)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	if _, _, err := s.DerivedPage(corpus.ID, protocol.ID{}, 0); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("limit 0: %v, want an error of kind invalid", err)
	}
	var subjects []protocol.ID
	if err := s.EachDerivedFrom(func(id protocol.ID) bool { subjects = append(subjects, id); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(subjects, []protocol.ID{corpus.ID}) {
		t.Errorf("EachDerivedFrom = %v, want the corpus alone", subjects)
	}
}

// The descendants are bounded in depth: a chain longer than
// MaxDerivedDepth is cut there.
func TestDescendantsBounded(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	prev := storetest.NewDataset(t, c.publisher, "root")
	root := prev.ID
	storetest.MustPut(t, s, prev)
	for i := 0; i < store.MaxDerivedDepth+3; i++ {
		next := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "generation", Parents: []protocol.ID{prev.ID}})
		storetest.MustPut(t, s, next)
		prev = next
	}
	got, err := s.Descendants(root, store.MaxDerivedDepth)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxDerivedDepth || got[len(got)-1].Depth != store.MaxDerivedDepth {
		t.Errorf("%d descendants, want the depth limit %d", len(got), store.MaxDerivedDepth)
	}
	if one, err := s.Descendants(root, 1); err != nil || len(one) != 1 || one[0].Depth != 1 {
		t.Errorf("to depth 1: %+v, %v; want the one child", one, err)
	}
}

// At most MaxDerived descendants are listed, the first in the order of
// the answer.
func TestDescendantsBoundedInNumber(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	root := storetest.NewDataset(t, c.publisher, "root")
	storetest.MustPut(t, s, root)
	var all []protocol.ID
	for i := range store.MaxDerived + 5 {
		d := storetest.NewDerivation(t, c.alice, storetest.FileOf("m.bin", fmt.Sprint(i)), "trained-on", root.ID)
		storetest.MustPut(t, s, d)
		all = append(all, d.ID)
	}
	got, err := s.Descendants(root.ID, store.MaxDerivedDepth)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxDerived {
		t.Fatalf("%d descendants, want the limit %d", len(got), store.MaxDerived)
	}
	want := sortedIDs(all)[:store.MaxDerived]
	for i, d := range got {
		if d.ID != want[i] {
			t.Fatalf("descendant %d is %s, want %s", i, d.ID, want[i])
		}
	}
}
