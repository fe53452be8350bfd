package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// A rotation goes through the store like any object: stored with both of
// its signatures (a receiver refuses it without either), indexed under
// both keys, counted, listed by signer, endorsable and never revocable.
func TestPutRotation(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	rot := storetest.NewRotation(t, c.publisher, c.carol, "key of 2026 retired")
	if err := s.CheckPut(rot); err != nil {
		t.Fatalf("CheckPut: %v", err)
	}
	res, err := s.Put(storetest.Cosign(t, rot, c.mallory))
	if err != nil || !res.New || res.Signers != 2 {
		t.Fatalf("Put = %+v, %v; want new, with its two keys' signatures and not the stranger's", res, err)
	}
	env := readBack(t, s, rot.ID)
	if !sameDIDs(env.Signers(), []protocol.DID{c.publisher.DID(), c.carol.DID()}) {
		t.Errorf("signers %v, want from and to", env.Signers())
	}
	o, err := s.Object(rot.ID)
	if err != nil || o.Kind != protocol.KindRotation || o.Rotation.To != c.carol.DID() {
		t.Fatalf("Object = %+v, %v", o, err)
	}
	for key, other := range map[string]*protocol.Key{
		"r/" + c.publisher.DID().String() + "/" + rot.ID.String(): c.carol,
		"r/" + c.carol.DID().String() + "/" + rot.ID.String():     c.publisher,
	} {
		if got, ok := s.Dump()[key]; !ok || got != string(other.DID().PublicKey()) {
			t.Errorf("%s holds %x, %v; want the other key, %s", key, got, ok, other.DID())
		}
	}
	for _, k := range []*protocol.Key{c.publisher, c.carol} {
		if got, _ := s.BySigner(k.DID()); !sameIDs(got, []protocol.ID{rot.ID}) {
			t.Errorf("BySigner(%s) = %v", k.DID(), got)
		}
	}
	st, err := s.Stats()
	if err != nil || st.ByKind[protocol.KindRotation] != 1 || st.Objects != 1 {
		t.Errorf("Stats = %+v, %v; want one rotation", st, err)
	}

	end := storetest.NewEndorsement(t, c.steward, rot.ID, "verified in person")
	rev := storetest.NewRevocation(t, c.publisher, rot.ID, "changed my mind")
	results, err := s.PutBatch([]*protocol.Object{end, rev, storetest.Cosign(t, rot, c.bob)})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil || !results[0].New {
		t.Errorf("endorsement of a rotation: %+v", results[0])
	}
	if results[1].Err == nil || protocol.KindOf(results[1].Err) != protocol.Invalid {
		t.Errorf("revocation of a rotation: %+v, want refused as invalid (SPEC §3.4)", results[1])
	}
	if results[2].Err != nil || results[2].Added != 0 {
		t.Errorf("a copy co-signed by a stranger: %+v, want nothing added", results[2])
	}
	if got, _ := s.ClaimsAbout(rot.ID); !sameIDs(got, []protocol.ID{end.ID}) {
		t.Errorf("ClaimsAbout(rotation) = %v, want its endorsement", got)
	}
	if sum, ok := s.SummaryOf(rot.ID, end.ID); !ok || sum.Kind != protocol.KindEndorsement {
		t.Errorf("summary of the endorsement under the rotation: %+v, %v", sum, ok)
	}
}

// A rotation and its endorsement survive a reopen, and a store reopened
// from disk reads them as it wrote them.
func TestRotationReopen(t *testing.T) {
	c := newCast(t)
	dir := t.TempDir()
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), c.carol)
	rot := storetest.NewRotation(t, c.publisher, c.carol, "")
	s := storetest.OpenDir(t, dir)
	storetest.MustPut(t, s, ds, claim, rot)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.OpenDir(t, dir)
	storetest.MustPut(t, s, storetest.Cosign(t, rot, c.publisher))
	if got := contributorOf(t, attribution(t, s, ds.ID, nil), claim.ID).Trust; got != protocol.Acknowledged {
		t.Errorf("after reopening: %s, want acknowledged", got)
	}
}

