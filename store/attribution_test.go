package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

func TestAttributionOfDataset(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	ds := storetest.NewDataset(t, c.publisher, "birds")
	low := storetest.NewClaim(t, c.alice, ds.ID, c.carol.DID(), "annotator", 0.2)
	high := storetest.NewClaim(t, c.alice, ds.ID, c.alice.DID(), "author", 1)
	tieA := storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "curator", 0.5)
	tieB := storetest.NewClaim(t, c.alice, ds.ID, c.carol.DID(), "curator", 0.5)
	e1 := storetest.NewEndorsementWith(t, c.steward, ds.ID, protocol.Endorsement{Standard: "FAIR", Level: "gold"})
	e2 := storetest.NewEndorsement(t, c.carol, ds.ID, "reviewed")
	e3 := storetest.NewEndorsement(t, c.steward, ds.ID, "complete")
	storetest.MustPut(t, s, ds, low, high, tieA, tieB, e1, e2, e3, storetest.NewRevocation(t, c.steward, e3.ID, "no longer"))

	a := attribution(t, s, ds.ID, stewards)
	if a.Subject != ds.ID || a.Kind != "dataset" || a.Name != "birds" || a.Publisher != c.publisher.DID() {
		t.Errorf("subject: %s %q %q %s", a.Subject, a.Kind, a.Name, a.Publisher)
	}
	ties := []*protocol.Object{tieA, tieB}
	slices.SortFunc(ties, func(x, y *protocol.Object) int {
		return strings.Compare(x.Attribution.Contributor.String(), y.Attribution.Contributor.String())
	})
	var got []protocol.ID
	for _, ct := range a.Contributors {
		got = append(got, ct.Claim)
	}
	if want := ids(high, ties[0], ties[1], low); !slices.Equal(got, want) {
		t.Errorf("contributors in order %v, want %v (by weight, then DID)", got, want)
	}
	h := a.Contributors[0]
	if h.DID != c.alice.DID() || h.Role != "author" || h.Weight != 1 || h.Issuer != c.alice.DID() ||
		!h.Created.Equal(high.Attribution.Created) || !slices.Equal(h.Signers, []protocol.DID{c.alice.DID()}) {
		t.Errorf("contributor %+v does not match its claim", h)
	}
	want := []store.EndorsementView{
		{ID: e1.ID, Issuer: c.steward.DID(), Standard: "FAIR", Level: "gold", Steward: true, Created: e1.Endorsement.Created},
		{ID: e2.ID, Issuer: c.carol.DID(), Standard: "reviewed", Created: e2.Endorsement.Created},
		{ID: e3.ID, Issuer: c.steward.DID(), Standard: "complete", Steward: true, Withdrawn: true, Created: e3.Endorsement.Created},
	}
	if !slices.EqualFunc(a.Endorsements, want, func(x, y store.EndorsementView) bool {
		return x.ID == y.ID && x.Issuer == y.Issuer && x.Standard == y.Standard && x.Level == y.Level &&
			x.Steward == y.Steward && x.Withdrawn == y.Withdrawn && x.Created.Equal(y.Created)
	}) {
		t.Errorf("endorsements\n%+v\nwant\n%+v", a.Endorsements, want)
	}
}

func TestAttributionOfUnknownIsEmptyNotNull(t *testing.T) {
	s := storetest.Open(t)
	id := protocol.ObjectID([]byte("elsewhere"))
	a := attribution(t, s, id, nil)
	if a.Kind != "unknown" {
		t.Errorf("kind %q, want unknown", a.Kind)
	}
	// Empty, not nil: the API writes them as [], not null.
	if a.Contributors == nil || a.Endorsements == nil || a.Lineage == nil {
		t.Errorf("contributors %#v, endorsements %#v, lineage %#v: want empty, not nil", a.Contributors, a.Endorsements, a.Lineage)
	}
	if !a.Publisher.IsZero() {
		t.Errorf("publisher %s for an unknown subject", a.Publisher)
	}
}

