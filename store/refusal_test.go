package store_test

import (
	"maps"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestRevocationRules: a revocation of a stored object is refused unless
// the object can be revoked and the revocation's issuer is its issuer, and
// a refusal changes nothing in any index.
func TestRevocationRules(t *testing.T) {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	endorse := storetest.NewEndorsement(t, c.steward, ds.ID, "FAIR")
	deriv := storetest.NewDerivation(t, c.publisher, storetest.FileOf("model.bin", "weights"), "trained-on", ds.ID)
	revoked := storetest.NewRevocation(t, c.alice, claim.ID, "wrong weight")
	stored := []*protocol.Object{ds, claim, endorse, deriv, revoked}

	cases := []struct {
		name string
		o    *protocol.Object
		want protocol.Kind // Other: stored
	}{
		{"claim revoked by someone else", storetest.NewRevocation(t, c.mallory, claim.ID, "vandal"), protocol.Forbidden},
		{"claim revoked by the contributor", storetest.NewRevocation(t, c.bob, claim.ID, "not me"), protocol.Forbidden},
		{"claim revoked by the dataset publisher", storetest.NewRevocation(t, c.publisher, claim.ID, "no"), protocol.Forbidden},
		{"dataset revoked by its publisher", storetest.NewRevocation(t, c.publisher, ds.ID, "gone"), protocol.Invalid},
		{"revocation revoked by its issuer", storetest.NewRevocation(t, c.alice, revoked.ID, "undo"), protocol.Invalid},
		{"endorsement revoked by someone else", storetest.NewRevocation(t, c.alice, endorse.ID, "no"), protocol.Forbidden},
		{"claim revoked by its issuer", storetest.NewRevocation(t, c.alice, claim.ID, "again"), protocol.Other},
		{"endorsement revoked by its issuer", storetest.NewRevocation(t, c.steward, endorse.ID, "retracted"), protocol.Other},
		{"derivation revoked by its publisher", storetest.NewRevocation(t, c.publisher, deriv.ID, "wrong inputs"), protocol.Other},
		{"derivation revoked by someone else", storetest.NewRevocation(t, c.alice, deriv.ID, "no"), protocol.Forbidden},
		{"unknown object revoked by anyone", storetest.NewRevocation(t, c.mallory, protocol.ObjectID([]byte("elsewhere")), "?"), protocol.Other},
	}
	for _, tc := range cases {
		for _, batch := range []bool{false, true} {
			s := storetest.Open(t)
			storetest.MustPut(t, s, stored...)
			before := s.Dump()
			var err error
			if batch {
				res, berr := s.PutBatch([]*protocol.Object{tc.o, storetest.NewDataset(t, c.carol, "after")})
				if berr != nil {
					t.Fatal(berr)
				}
				if res[1].Err != nil || !res[1].New {
					t.Errorf("%s (batch): the object after it was not stored: %+v", tc.name, res[1])
				}
				err = res[0].Err
			} else {
				_, err = s.Put(tc.o)
			}
			if tc.want == protocol.Other {
				if err != nil {
					t.Errorf("%s (batch %v): %v, want it stored", tc.name, batch, err)
				}
				continue
			}
			if got := protocol.KindOf(err); got != tc.want {
				t.Errorf("%s (batch %v): error %v of kind %s, want %s", tc.name, batch, err, got, tc.want)
			}
			if !batch && !maps.Equal(before, s.Dump()) {
				t.Errorf("%s: a refused revocation changed the store", tc.name)
			}
			if ok, _ := s.Has(tc.o.ID); ok {
				t.Errorf("%s (batch %v): the refused revocation is stored", tc.name, batch)
			}
		}
	}
}

// TestForbiddenRevocationChangesNoIndex checks the indexes one by one
// through the public queries, on top of the byte-for-byte check above.
func TestForbiddenRevocationChangesNoIndex(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, claim)
	bad := storetest.NewRevocation(t, c.mallory, claim.ID, "vandal")
	if _, err := s.Put(bad); !protocol.IsKind(err, protocol.Forbidden) {
		t.Fatalf("err = %v, want Forbidden", err)
	}
	if got, _ := s.ClaimsAbout(claim.ID); len(got) != 0 {
		t.Errorf("ClaimsAbout(claim) = %v, want none", got)
	}
	if got, _ := s.BySigner(c.mallory.DID()); len(got) != 0 {
		t.Errorf("BySigner(mallory) = %v, want none", got)
	}
	if got := attribution(t, s, ds.ID, nil).Contributors[0].Trust; got != protocol.Asserted {
		t.Errorf("trust %s after a refused revocation, want asserted", got)
	}
	if st, _ := s.Stats(); st.ByKind[protocol.KindRevocation] != 0 {
		t.Errorf("stats count %d revocations", st.ByKind[protocol.KindRevocation])
	}
}
