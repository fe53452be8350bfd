package store_test

import (
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestArtifactPublisherAttack: mallory publishes her own derivation of a
// model that the publisher made, to take the model's publisher (when hers
// is the only derivation stored) or to clear it (when both are). Neither
// works: a derivation gives its issuer the publisher of an artifact only
// once a steward endorsed it (SPEC §4.5).
func TestArtifactPublisherAttack(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	ds := storetest.NewDataset(t, c.carol, "corpus")
	model := storetest.FileOf("model.safetensors", "weights")
	art := protocol.ArtifactID(model.Digest)
	real := storetest.NewDerivation(t, c.publisher, model, "trained-on", ds.ID)
	vouched := storetest.NewEndorsement(t, c.steward, real.ID, "provenance-checked")
	forged := storetest.NewDerivation(t, c.mallory, storetest.FileOf("mine.bin", "weights"), "trained-on", ds.ID)

	// bob's claim on the model, co-signed by the real publisher; and one
	// co-signed by mallory, who would be its publisher.
	byPublisher := storetest.NewClaim(t, c.bob, art, c.bob.DID(), "trainer", 1)
	byMallory := storetest.NewClaim(t, c.bob, art, c.bob.DID(), "evaluator", 0.5)
	claims := []*protocol.Object{storetest.Cosign(t, byPublisher, c.publisher), storetest.Cosign(t, byMallory, c.mallory)}

	check := func(t *testing.T, a *attributionView, publisher protocol.DID, publisherClaim, malloryClaim protocol.Trust) {
		t.Helper()
		if a.publisher != publisher {
			t.Errorf("publisher %q, want %q", a.publisher, publisher)
		}
		if got := a.trust[byPublisher.ID]; got != publisherClaim {
			t.Errorf("the claim co-signed by the publisher: %s, want %s", got, publisherClaim)
		}
		if got := a.trust[byMallory.ID]; got != malloryClaim {
			t.Errorf("the claim co-signed by mallory: %s, want %s", got, malloryClaim)
		}
	}

	t.Run("a second derivation does not clear the publisher", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, real, vouched, forged)
		storetest.MustPut(t, s, claims...)
		check(t, viewOf(t, s, art, stewards), c.publisher.DID(), protocol.Mutual, protocol.Asserted)
	})
	t.Run("a derivation alone does not take the publisher", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, forged)
		storetest.MustPut(t, s, claims...)
		check(t, viewOf(t, s, art, stewards), protocol.DID{}, protocol.Asserted, protocol.Asserted)

		// The real derivation arrives, then a steward's endorsement of it.
		storetest.MustPut(t, s, real)
		check(t, viewOf(t, s, art, stewards), protocol.DID{}, protocol.Asserted, protocol.Asserted)
		storetest.MustPut(t, s, vouched)
		check(t, viewOf(t, s, art, stewards), c.publisher.DID(), protocol.Mutual, protocol.Asserted)
	})
	t.Run("mallory's derivation, endorsed by a non-steward, takes nothing", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, forged, storetest.NewEndorsement(t, c.mallory, forged.ID, "mine"), storetest.NewEndorsement(t, c.alice, forged.ID, "hers"))
		storetest.MustPut(t, s, claims...)
		check(t, viewOf(t, s, art, stewards), protocol.DID{}, protocol.Asserted, protocol.Asserted)
	})
}

// TestStrangerSignatureAttack: signatures by keys that hold no role in a
// claim, put in the store, raise nothing (SPEC §4.5).
func TestStrangerSignatureAttack(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "corpus")
	self := storetest.NewClaim(t, c.publisher, ds.ID, c.publisher.DID(), "author", 1)
	forBob := storetest.NewClaim(t, c.publisher, ds.ID, c.bob.DID(), "annotator", 0.5)
	stranger := storetest.NewClaim(t, c.alice, ds.ID, c.alice.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, storetest.Cosign(t, self, c.mallory), storetest.Cosign(t, forBob, c.mallory, c.carol),
		storetest.Cosign(t, stranger, c.mallory, c.steward))
	a := viewOf(t, s, ds.ID, protocol.Stewards{c.steward.DID(): true})
	for name, id := range map[string]protocol.ID{
		"the publisher's claim about itself, co-signed by mallory":                  self.ID,
		"the publisher's claim about bob, who did not sign, co-signed by strangers": forBob.ID,
		"alice's claim about herself, co-signed by mallory and a steward":           stranger.ID,
	} {
		if got := a.trust[id]; got != protocol.Asserted {
			t.Errorf("%s: %s, want asserted", name, got)
		}
	}
}

// attributionView is what the attacks look at in an attribution.
type attributionView struct {
	publisher protocol.DID
	trust     map[protocol.ID]protocol.Trust
}

func viewOf(t *testing.T, s *store.Store, subject protocol.ID, p protocol.Policy) *attributionView {
	t.Helper()
	a := attribution(t, s, subject, p)
	v := &attributionView{publisher: a.Publisher, trust: map[protocol.ID]protocol.Trust{}}
	for _, c := range a.Contributors {
		v.trust[c.Claim] = c.Trust
	}
	return v
}

// TestArtifactLineageAttack: mallory publishes a derivation of someone
// else's model that names her own dataset as its input, to be shown among
// the model's ancestors (and, later, credited for it). Once a steward has
// said whose model it is, only the publisher's derivations give the
// lineage; before that, every derivation is shown with the derivation it
// came through.
func TestArtifactLineageAttack(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	corpus := storetest.NewDataset(t, c.carol, "corpus")
	hers := storetest.NewDataset(t, c.mallory, "mallory's corpus")
	model := storetest.FileOf("model.safetensors", "weights")
	art := protocol.ArtifactID(model.Digest)
	real := storetest.NewDerivation(t, c.publisher, model, "trained-on", corpus.ID)
	forged := storetest.NewDerivation(t, c.mallory, model, "trained-on", hers.ID)
	s := storetest.Open(t)
	storetest.MustPut(t, s, corpus, hers, real, forged)

	ancestors := func() map[protocol.ID]protocol.ID {
		got := map[protocol.ID]protocol.ID{}
		for _, a := range attribution(t, s, art, stewards).Lineage {
			got[a.ID] = a.Via
		}
		return got
	}
	if got := ancestors(); got[corpus.ID] != real.ID || got[hers.ID] != forged.ID || len(got) != 2 {
		t.Fatalf("no publisher: ancestors %v, want the corpus via %s and mallory's via %s", got, real.ID, forged.ID)
	}
	storetest.MustPut(t, s, storetest.NewEndorsement(t, c.steward, real.ID, "provenance-checked"))
	if got := ancestors(); got[corpus.ID] != real.ID || len(got) != 1 {
		t.Fatalf("publisher known: ancestors %v, want the corpus alone, via %s", got, real.ID)
	}
}
