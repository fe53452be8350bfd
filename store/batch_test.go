package store_test

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestBatchStoresWhatPutStores stores objects in two batches and one by
// one, in many orders, and wants the same results and the same keys and
// values, byte for byte. A batch keeps what it has written (envelopes,
// summaries, the IDs it has heard of) to spare reads; this checks that
// none of it changes what is stored, whether what was said about an
// object came in the same batch or an earlier one. The objects include
// several copies of one claim with different signers, endorsements and
// revocations of claims, and a revocation of an endorsement.
func TestBatchStoresWhatPutStores(t *testing.T) {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	other := storetest.NewClaim(t, c.carol, ds.ID, c.carol.DID(), "author", 1)
	endorse := storetest.NewEndorsement(t, c.steward, claim.ID, "checked")
	objs := []*protocol.Object{
		ds, claim, other, endorse,
		storetest.Cosign(t, claim, c.publisher),
		storetest.Cosign(t, claim, c.bob),
		storetest.Cosign(t, claim, c.publisher, c.bob),
		storetest.Cosign(t, other, c.publisher),
		storetest.Cosign(t, endorse, c.carol),
		storetest.NewEndorsement(t, c.carol, claim.ID, "checked"),
		storetest.NewEndorsement(t, c.carol, other.ID, "checked"),
		storetest.NewEndorsement(t, c.bob, other.ID, "checked"),
		storetest.NewRevocation(t, c.steward, endorse.ID, "retracted"),
		storetest.NewRevocation(t, c.carol, other.ID, "superseded"),
		storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "derived", Parents: []protocol.ID{ds.ID}}),
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 60 {
		order := append([]*protocol.Object(nil), objs...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		split := rng.IntN(len(order))
		one := storetest.Open(t)
		want := storetest.MustPut(t, one, order...)
		batch := storetest.Open(t)
		first, err := batch.PutBatch(order[:split])
		if err != nil {
			t.Fatal(err)
		}
		second, err := batch.PutBatch(order[split:])
		if err != nil {
			t.Fatal(err)
		}
		for j, got := range append(first, second...) {
			if got != want[j] {
				t.Fatalf("order %d split at %d, object %d (%s): batch gives %+v, Put %+v", i, split, j, order[j].Kind, got, want[j])
			}
		}
		if !maps.Equal(batch.Dump(), one.Dump()) {
			t.Fatalf("order %d split at %d: the batches stored\n%v\nPut one by one stored\n%v", i, split, keysOf(batch), keysOf(one))
		}
	}
}

func keysOf(s *store.Store) []string { return s.KeysUnder("") }
