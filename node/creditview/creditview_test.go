package creditview_test

import (
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/creditview"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestCreditFromAStoreAlone: an in-memory store, as a verifier with no
// node fills one, answers credit; a dataset governance delisted takes
// nothing and passes nothing on; revoked is no threshold.
func TestCreditFromAStoreAlone(t *testing.T) {
	s, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pub, alice, bob := storetest.Key(t, "publisher"), storetest.Key(t, "alice"), storetest.Key(t, "bob")
	p1 := storetest.NewDataset(t, pub, "p1")
	p2 := storetest.NewDataset(t, pub, "p2")
	child := storetest.NewDatasetWith(t, pub, protocol.Dataset{Name: "child", Parents: []protocol.ID{p1.ID, p2.ID}, ParentWeights: []float64{0.5, 0.5}})
	a := storetest.NewClaim(t, pub, p1.ID, alice.DID(), "author", 1)
	b := storetest.NewClaim(t, pub, p2.ID, bob.DID(), "author", 1)
	storetest.MustPut(t, s, p1, p2, child, a, storetest.Cosign(t, a, alice), b, storetest.Cosign(t, b, bob))
	none := func(protocol.ID) *api.Standing { return nil }
	c, err := creditview.Credit(s, nil, none, child.ID, protocol.Mutual)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Shares) != 2 || c.Shares[0].Share != 0.5 || c.Shares[1].Share != 0.5 || c.Unattributed != 0 {
		t.Fatalf("%+v, want alice and bob half each", c)
	}
	delisted := func(id protocol.ID) *api.Standing {
		if id == p2.ID {
			return &api.Standing{Status: gov.StatusDelisted, Reason: "copied"}
		}
		return nil
	}
	c, err = creditview.Credit(s, nil, delisted, child.ID, protocol.Mutual)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Shares) != 1 || c.Shares[0].DID != alice.DID() || c.Shares[0].Share != 0.5 || c.Unattributed != 0.5 {
		t.Fatalf("%+v, want alice's half, the delisted parent's half unattributed", c)
	}
	if _, err := creditview.Credit(s, nil, none, child.ID, protocol.Revoked); !protocol.IsKind(err, protocol.Invalid) {
		t.Fatalf("min_trust revoked: %v, want invalid", err)
	}
}
