package swarm

import (
	"slices"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// The keys a node announces for what it holds include the derived-from
// key of every parent of a dataset and every input of a derivation, both
// when the object is new (keysOf) and at every round (announceKeys, from
// the store), and of nothing else.
func TestDerivedFromKeysAnnounced(t *testing.T) {
	k := storetest.Key(t, "publisher")
	corpus := storetest.NewDataset(t, k, "corpus")
	other := storetest.NewDataset(t, k, "other")
	cleaned := storetest.NewDatasetWith(t, k, protocol.Dataset{Name: "cleaned", Parents: []protocol.ID{corpus.ID, other.ID}})
	model := storetest.NewDerivation(t, k, storetest.FileOf("model.bin", "w"), "trained-on", cleaned.ID)
	claim := storetest.NewClaim(t, k, corpus.ID, k.DID(), "author", 1)

	for _, tc := range []struct {
		o    *protocol.Object
		want []protocol.ID
	}{
		{corpus, nil},
		{claim, nil},
		{cleaned, []protocol.ID{corpus.ID, other.ID}},
		{model, []protocol.ID{cleaned.ID}},
	} {
		keys := keysOf(tc.o)
		for _, id := range tc.want {
			if !slices.Contains(keys, protocol.DerivedFromKey(id)) {
				t.Errorf("keys of %s %s lack the derived-from key of %s", tc.o.Kind, tc.o.ID, id)
			}
		}
		for _, id := range []protocol.ID{corpus.ID, other.ID, cleaned.ID, model.ID} {
			if !slices.Contains(tc.want, id) && slices.Contains(keys, protocol.DerivedFromKey(id)) {
				t.Errorf("keys of %s %s hold the derived-from key of %s, which it does not name", tc.o.Kind, tc.o.ID, id)
			}
		}
	}

	st := storetest.Open(t)
	storetest.MustPut(t, st, corpus, other, cleaned, model, claim)
	s := &Swarm{cfg: Config{Store: st}}
	var all []cid.Cid
	if err := s.announceKeys(func(c cid.Cid) bool { all = append(all, c); return true }); err != nil {
		t.Fatal(err)
	}
	for _, id := range []protocol.ID{corpus.ID, other.ID, cleaned.ID} {
		if !slices.Contains(all, protocol.DerivedFromKey(id)) {
			t.Errorf("the round's keys lack the derived-from key of %s", id)
		}
	}
	if slices.Contains(all, protocol.DerivedFromKey(model.ID)) {
		t.Errorf("the round's keys hold the derived-from key of the model, which nothing names")
	}
}