// Trust does not depend on the order in which a dataset, a claim about it
// co-signed by the publisher's successor, and the rotation that makes it
// the successor arrive: in each of the six orders, one by one and in one
// batch, the successor's signature is kept and the claim is acknowledged.
func TestRotationAnyOrder(t *testing.T) {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), c.carol)
	rot := storetest.NewRotation(t, c.publisher, c.carol, "")
	objs := []*protocol.Object{ds, claim, rot}
	for _, order := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		for _, batch := range []bool{false, true} {
			s := storetest.Open(t)
			var in []*protocol.Object
			for _, i := range order {
				in = append(in, objs[i])
			}
			if batch {
				if _, err := s.PutBatch(in); err != nil {
					t.Fatal(err)
				}
			} else {
				storetest.MustPut(t, s, in...)
			}
			got := contributorOf(t, attribution(t, s, ds.ID, nil), claim.ID)
			if got.Trust != protocol.Acknowledged || !slices.Contains(got.Signers, c.carol.DID()) {
				t.Errorf("order %v (batch %v): %s, signers %v; want acknowledged with the successor's signature", order, batch, got.Trust, got.Signers)
			}
			if env := readBack(t, s, claim.ID); !env.SignedBy(c.carol.DID()) {
				t.Errorf("order %v (batch %v): the successor's signature is not served", order, batch)
			}
		}
	}
}

// With no rotation held, the parties are every key alone: a claim
// co-signed by a key with no role is asserted.
func TestNoRotationNoParty(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), c.carol)
	storetest.MustPut(t, s, ds, claim, storetest.NewRotation(t, c.mallory, c.steward, ""))
	if got := contributorOf(t, attribution(t, s, ds.ID, nil), claim.ID).Trust; got != protocol.Asserted {
		t.Errorf("%s, want asserted", got)
	}
}

// RotationsOf and RotationsPage list a key's rotations either way, in ID
// order; Party walks them under a policy.
func TestRotationsAndParty(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	first := storetest.NewRotation(t, c.publisher, c.carol, "")
	second := storetest.NewRotation(t, c.carol, c.alice, "")
	storetest.MustPut(t, s, first, second)
	want := []protocol.ID{first.ID, second.ID}
	slices.SortFunc(want, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	if got, err := s.RotationsOf(c.carol.DID()); err != nil || !slices.Equal(got, want) {
		t.Fatalf("RotationsOf = %v, %v; want %v", got, err, want)
	}
	page, more, err := s.RotationsPage(c.carol.DID(), protocol.ID{}, 1)
	if err != nil || !more || !slices.Equal(page, want[:1]) {
		t.Errorf("first page = %v, %v, %v", page, more, err)
	}
	page, more, err = s.RotationsPage(c.carol.DID(), page[0], 1)
	if err != nil || more || !slices.Equal(page, want[1:]) {
		t.Errorf("second page = %v, %v, %v", page, more, err)
	}
	if _, _, err := s.RotationsPage(c.carol.DID(), protocol.ID{}, 0); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("limit 0: %v, want Invalid", err)
	}
	if got, _ := s.RotationsOf(c.bob.DID()); len(got) != 0 {
		t.Errorf("RotationsOf(a key without any) = %v", got)
	}
	party, err := s.Party(c.alice.DID(), nil)
	if err != nil || !sameDIDs(party, []protocol.DID{c.alice.DID(), c.carol.DID(), c.publisher.DID()}) || party[0] != c.alice.DID() {
		t.Errorf("Party = %v, %v; want alice, then carol and the publisher", party, err)
	}
	party, err = s.Party(c.alice.DID(), revoking(c, c.carol))
	if err != nil || len(party) != 1 {
		t.Errorf("Party with carol revoked = %v, %v; want alice alone", party, err)
	}
	if party, _ := s.Party(c.bob.DID(), nil); len(party) != 1 || party[0] != c.bob.DID() {
		t.Errorf("Party of a key without rotations = %v", party)
	}
}

// An r/ entry that the store cannot read back is a corrupt entry, not a
// panic nor a party.
func TestCorruptRotationKey(t *testing.T) {
	c := newCast(t)
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, claim)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.WriteRaw(t, dir, map[string][]byte{"r/" + c.publisher.DID().String() + "/" + claim.ID.String(): []byte("not a key")})
	s = storetest.OpenDir(t, dir)
	if _, err := s.Attribution(ds.ID, nil); err == nil || !strings.Contains(err.Error(), "corrupt entry") {
		t.Errorf("Attribution over a corrupt r/ key: %v, want a corrupt entry error", err)
	}
}

