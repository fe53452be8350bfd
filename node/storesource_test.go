package node

import (
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestStoreSourceClaimsOfClaims: the claims answer holds the claims about
// the subject and the claims about those (SPEC.md §7.3), in text order,
// paged.
func TestStoreSourceClaimsOfClaims(t *testing.T) {
	st := storetest.Open(t)
	pub, bob := storetest.Key(t, "pub"), storetest.Key(t, "bob")
	ds := storetest.NewDataset(t, pub, "d", storetest.FileOf("a", "a"))
	c1 := storetest.NewClaim(t, bob, ds.ID, bob.DID(), "author", 1)
	c2 := storetest.NewClaim(t, pub, ds.ID, pub.DID(), "curator", 1)
	rev := storetest.NewRevocation(t, bob, c1.ID, "mistake")
	end := storetest.NewEndorsement(t, pub, c2.ID, "iso-1")
	storetest.MustPut(t, st, ds, c1, c2, rev, end)
	src := storeSource{st}
	want := []protocol.ID{c1.ID, c2.ID, rev.ID, end.ID}
	slices.SortFunc(want, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	got, more, err := src.ClaimsAbout(ds.ID, protocol.ID{}, 10)
	if err != nil || more || !slices.Equal(got, want) {
		t.Fatalf("claims about the dataset: %v (more %v, err %v), want %v", got, more, err, want)
	}
	first, more, _ := src.ClaimsAbout(ds.ID, protocol.ID{}, 3)
	rest, more2, _ := src.ClaimsAbout(ds.ID, first[len(first)-1], 3)
	if !more || more2 || !slices.Equal(append(first, rest...), want) {
		t.Errorf("paged: %v then %v (more %v, %v)", first, rest, more, more2)
	}
}