func TestAttributionLineage(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	missing := protocol.ObjectID([]byte("a parent never seen here"))
	grand := storetest.NewDataset(t, c.carol, "grandparent")
	p1 := storetest.NewDatasetWith(t, c.bob, protocol.Dataset{Name: "p1", Parents: []protocol.ID{grand.ID}})
	p2 := storetest.NewDatasetWith(t, c.bob, protocol.Dataset{Name: "p2", Parents: []protocol.ID{grand.ID, missing}})
	child := storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: "child", Parents: []protocol.ID{p1.ID, p2.ID}})
	gclaim := storetest.NewClaim(t, c.carol, grand.ID, c.carol.DID(), "author", 1)
	storetest.MustPut(t, s, grand, p1, p2, child, gclaim, storetest.Cosign(t, gclaim, c.alice))

	a := attribution(t, s, child.ID, nil)
	type row struct {
		id    protocol.ID
		depth int
		via   protocol.ID
		kind  string
	}
	var got []row
	for _, an := range a.Lineage {
		got = append(got, row{an.ID, an.Depth, an.Via, an.Kind})
	}
	parents := []protocol.ID{p1.ID, p2.ID}
	slices.SortFunc(parents, func(x, y protocol.ID) int { return strings.Compare(x.String(), y.String()) })
	// Breadth-first, parents in key order; the grandparent once, through
	// whichever parent was walked first.
	want := []row{{parents[0], 1, child.ID, "dataset"}, {parents[1], 1, child.ID, "dataset"}}
	wantDeeper := []row{{grand.ID, 2, parents[0], "dataset"}, {missing, 2, p2.ID, "unknown"}}
	if len(got) != 4 || !slices.Equal(got[:2], want) ||
		!slices.Contains(got[2:], wantDeeper[0]) || !slices.Contains(got[2:], wantDeeper[1]) {
		t.Fatalf("lineage\n%v\nwant\n%v then, in either order,\n%v", got, want, wantDeeper)
	}
	for _, an := range a.Lineage {
		if an.ID == grand.ID {
			if len(an.Contributors) != 1 || an.Contributors[0].Claim != gclaim.ID || an.Name != "grandparent" {
				t.Errorf("grandparent %+v, want its own claim", an)
			}
		} else if an.Contributors == nil {
			t.Errorf("ancestor %s has nil contributors, want []", an.ID)
		}
	}
}

func TestLineageDepthLimit(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	prev := storetest.NewDataset(t, c.publisher, "gen 0")
	storetest.MustPut(t, s, prev)
	for i := 1; i <= store.MaxLineageDepth+4; i++ {
		prev = storetest.NewDatasetWith(t, c.publisher, protocol.Dataset{Name: fmt.Sprint("gen ", i), Parents: []protocol.ID{prev.ID}})
		storetest.MustPut(t, s, prev)
	}
	a := attribution(t, s, prev.ID, nil)
	if len(a.Lineage) != store.MaxLineageDepth {
		t.Fatalf("%d ancestors, want the depth limit %d", len(a.Lineage), store.MaxLineageDepth)
	}
	for i, an := range a.Lineage {
		if an.Depth != i+1 {
			t.Errorf("ancestor %d at depth %d", i, an.Depth)
		}
	}
}

