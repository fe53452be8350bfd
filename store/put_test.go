package store_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// Copies of one claim merge their signatures. On an attribution any key's
// is kept, within the limits: it may be of a role holder's party once a
// rotation arrives (SPEC.md §2.5, §4.6). On the other kinds a signature
// that carries no meaning for the object is not stored.
func TestPutMergesSignatures(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds)

	steps := []struct {
		name string
		o    *protocol.Object
		want store.PutResult
	}{
		{"first copy", claim, store.PutResult{New: true, Added: 1, Signers: 1}},
		{"same copy again", claim, store.PutResult{Added: 0, Signers: 1}},
		{"cosigned by the publisher", storetest.Cosign(t, claim, c.publisher), store.PutResult{Added: 1, Signers: 2}},
		{"another copy cosigned by the contributor", storetest.Cosign(t, claim, c.bob), store.PutResult{Added: 1, Signers: 3}},
		{"a copy with both", storetest.Cosign(t, claim, c.publisher, c.bob), store.PutResult{Added: 0, Signers: 3}},
		{"a copy cosigned by a key with no role yet", storetest.Cosign(t, claim, c.mallory), store.PutResult{Added: 1, Signers: 4}},
	}
	for _, st := range steps {
		got, err := s.Put(st.o)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		st.want.ID, st.want.Kind = claim.ID, protocol.KindAttribution
		if got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
	if got, err := s.Put(storetest.Cosign(t, ds, c.alice)); err != nil || got.Added != 0 || got.Signers != 1 {
		t.Errorf("dataset cosigned by alice: %+v, %v; want nothing added, its publisher alone", got, err)
	}

	env, err := s.Envelope(claim.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.DID{c.publisher.DID(), c.alice.DID(), c.bob.DID(), c.mallory.DID()}
	if got := env.Signers(); !sameDIDs(got, want) {
		t.Errorf("signers %v, want %v", got, want)
	}
	if err := env.Verify(); err != nil {
		t.Errorf("stored envelope does not verify: %v", err)
	}
	o, err := s.Object(claim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != claim.ID || o.Kind != protocol.KindAttribution || o.Attribution.Role != "annotator" {
		t.Errorf("Object = %s %s %q", o.Kind, o.ID, o.Attribution.Role)
	}
	for _, k := range []*protocol.Key{c.publisher, c.alice, c.bob, c.mallory} {
		got, err := s.BySigner(k.DID())
		if err != nil {
			t.Fatal(err)
		}
		want := []protocol.ID{claim.ID}
		switch k {
		case c.publisher:
			want = []protocol.ID{ds.ID, claim.ID}
		}
		if !sameIDs(got, want) {
			t.Errorf("BySigner(%s) = %v, want %v", k.DID(), got, want)
		}
	}
}

func sameIDs(a, b []protocol.ID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	cmp := func(x, y protocol.ID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

func sameDIDs(a, b []protocol.DID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	cmp := func(x, y protocol.DID) int { return bytes.Compare(x.PublicKey(), y.PublicKey()) }
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

func TestCosignUpdatesClaimSummary(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, claim)
	if got := attribution(t, s, ds.ID, nil).Contributors[0].Trust; got != protocol.Asserted {
		t.Fatalf("before cosigning: %s, want asserted", got)
	}
	storetest.MustPut(t, s, storetest.Cosign(t, claim, c.publisher))
	sum, _ := s.SummaryOf(ds.ID, claim.ID)
	if !sameDIDs(sum.Signers, []protocol.DID{c.alice.DID(), c.publisher.DID()}) {
		t.Errorf("summary signers %v", sum.Signers)
	}
	a := attribution(t, s, ds.ID, nil)
	if got := a.Contributors[0]; got.Trust != protocol.Acknowledged || len(got.Signers) != 2 {
		t.Errorf("after cosigning: %s with %d signers, want acknowledged with 2", got.Trust, len(got.Signers))
	}
	if got, _ := s.BySigner(c.publisher.DID()); !slices.Contains(got, claim.ID) {
		t.Errorf("BySigner(publisher) = %v lacks the cosigned claim", got)
	}
}

func TestNotFound(t *testing.T) {
	s := storetest.Open(t)
	id := protocol.ObjectID([]byte("never stored"))
	if _, err := s.Envelope(id); !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), id.String()) {
		t.Errorf("Envelope of a missing object: %v, want a NotFound error naming %s", err, id)
	}
	if _, err := s.Object(id); !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), id.String()) {
		t.Errorf("Object of a missing object: %v, want a NotFound error naming %s", err, id)
	}
	if ok, err := s.Has(id); ok || err != nil {
		t.Errorf("Has = %v, %v; want false, nil", ok, err)
	}
}

