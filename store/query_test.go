package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

func byString(list []protocol.ID) []protocol.ID {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	return list
}

func TestQueries(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	shared := storetest.FileOf("a.txt", "shared bytes")
	copyOf := protocol.File{Name: "copy/a.txt", Digest: shared.Digest, Size: shared.Size}
	lone := storetest.FileOf("lone.txt", "only here")
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	// Made newest first, so that the order of Datasets is not the order of Put.
	ds2 := storetest.NewDatasetWith(t, c.bob, protocol.Dataset{Name: "second", Created: t0.Add(time.Hour)}, storetest.FileOf("b.txt", "shared bytes"))
	ds1 := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "first", Created: t0}, shared, copyOf, lone)
	child := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Created: t0.Add(2 * time.Hour), Parents: []protocol.ID{ds1.ID, ds2.ID}})
	deriv := storetest.NewDerivation(t, c.carol, storetest.FileOf("model.bin", "shared bytes"), "trained-on", child.ID)
	cl1 := storetest.NewClaim(t, c.alice, ds1.ID, c.bob.DID(), "annotator", 0.5)
	cl2 := storetest.NewClaim(t, c.bob, ds1.ID, c.bob.DID(), "author", 1)
	end := storetest.NewEndorsement(t, c.steward, ds1.ID, "FAIR")
	rev := storetest.NewRevocation(t, c.alice, cl1.ID, "oops")
	storetest.MustPut(t, s, ds2, ds1, child, deriv, cl1, cl2, end, rev, storetest.Cosign(t, cl2, c.publisher))

	t.Run("Locate", func(t *testing.T) {
		got, err := s.Locate(shared.Digest)
		if err != nil {
			t.Fatal(err)
		}
		want := map[protocol.ID]store.Location{
			ds1.ID: {Dataset: ds1.ID, Name: "first", Paths: []string{"a.txt", "copy/a.txt"}},
			ds2.ID: {Dataset: ds2.ID, Name: "second", Paths: []string{"b.txt"}},
		}
		if len(got) != 2 || !slices.Equal(ids2(got), byString([]protocol.ID{ds1.ID, ds2.ID})) {
			t.Fatalf("Locate = %+v, want ds1 and ds2 in ID order (not the derivation)", got)
		}
		for _, l := range got {
			w := want[l.Dataset]
			if l.Name != w.Name || !slices.Equal(l.Paths, w.Paths) {
				t.Errorf("location %+v, want %+v", l, w)
			}
		}
		if got, _ := s.Locate(lone.Digest); len(got) != 1 || got[0].Dataset != ds1.ID {
			t.Errorf("Locate(lone) = %+v", got)
		}
		if got, err := s.Locate(protocol.SumDigest([]byte("nowhere"))); err != nil || got == nil || len(got) != 0 {
			t.Errorf("Locate(unknown) = %#v, %v; want an empty slice", got, err)
		}
	})

	t.Run("Datasets", func(t *testing.T) {
		got, err := s.Datasets()
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []protocol.ID
		for _, o := range got {
			gotIDs = append(gotIDs, o.ID)
		}
		if want := ids(ds1, ds2, child); !slices.Equal(gotIDs, want) {
			t.Errorf("Datasets = %v, want oldest first %v", gotIDs, want)
		}
	})

	lists := []struct {
		name string
		call func() ([]protocol.ID, error)
		want []protocol.ID
	}{
		{"Parents(child)", func() ([]protocol.ID, error) { return s.Parents(child.ID) }, byString(ids(ds1, ds2))},
		{"Parents(derivation)", func() ([]protocol.ID, error) { return s.Parents(deriv.ID) }, ids(child)},
		{"Parents(ds1)", func() ([]protocol.ID, error) { return s.Parents(ds1.ID) }, nil},
		{"Children(ds1)", func() ([]protocol.ID, error) { return s.Children(ds1.ID) }, ids(child)},
		{"Children(child)", func() ([]protocol.ID, error) { return s.Children(child.ID) }, ids(deriv)},
		{"ClaimsAbout(ds1)", func() ([]protocol.ID, error) { return s.ClaimsAbout(ds1.ID) }, byString(ids(cl1, cl2, end))},
		{"ClaimsAbout(cl1)", func() ([]protocol.ID, error) { return s.ClaimsAbout(cl1.ID) }, ids(rev)},
		{"ClaimsAbout(unknown)", func() ([]protocol.ID, error) { return s.ClaimsAbout(protocol.ObjectID(nil)) }, nil},
		{"BySigner(alice)", func() ([]protocol.ID, error) { return s.BySigner(c.alice.DID()) }, byString(ids(cl1, rev))},
		{"BySigner(publisher)", func() ([]protocol.ID, error) { return s.BySigner(c.publisher.DID()) }, byString(ids(ds1, child, cl2))},
		{"ByContributor(bob)", func() ([]protocol.ID, error) { return s.ByContributor(c.bob.DID()) }, byString(ids(cl1, cl2))},
		{"ByContributor(alice)", func() ([]protocol.ID, error) { return s.ByContributor(c.alice.DID()) }, nil},
	}
	for _, l := range lists {
		got, err := l.call()
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		if got == nil || !slices.Equal(got, l.want) {
			t.Errorf("%s = %#v, want %v", l.name, got, l.want)
		}
	}

	t.Run("Stats", func(t *testing.T) {
		st, err := s.Stats()
		if err != nil {
			t.Fatal(err)
		}
		want := map[protocol.ObjectKind]int64{protocol.KindDataset: 3, protocol.KindDerivation: 1, protocol.KindAttribution: 2,
			protocol.KindEndorsement: 1, protocol.KindRevocation: 1}
		if st.Objects != 8 || len(st.ByKind) != len(want) {
			t.Errorf("stats %+v, want 8 objects", st)
		}
		for k, n := range want {
			if st.ByKind[k] != n {
				t.Errorf("%d %s objects, want %d", st.ByKind[k], k, n)
			}
		}
	})
}

func ids2(locs []store.Location) []protocol.ID {
	out := make([]protocol.ID, len(locs))
	for i, l := range locs {
		out[i] = l.Dataset
	}
	return out
}
