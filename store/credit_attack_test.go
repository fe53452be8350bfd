package store_test

import (
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestCreditOfArtifact: the derivations of an artifact with a publisher
// that are edges are its publisher's (a steward endorsed them, SPEC.md
// §4.5), so a stranger's derivation naming the digest takes nothing;
// without a publisher, every derivation not withdrawn is an edge at
// asserted, and none above.
func TestCreditOfArtifact(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	model := storetest.FileOf("model.safetensors", "weights")
	art := protocol.ArtifactID(model.Digest)
	corpus := storetest.NewDataset(t, c.carol, "corpus")
	fake := storetest.NewDataset(t, c.mallory, "mallory's corpus")
	deriv := storetest.NewDerivationWith(t, c.publisher, model, protocol.Derivation{Inputs: []protocol.ID{corpus.ID}, InputWeights: []float64{0.5}, Activity: "trained-on"})
	theft := storetest.NewDerivation(t, c.mallory, model, "trained-on", fake.ID)
	s := storetest.Open(t)
	storetest.MustPut(t, s, corpus, fake, deriv, theft, storetest.NewEndorsement(t, c.steward, deriv.ID, "provenance-checked"))
	storetest.MustPut(t, s, mutualClaim(t, c.carol, c.bob, corpus.ID, 1)...)
	storetest.MustPut(t, s, mutualClaim(t, c.mallory, c.mallory, fake.ID, 1)[:1]...)
	fclaim := storetest.NewClaim(t, c.mallory, fake.ID, c.alice.DID(), "author", 1)
	storetest.MustPut(t, s, fclaim, storetest.Cosign(t, fclaim, c.alice))

	got := creditOf(t, s, art, stewards, protocol.Acknowledged, nil)
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.bob.DID(): credit.One}) {
		t.Errorf("acknowledged: shares %v, want bob's all through the publisher's derivation", sh)
	}
	got = creditOf(t, s, art, stewards, protocol.Asserted, nil)
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.bob.DID(): credit.One}) {
		t.Errorf("asserted: shares %v, want bob's all through the publisher's derivation", sh)
	}
	got = creditOf(t, s, art, nil, protocol.Asserted, nil)
	if sh := sharesOf(got); !reflect.DeepEqual(sh, map[protocol.DID]credit.Amount{c.bob.DID(): credit.One / 2, c.alice.DID(): credit.One / 4, c.mallory.DID(): credit.One / 4}) {
		t.Errorf("asserted: shares %v, want every derivation an edge without a publisher", sh)
	}
	if got := creditOf(t, s, art, nil, protocol.Acknowledged, nil); len(got.Shares) != 0 || got.Unattributed != credit.One {
		t.Errorf("no stewards, acknowledged: %+v, want all unattributed", got)
	}
}