func TestPutRefusesWhatIsNotAnObject(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	other := storetest.NewDataset(t, c.publisher, "fish")
	wrongID := *ds
	wrongID.ID = other.ID
	artifactID := *ds // the payload's digest, as an artifact
	artifactID.ID = protocol.ArtifactID(protocol.SumDigest(ds.Envelope.Payload))
	zeroID := *ds
	zeroID.ID = protocol.ID{}
	noPredicate := *ds
	noPredicate.Dataset = nil
	for name, o := range map[string]*protocol.Object{"nil": nil, "wrong ID": &wrongID, "artifact ID": &artifactID, "zero ID": &zeroID, "no predicate": &noPredicate} {
		if _, err := s.Put(o); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: err = %v, want Invalid", name, err)
		}
	}
	if n := len(s.Dump()); n != 1 { // x/schema
		t.Errorf("%d keys stored after refusals, want only the schema version", n)
	}
}

func TestPutBatch(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.alice.DID(), "author", 1)
	endorse := storetest.NewEndorsement(t, c.steward, claim.ID, "reviewed")
	forbidden := storetest.NewRevocation(t, c.mallory, claim.ID, "not mine to revoke")
	other := storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "curator", 0.5)

	batch := []*protocol.Object{
		endorse, // before the claim it endorses
		ds, claim,
		storetest.Cosign(t, claim, c.publisher), // the same claim again, cosigned
		forbidden,
		claim, // once more, nothing new
		other,
	}
	res, err := s.PutBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		New            bool
		Added, Signers int
		Kind           protocol.Kind
	}
	want := []short{{true, 1, 1, 0}, {true, 1, 1, 0}, {true, 1, 1, 0}, {false, 1, 2, 0}, {false, 0, 0, protocol.Forbidden}, {false, 0, 2, 0}, {true, 1, 1, 0}}
	for i, r := range res {
		got := short{r.New, r.Added, r.Signers, protocol.KindOf(r.Err)}
		if r.Err != nil && got.Kind == protocol.Other {
			t.Errorf("result %d: unclassified error %v", i, r.Err)
		}
		if got != want[i] || r.ID != batch[i].ID {
			t.Errorf("result %d (%s): got %+v, want %+v", i, batch[i].Kind, got, want[i])
		}
	}
	a := attribution(t, s, ds.ID, protocol.Stewards{c.steward.DID(): true})
	if got := contributorOf(t, a, claim.ID).Trust; got != protocol.Certified {
		t.Errorf("claim endorsed by a steward: %s, want certified", got)
	}
	if got := contributorOf(t, a, other.ID).Trust; got != protocol.Asserted {
		t.Errorf("other claim: %s, want asserted", got)
	}
	if ok, _ := s.Has(forbidden.ID); ok {
		t.Error("the forbidden revocation was stored")
	}
}

func manyFiles(n int) []protocol.File {
	files := make([]protocol.File, n)
	for i := range files {
		files[i] = storetest.FileOf(fmt.Sprintf("shard/%05d.json", i), fmt.Sprint("record ", i))
	}
	return files
}

// TestPutBatchSpansTransactions stores more than one Badger transaction
// holds, and a dataset (a 1.9 MB envelope) whose file index alone is over
// a transaction.
func TestPutBatchSpansTransactions(t *testing.T) {
	c := newCast(t)
	s, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files := manyFiles(12000)
	big := storetest.NewDataset(t, c.publisher, "big", files...)
	ds := storetest.NewDataset(t, c.publisher, "small")
	batch := []*protocol.Object{ds}
	for i := range 2500 { // 15,000 index entries: more than one transaction holds (13,107)
		batch = append(batch, storetest.NewClaim(t, c.alice, ds.ID, storetest.Key(t, fmt.Sprint("contributor", i)).DID(), "annotator", 0.01))
	}
	batch = append(batch, big, storetest.NewClaim(t, c.bob, big.ID, c.bob.DID(), "author", 1))
	res, err := s.PutBatch(batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || !r.New {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if got := len(attribution(t, s, ds.ID, nil).Contributors); got != 2500 {
		t.Errorf("%d contributors, want 2500", got)
	}
	for _, i := range []int{0, 5000, 11999} {
		loc, err := s.Locate(files[i].Digest)
		if err != nil {
			t.Fatal(err)
		}
		if len(loc) != 1 || loc[0].Dataset != big.ID || !slices.Equal(loc[0].Paths, []string{files[i].Name}) {
			t.Errorf("Locate(file %d) = %+v", i, loc)
		}
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != int64(len(batch)) || st.ByKind[protocol.KindAttribution] != 2501 || st.ByKind[protocol.KindDataset] != 2 {
		t.Errorf("stats %+v, want %d objects", st, len(batch))
	}
}

func TestInMemoryRefusesHugeEnvelope(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	big := storetest.NewDataset(t, c.publisher, "big", manyFiles(12000)...)
	small := storetest.NewDataset(t, c.publisher, "small")
	res, err := s.PutBatch([]*protocol.Object{big, small})
	if err != nil {
		t.Fatal(err)
	}
	if !protocol.IsKind(res[0].Err, protocol.TooLarge) || res[1].Err != nil {
		t.Fatalf("results %+v, want the big dataset refused as too large, the small one stored", res)
	}
	if got := len(s.KeysUnder("f/")); got != 1 {
		t.Errorf("%d file entries, want the small dataset's one", got)
	}
}
