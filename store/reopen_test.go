package store_test

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestReopenAnyOrder stores a set of objects in many orders on disk,
// closing and reopening the store part way, and wants the attribution of
// a reference store every time. The objects stored before the reopen are
// known to the writer only through the filter that Open builds from the
// index (or, while it builds, through reads); what was said about a claim
// before the reopen must still count when the claim arrives after it.
func TestReopenAnyOrder(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	parent := storetest.NewDataset(t, c.carol, "parent")
	ds := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Parents: []protocol.ID{parent.ID}})
	c1 := storetest.NewClaim(t, c.alice, ds.ID, c.alice.DID(), "author", 1)
	c2 := storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "annotator", 0.5)
	c3 := storetest.NewClaim(t, c.carol, parent.ID, c.carol.DID(), "curator", 0.7)
	e1 := storetest.NewEndorsement(t, c.steward, c1.ID, "checked")
	e2 := storetest.NewEndorsement(t, c.steward, c2.ID, "checked")
	objs := []*protocol.Object{
		parent, ds, c1, c2, c3, e1, e2,
		storetest.Cosign(t, c2, c.publisher),
		storetest.Cosign(t, c1, c.publisher),
		storetest.NewRevocation(t, c.steward, e2.ID, "too early"),
		storetest.NewRevocation(t, c.carol, c3.ID, "duplicate"),
		storetest.NewEndorsement(t, c.carol, ds.ID, "FAIR"),
	}
	ref := storetest.Open(t)
	storetest.MustPut(t, ref, objs...)
	want := asJSON(t, attribution(t, ref, ds.ID, stewards))
	wantStats, err := ref.Stats()
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 12 {
		order := append([]*protocol.Object(nil), objs...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		split := 1 + rng.IntN(len(order)-1)
		dir := t.TempDir()
		s, err := store.Open(store.Options{Dir: dir, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustPut(t, s, order[:split]...)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = storetest.OpenDir(t, dir)
		if i%2 == 0 && !s.KnownReady() { // odd rounds write while the filter may still be building
			t.Fatal("the filter of known IDs was not built")
		}
		if _, err := s.PutBatch(order[split:]); err != nil {
			t.Fatal(err)
		}
		if got := asJSON(t, attribution(t, s, ds.ID, stewards)); got != want {
			t.Fatalf("order %d, reopened after %d objects, gives\n%s\nwant\n%s", i, split, got, want)
		}
		if st, err := s.Stats(); err != nil || !maps.Equal(st.ByKind, wantStats.ByKind) {
			t.Fatalf("order %d: counted %v (%v), want %v", i, st.ByKind, err, wantStats.ByKind)
		}
	}
}

// TestCloseWhileBuilding closes a store whose filter of known IDs is still
// being built.
func TestCloseWhileBuilding(t *testing.T) {
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	m := newCast(t)
	ds := storetest.NewDataset(t, m.publisher, "many claims")
	objs := []*protocol.Object{ds}
	for i := range 300 {
		objs = append(objs, storetest.NewClaim(t, m.alice, ds.ID, storetest.Key(t, string(rune('a'+i%26))+string(rune(i))).DID(), "annotator", 0.5))
	}
	if _, err := s.PutBatch(objs); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for range 5 {
		s, err := store.Open(store.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