func TestAttributionOfArtifact(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	ds := storetest.NewDataset(t, c.carol, "corpus")
	model := storetest.FileOf("model.safetensors", "weights")
	art := protocol.ArtifactID(model.Digest)
	deriv := storetest.NewDerivation(t, c.publisher, model, "trained-on", ds.ID)
	vouched := storetest.NewEndorsement(t, c.steward, deriv.ID, "provenance-checked")
	claim := storetest.NewClaim(t, c.alice, art, c.bob.DID(), "trainer", 1)
	dclaim := storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "author", 1)

	t.Run("one maker, endorsed by a steward", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, deriv, vouched, claim, storetest.Cosign(t, claim, c.publisher), dclaim)
		a := attribution(t, s, art, stewards)
		if a.Kind != "artifact" || a.Publisher != c.publisher.DID() || a.Name != "model.safetensors" {
			t.Errorf("subject %q %s %q", a.Kind, a.Publisher, a.Name)
		}
		if len(a.Contributors) != 1 || a.Contributors[0].Trust != protocol.Acknowledged {
			t.Errorf("contributors %+v, want the claim acknowledged by the derivation's publisher", a.Contributors)
		}
		if len(a.Lineage) != 1 || a.Lineage[0].ID != ds.ID || a.Lineage[0].Via != deriv.ID || a.Lineage[0].Depth != 1 ||
			len(a.Lineage[0].Contributors) != 1 || a.Lineage[0].Contributors[0].Claim != dclaim.ID {
			t.Errorf("lineage %+v, want the corpus via the derivation", a.Lineage)
		}
		if loc, _ := s.Locate(model.Digest); len(loc) != 0 {
			t.Errorf("Locate(model) = %+v: a derivation is not a location", loc)
		}
		d := attribution(t, s, deriv.ID, nil)
		if d.Kind != "derivation" || d.Publisher != c.publisher.DID() || len(d.Lineage) != 1 || d.Lineage[0].Via != deriv.ID {
			t.Errorf("attribution of the derivation itself: %+v", d)
		}
		if a := attribution(t, s, art, nil); !a.Publisher.IsZero() || a.Contributors[0].Trust != protocol.Asserted {
			t.Errorf("with no stewards: publisher %s, trust %s; want none, asserted", a.Publisher, a.Contributors[0].Trust)
		}
	})
	t.Run("one maker, endorsed by no steward", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, deriv, storetest.NewEndorsement(t, c.carol, deriv.ID, "mine"), claim, storetest.Cosign(t, claim, c.publisher))
		a := attribution(t, s, art, stewards)
		if !a.Publisher.IsZero() || a.Name != "model.safetensors" || a.Contributors[0].Trust != protocol.Asserted || len(a.Lineage) != 1 {
			t.Errorf("publisher %s, name %q, trust %s, lineage %+v: want none, the name, asserted, the corpus", a.Publisher, a.Name, a.Contributors[0].Trust, a.Lineage)
		}
	})
	t.Run("two endorsed makers who disagree", func(t *testing.T) {
		s := storetest.Open(t)
		other := storetest.NewDerivation(t, c.bob, storetest.FileOf("copy.bin", "weights"), "fine-tuned-on", ds.ID)
		storetest.MustPut(t, s, ds, deriv, vouched, other, storetest.NewEndorsement(t, c.steward, other.ID, "provenance-checked"),
			claim, storetest.Cosign(t, claim, c.publisher))
		a := attribution(t, s, art, stewards)
		if !a.Publisher.IsZero() || a.Name != "" || a.Contributors[0].Trust != protocol.Asserted {
			t.Errorf("publisher %s, name %q, trust %s: want none, none, asserted", a.Publisher, a.Name, a.Contributors[0].Trust)
		}
		if len(a.Lineage) != 1 {
			t.Errorf("lineage %+v, want the corpus once", a.Lineage)
		}
	})
	t.Run("withdrawn maker", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, deriv, vouched, claim, storetest.Cosign(t, claim, c.publisher), storetest.NewRevocation(t, c.publisher, deriv.ID, "wrong inputs"))
		a := attribution(t, s, art, stewards)
		if !a.Publisher.IsZero() || len(a.Lineage) != 0 {
			t.Errorf("publisher %s, lineage %+v: a withdrawn derivation should count for nothing", a.Publisher, a.Lineage)
		}
	})
	t.Run("withdrawn endorsement", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, deriv, vouched, storetest.NewRevocation(t, c.steward, vouched.ID, "too hasty"), claim)
		if a := attribution(t, s, art, stewards); !a.Publisher.IsZero() {
			t.Errorf("publisher %s: an endorsement its steward withdrew should count for nothing", a.Publisher)
		}
	})
	t.Run("endorsed by a steward whose key governance revoked", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, deriv, vouched, claim)
		p := fakePolicy{
			steward:   stewards.IsSteward,
			revokedAt: func(d protocol.DID) (time.Time, bool) { return time.Time{}, d == c.steward.DID() },
		}
		if a := attribution(t, s, art, p); !a.Publisher.IsZero() {
			t.Errorf("publisher %s: a revoked key is no steward", a.Publisher)
		}
	})
	t.Run("no maker", func(t *testing.T) {
		s := storetest.Open(t)
		storetest.MustPut(t, s, claim)
		if a := attribution(t, s, art, stewards); a.Kind != "artifact" || !a.Publisher.IsZero() || len(a.Contributors) != 1 {
			t.Errorf("%+v", a)
		}
	})
}

// TestContributorOrder checks the fast sort against the rule written out
// plainly: weight (highest first), DID string, claim ID string.
func TestContributorOrder(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "many")
	var keys []*protocol.Key
	for i := range 12 {
		keys = append(keys, storetest.Key(t, fmt.Sprint("order ", i)))
	}
	weights := []float64{0.1, 0.5, 1, 0.05}
	objs := []*protocol.Object{ds}
	for i := range 300 {
		objs = append(objs, storetest.NewClaim(t, c.alice, ds.ID, keys[(i*7)%len(keys)].DID(), "annotator", weights[i%len(weights)]))
	}
	if _, err := s.PutBatch(objs); err != nil {
		t.Fatal(err)
	}
	got := attribution(t, s, ds.ID, nil).Contributors
	want := slices.Clone(got)
	slices.SortFunc(want, func(a, b store.Contributor) int {
		if a.Weight != b.Weight {
			if a.Weight > b.Weight {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.DID.String(), b.DID.String()); c != 0 {
			return c
		}
		return strings.Compare(a.Claim.String(), b.Claim.String())
	})
	if len(got) != 300 {
		t.Fatalf("%d contributors, want 300", len(got))
	}
	for i := range got {
		if got[i].Claim != want[i].Claim {
			t.Fatalf("contributor %d is claim %s, want %s", i, got[i].Claim, want[i].Claim)
		}
	}
}
