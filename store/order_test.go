package store_test

import (
	"math/rand/v2"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// Objects arrive in any order on a network: what was said about a claim
// before it arrived counts once it does.
func TestOutOfOrder(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	endorse := storetest.NewEndorsement(t, c.steward, claim.ID, "checked")

	cases := []struct {
		name   string
		before []*protocol.Object // stored before the claim
		after  []*protocol.Object // stored after it
		want   protocol.Trust
	}{
		{"revocation before the claim", []*protocol.Object{storetest.NewRevocation(t, c.alice, claim.ID, "oops")}, nil, protocol.Revoked},
		{"someone else's revocation before the claim", []*protocol.Object{storetest.NewRevocation(t, c.mallory, claim.ID, "vandal")}, nil, protocol.Asserted},
		{"steward endorsement before the claim", []*protocol.Object{endorse}, nil, protocol.Certified},
		{"withdrawn endorsement before the claim", []*protocol.Object{storetest.NewRevocation(t, c.steward, endorse.ID, "retracted"), endorse}, nil, protocol.Asserted},
		{"endorsement withdrawn after the claim", []*protocol.Object{endorse}, []*protocol.Object{storetest.NewRevocation(t, c.steward, endorse.ID, "retracted")}, protocol.Asserted},
		{"cosignatures before and after", []*protocol.Object{storetest.Cosign(t, claim, c.publisher)}, []*protocol.Object{storetest.Cosign(t, claim, c.bob)}, protocol.Mutual},
		{"dataset after its claims", nil, nil, protocol.Asserted},
	}
	for _, tc := range cases {
		s := storetest.Open(t)
		storetest.MustPut(t, s, tc.before...)
		storetest.MustPut(t, s, claim)
		storetest.MustPut(t, s, tc.after...)
		storetest.MustPut(t, s, ds)
		if got := contributorOf(t, attribution(t, s, ds.ID, stewards), claim.ID).Trust; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestAnyOrderSameAnswer stores one set of objects in many orders, one by
// one and in batches, and wants the same attribution every time.
func TestAnyOrderSameAnswer(t *testing.T) {
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
	a := attribution(t, ref, ds.ID, stewards)
	if got := contributorOf(t, a, c1.ID).Trust; got != protocol.Certified {
		t.Errorf("c1: %s, want certified", got)
	}
	if got := contributorOf(t, a, c2.ID).Trust; got != protocol.Mutual {
		t.Errorf("c2 (its endorsement withdrawn, signed by its contributor and the publisher): %s, want mutual", got)
	}
	if len(a.Lineage) != 1 || len(a.Lineage[0].Contributors) != 1 || a.Lineage[0].Contributors[0].Trust != protocol.Revoked {
		t.Errorf("lineage %+v, want the parent with its revoked claim", a.Lineage)
	}
	want := asJSON(t, a)

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		order := append([]*protocol.Object(nil), objs...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		s := storetest.Open(t)
		if i%2 == 0 {
			storetest.MustPut(t, s, order...)
		} else if _, err := s.PutBatch(order); err != nil {
			t.Fatal(err)
		}
		if got := asJSON(t, attribution(t, s, ds.ID, stewards)); got != want {
			t.Fatalf("order %d gives\n%s\nwant\n%s", i, got, want)
		}
	}
}
