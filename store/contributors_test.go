package store_test

import (
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestContributorsAsAncestors: Contributors gives each subject's claims
// with the trust that Attribution gives them as ancestors, in one read.
func TestContributorsAsAncestors(t *testing.T) {
	s := storetest.Open(t)
	pub, alice, bob := storetest.Key(t, "publisher"), storetest.Key(t, "alice"), storetest.Key(t, "bob")
	a := storetest.NewDataset(t, pub, "a")
	b := storetest.NewDataset(t, pub, "b")
	child := storetest.NewDatasetWith(t, pub, protocol.Dataset{Name: "child", Parents: []protocol.ID{a.ID, b.ID}})
	storetest.MustPut(t, s, a, b, child,
		storetest.Cosign(t, storetest.NewClaim(t, alice, a.ID, alice.DID(), "author", 1), pub),
		storetest.NewClaim(t, bob, a.ID, bob.DID(), "curator", 0.5),
		storetest.NewClaim(t, bob, b.ID, bob.DID(), "author", 1))
	att, err := s.Attribution(child.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	absent := protocol.ObjectID([]byte(`{"absent":1}`))
	got, err := s.Contributors(nil, a.ID, b.ID, absent)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0]) != 2 || len(got[1]) != 1 || len(got[2]) != 0 {
		t.Fatalf("Contributors = %+v", got)
	}
	for _, anc := range att.Lineage {
		i := map[protocol.ID]int{a.ID: 0, b.ID: 1}[anc.ID]
		if !reflect.DeepEqual(anc.Contributors, got[i]) {
			t.Errorf("%s: Contributors %+v, Attribution %+v", anc.Name, got[i], anc.Contributors)
		}
	}
}
