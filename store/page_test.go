package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// claimsOneRead is the claims list of the fetch protocol (SPEC.md §7.3)
// read whole, the simple way: the claims about subject and about each of
// those, sorted by text, each once. Paging is checked against it, and
// timed against it.
func claimsOneRead(tb testing.TB, st *store.Store, subject protocol.ID) []protocol.ID {
	direct, err := st.ClaimsAbout(subject)
	if err != nil {
		tb.Fatal(err)
	}
	all := slices.Clone(direct)
	for _, c := range direct {
		about, err := st.ClaimsAbout(c)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, about...)
	}
	return sortedIDs(all)
}

func sortedIDs(ids []protocol.ID) []protocol.ID {
	slices.SortFunc(ids, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(ids)
}

// pageOf is the page of all after after: the old way of paging, from a
// list read whole.
func pageOf(all []protocol.ID, after protocol.ID, limit int) ([]protocol.ID, bool) {
	start := 0
	if !after.IsZero() {
		start, _ = slices.BinarySearchFunc(all, after.String(), func(id protocol.ID, a string) int { return strings.Compare(id.String(), a) })
		if start < len(all) && all[start] == after {
			start++
		}
	}
	end := min(start+limit, len(all))
	return all[start:end], end < len(all)
}

// readPages pages through a list to its end.
func readPages(tb testing.TB, limit int, page func(after protocol.ID, limit int) ([]protocol.ID, bool, error)) []protocol.ID {
	var out []protocol.ID
	var after protocol.ID
	for {
		ids, more, err := page(after, limit)
		if err != nil {
			tb.Fatal(err)
		}
		if more && len(ids) != limit {
			tb.Fatalf("a page of %d IDs with more, limit %d", len(ids), limit)
		}
		out = append(out, ids...)
		if !more {
			return out
		}
		after = ids[len(ids)-1]
	}
}

// claimsStore stores a dataset with n claims about it, an endorsement or a
// revocation about every third of them, and claims about other subjects.
func claimsStore(tb testing.TB, n int) (*store.Store, protocol.ID) {
	st := storetest.Open(tb)
	pub, bob := storetest.Key(tb, "pub"), storetest.Key(tb, "bob")
	ds := storetest.NewDataset(tb, pub, "many claims", storetest.FileOf("a", "a"))
	other := storetest.NewDataset(tb, pub, "other", storetest.FileOf("b", "b"))
	objs := []*protocol.Object{ds, other}
	for i := range n {
		c := storetest.NewClaim(tb, bob, ds.ID, bob.DID(), "author", float64(i%9+1)/10)
		objs = append(objs, c)
		switch i % 6 {
		case 0:
			objs = append(objs, storetest.NewEndorsement(tb, pub, c.ID, fmt.Sprint("check-", i)))
		case 3:
			objs = append(objs, storetest.NewRevocation(tb, bob, c.ID, "mistake"))
		}
		if i%5 == 0 {
			objs = append(objs, storetest.NewClaim(tb, pub, other.ID, pub.DID(), "curator", 0.5))
		}
	}
	for len(objs) > 0 {
		k := min(len(objs), 1000)
		if _, err := st.PutBatch(objs[:k]); err != nil {
			tb.Fatal(err)
		}
		objs = objs[k:]
	}
	return st, ds.ID
}

// TestClaimsPageIsOneRead: paging the claims list, at any page size and
// from any starting point, gives exactly the list read whole.
func TestClaimsPageIsOneRead(t *testing.T) {
	st, subject := claimsStore(t, 300)
	want := claimsOneRead(t, st, subject)
	if len(want) < 300 {
		t.Fatalf("only %d claims stored", len(want))
	}
	for _, limit := range []int{1, 2, 7, 64, 1000} {
		got := readPages(t, limit, func(after protocol.ID, limit int) ([]protocol.ID, bool, error) {
			return st.ClaimsPage(subject, after, limit)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: paged %d IDs, want the %d of one read", limit, len(got), len(want))
		}
	}
	// From an ID that is not in the list, and from before and past it all.
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		after := protocol.ObjectID(fmt.Appendf(nil, "elsewhere %d", r.Int()))
		if i == 0 {
			after = want[len(want)-1]
		}
		got, more, err := st.ClaimsPage(subject, after, 5)
		w, wmore := pageOf(want, after, 5)
		if err != nil || more != wmore || !slices.Equal(got, w) {
			t.Fatalf("after %s: %v (more %v, err %v), want %v (more %v)", after, got, more, err, w, wmore)
		}
	}
	if got, more, err := st.ClaimsPage(protocol.ObjectID([]byte("no such subject")), protocol.ID{}, 10); err != nil || more || len(got) != 0 {
		t.Errorf("claims about an unknown subject: %v, %v, %v", got, more, err)
	}
}

// TestDatasetsPageIsOneRead: paging the datasets that name a file gives
// exactly the datasets Locate finds, in text order.
func TestDatasetsPageIsOneRead(t *testing.T) {
	st := storetest.Open(t)
	pub := storetest.Key(t, "pub")
	shared := storetest.FileOf("shared.csv", "shared")
	var objs []*protocol.Object
	for i := range 40 {
		objs = append(objs, storetest.NewDataset(t, pub, fmt.Sprint("d", i), shared, storetest.FileOf("own", fmt.Sprint(i))))
	}
	objs = append(objs, storetest.NewDerivation(t, pub, shared, "trained-on", objs[0].ID)) // not a dataset
	storetest.MustPut(t, st, objs...)
	locs, err := st.Locate(shared.Digest)
	if err != nil {
		t.Fatal(err)
	}
	var want []protocol.ID
	for _, l := range locs {
		want = append(want, l.Dataset)
	}
	want = sortedIDs(want)
	if len(want) != 40 {
		t.Fatalf("locate: %d datasets, want 40", len(want))
	}
	for _, limit := range []int{1, 3, 40, 1000} {
		got := readPages(t, limit, func(after protocol.ID, limit int) ([]protocol.ID, bool, error) {
			return st.DatasetsPage(shared.Digest, after, limit)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: paged %v, want %v", limit, got, want)
		}
	}
}

// BenchmarkClaimsPaging pages through the claims list of a subject with
// 10,000 claims (and the claims about them) 1000 IDs at a time, as the
// fetch server answers a client that reads it to its end: by seeking to
// each page's start, and, measured in the same run, the old way — reading
// the whole list for every page. It reports the ratio old/seek.
func BenchmarkClaimsPaging(b *testing.B) {
	st, subject := claimsStore(b, 10_000)
	const limit = 1000
	want := claimsOneRead(b, st, subject)
	var seek, old time.Duration
	for b.Loop() {
		t0 := time.Now()
		got := readPages(b, limit, func(after protocol.ID, limit int) ([]protocol.ID, bool, error) {
			return st.ClaimsPage(subject, after, limit)
		})
		seek += time.Since(t0)
		t0 = time.Now()
		readPages(b, limit, func(after protocol.ID, limit int) ([]protocol.ID, bool, error) {
			ids, more := pageOf(claimsOneRead(b, st, subject), after, limit)
			return ids, more, nil
		})
		old += time.Since(t0)
		if len(got) != len(want) {
			b.Fatalf("paged %d IDs, want %d", len(got), len(want))
		}
	}
	b.ReportMetric(float64(seek.Microseconds())/float64(b.N)/1000, "ms-seek/list")
	b.ReportMetric(float64(old.Microseconds())/float64(b.N)/1000, "ms-old/list")
	b.ReportMetric(float64(old)/float64(seek), "old/seek")
}