// HoldsRole: who may vouch for a claim, a successor of a role holder
// included.
func TestHoldsRole(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	orphan := storetest.NewClaim(t, c.alice, protocol.ObjectID([]byte("elsewhere")), c.bob.DID(), "author", 1)
	storetest.MustPut(t, s, ds, claim, orphan, storetest.NewRotation(t, c.publisher, c.carol, ""))
	for _, tc := range []struct {
		claim protocol.ID
		key   *protocol.Key
		want  bool
	}{
		{claim.ID, c.alice, true}, {claim.ID, c.bob, true}, {claim.ID, c.publisher, true},
		{claim.ID, c.carol, true}, // the publisher's successor
		{claim.ID, c.mallory, false},
		{orphan.ID, c.mallory, true}, // anyone may yet publish a subject not held
		{ds.ID, c.carol, false},      // a dataset takes its publisher's signature alone
	} {
		if got, err := s.HoldsRole(tc.claim, tc.key.DID()); err != nil || got != tc.want {
			t.Errorf("HoldsRole(%s, %s) = %v, %v; want %v", tc.claim, tc.key.DID(), got, err, tc.want)
		}
	}
	if _, err := s.HoldsRole(protocol.ObjectID([]byte("absent")), c.alice.DID()); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("HoldsRole of an absent claim: %v, want NotFound", err)
	}
}

// EachRotatedKey visits each key that a rotation names once, in key
// order, and stops when asked.
func TestEachRotatedKey(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	storetest.MustPut(t, s, storetest.NewRotation(t, c.publisher, c.carol, ""), storetest.NewRotation(t, c.carol, c.alice, ""),
		storetest.NewRotation(t, c.carol, c.alice, "again"))
	var got []protocol.DID
	if err := s.EachRotatedKey(func(d protocol.DID) bool { got = append(got, d); return true }); err != nil {
		t.Fatal(err)
	}
	want := slices.SortedFunc(slices.Values([]protocol.DID{c.publisher.DID(), c.carol.DID(), c.alice.DID()}), protocol.CompareDIDs)
	if !slices.Equal(got, want) {
		t.Errorf("EachRotatedKey visits %v, want %v", got, want)
	}
	n := 0
	if err := s.EachRotatedKey(func(protocol.DID) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("stopping: %d visits, %v", n, err)
	}
}

// An artifact whose endorsed derivations were issued by a key and by its
// successor has one publisher: the two keys are one party (SPEC §4.5,
// §4.6). Without the rotation the two issuers are two parties, and the
// artifact has none.
func TestArtifactPublisherAcrossRotation(t *testing.T) {
	c := newCast(t)
	policy := fakePolicy{steward: func(d protocol.DID) bool { return d == c.steward.DID() }}
	model := protocol.File{Name: "model.bin", Digest: protocol.SumDigest([]byte("weights")), Size: 7}
	ds := storetest.NewDataset(t, c.publisher, "corpus")
	byOld := storetest.NewDerivation(t, c.publisher, model, "trained-on", ds.ID)
	byNew := storetest.NewDerivation(t, c.carol, model, "fine-tuned-on", ds.ID)
	claim := storetest.NewClaim(t, c.alice, protocol.ArtifactID(model.Digest), c.alice.DID(), "evaluator", 0.5)
	rotation := storetest.NewRotation(t, c.publisher, c.carol, "")
	for _, with := range []bool{false, true} {
		s := storetest.Open(t)
		storetest.MustPut(t, s, ds, byOld, byNew, claim,
			storetest.NewEndorsement(t, c.steward, byOld.ID, "model card"),
			storetest.NewEndorsement(t, c.steward, byNew.ID, "model card"))
		if with {
			storetest.MustPut(t, s, rotation)
		}
		a, err := s.Attribution(protocol.ArtifactID(model.Digest), policy)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case with && a.Publisher != c.publisher.DID() && a.Publisher != c.carol.DID():
			t.Errorf("with the rotation: publisher %s, want the party of %s and %s", a.Publisher, c.publisher.DID(), c.carol.DID())
		case !with && !a.Publisher.IsZero():
			t.Errorf("without the rotation: publisher %s, want none (two parties)", a.Publisher)
		}
	}
}
