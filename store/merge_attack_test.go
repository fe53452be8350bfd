package store_test

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// Attacks on the store through the signatures of an envelope: anyone can
// add a valid signature to any object, with keys made at no cost.

// poisonCase is an object, the keys whose signatures carry meaning for it
// (SPEC.md §2.5), and what the store holds before it.
type poisonCase struct {
	name    string
	context []*protocol.Object
	o       *protocol.Object
	roles   []*protocol.Key
	// anyKey is set when the roles cannot be judged here yet (the subject
	// of an attribution is not stored): every signature is kept within
	// the limits, and a merge over them is refused.
	anyKey bool
}

func poisonCases(t *testing.T) []poisonCase {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	art := storetest.FileOf("model.bin", "weights")
	deriv := storetest.NewDerivation(t, c.carol, art, "training", ds.ID)
	artifact := protocol.ArtifactID(art.Digest)
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	unknown := protocol.ObjectID([]byte("a dataset never seen here"))
	return []poisonCase{
		{"dataset", nil, ds, []*protocol.Key{c.publisher}, false},
		{"derivation", []*protocol.Object{ds}, deriv, []*protocol.Key{c.carol}, false},
		// Any key may yet be of a role holder's party (a rotation not held
		// here yet), and anyone may yet become an artifact's publisher (a
		// steward endorses a derivation not held here yet): on every
		// attribution every key is kept, within the limits.
		{"attribution of a stored dataset", []*protocol.Object{ds}, claim, nil, true},
		{"attribution of an artifact", []*protocol.Object{ds, deriv}, storetest.NewClaim(t, c.alice, artifact, c.bob.DID(), "tester", 0.2), nil, true},
		{"attribution of a subject not stored here", nil, storetest.NewClaim(t, c.alice, unknown, c.bob.DID(), "author", 1), nil, true},
		{"endorsement", []*protocol.Object{ds, claim}, storetest.NewEndorsement(t, c.steward, claim.ID, "checked"), []*protocol.Key{c.steward}, false},
		{"revocation", []*protocol.Object{ds, claim}, storetest.NewRevocation(t, c.alice, claim.ID, "wrong"), []*protocol.Key{c.alice}, false},
	}
}

// Two copies of an object, each with 31 extra valid signatures by
// throwaway keys, used to merge into 63 signatures that the store then
// refused to read back. Now the store keeps only the signatures with a
// role; where no role can be judged yet, the merge over the limit is
// refused and the stored copy stays. The store reads every object back.
func TestPoisonedCopiesStayReadable(t *testing.T) {
	for _, tc := range poisonCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := storetest.Open(t)
			storetest.MustPut(t, s, tc.context...)
			first := storetest.Cosign(t, tc.o, storetest.Keys(t, "first "+tc.name, 31)...)
			second := storetest.Cosign(t, tc.o, storetest.Keys(t, "second "+tc.name, 31)...)
			storetest.MustPut(t, s, first)
			before := s.Dump()
			_, err := s.Put(second)
			if tc.anyKey {
				wantKind(t, err, protocol.TooLarge, "over the limit", "32", tc.o.ID.String())
				if !maps.Equal(s.Dump(), before) {
					t.Error("a refused merge changed the store")
				}
			} else if err != nil {
				t.Fatalf("second copy: %v", err)
			}
			env := readBack(t, s, tc.o.ID)
			if tc.anyKey {
				if !slices.Equal(env.Signers(), first.Envelope.Signers()) {
					t.Errorf("signers %d, want the first copy's %d", len(env.Signers()), len(first.Envelope.Signers()))
				}
			} else if want := didsOf(tc.roles); !sameDIDs(env.Signers(), signersAmong(first, second, want)) {
				t.Errorf("signers %v, want those with a role among %v", env.Signers(), want)
			}
			if _, err := s.Datasets(); err != nil {
				t.Errorf("Datasets: %v", err)
			}
		})
	}
}

// A claim padded to the limit by junk keys still takes the signatures of
// its role holders: a copy that brings them with more junk pushes junk
// out, its own first.
func TestPoisonedCopyKeepsRoleSignatures(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, storetest.Cosign(t, claim, storetest.Keys(t, "padding", 31)...))
	junk := storetest.Keys(t, "junk", 29)
	res, err := s.Put(storetest.Cosign(t, claim, append(junk, c.publisher, c.bob)...))
	if err != nil || res.Added != 2 || res.Signers != protocol.MaxSignatures {
		t.Fatalf("Put = %+v, %v; want the publisher's and the contributor's signatures added in place of padding", res, err)
	}
	sum, _ := s.SummaryOf(ds.ID, claim.ID)
	for _, k := range []*protocol.Key{c.alice, c.bob, c.publisher} {
		if !slices.Contains(sum.Signers, k.DID()) {
			t.Errorf("summary signers lack %s", k.DID())
		}
	}
	if got, _ := s.BySigner(junk[0].DID()); len(got) != 0 {
		t.Errorf("BySigner(junk) = %v, want nothing", got)
	}
}

// A claim stored before its subject keeps every co-signature, since any
// key may turn out to be the subject's publisher, or of a role holder's
// party; so it does once the subject is stored. A copy sent again once the
// publisher is known takes the place of padding: the answer is the one the
// other order gives.
func TestSubjectAfterPoisonedClaim(t *testing.T) {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	junk := storetest.Cosign(t, claim, storetest.Keys(t, "junk", 30)...)
	roles := storetest.Cosign(t, claim, c.publisher, c.bob)

	ref := storetest.Open(t)
	storetest.MustPut(t, ref, ds, junk, roles)
	want := readBack(t, ref, claim.ID).Encode()

	s := storetest.Open(t)
	storetest.MustPut(t, s, junk)
	// 33 signatures: the contributor's, a known role, takes the place of
	// a junk one; the publisher's, not known yet, does not fit.
	if res, err := s.Put(roles); err != nil || res.Added != 1 || res.Signers != protocol.MaxSignatures {
		t.Fatalf("the contributor's and the publisher's copy on a full claim: %+v, %v; want the contributor's signature in place of junk", res, err)
	}
	storetest.MustPut(t, s, ds)
	if got := readBack(t, s, claim.ID); len(got.Signatures) != protocol.MaxSignatures || got.SignedBy(c.publisher.DID()) {
		t.Errorf("after the subject: %d signatures served, want the %d stored, the publisher's not among them", len(got.Signatures), protocol.MaxSignatures)
	}
	storetest.MustPut(t, s, roles)
	if got := readBack(t, s, claim.ID).Encode(); !bytes.Equal(got, want) {
		t.Errorf("subject last gives\n%s\nsubject first\n%s", got, want)
	}
	if got := s.Dump()["o/"+claim.ID.String()]; got != string(want) {
		t.Errorf("stored envelope differs from the one served")
	}
}

// One refused object in a batch — invalid, forbidden, over a limit, or
// one whose stored entry cannot be read — fails its own result only: the
// other objects of the batch are stored.
func TestBatchRefusesOnlyTheBadObject(t *testing.T) {
	c := newCast(t)
	dir := t.TempDir()
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	broken := storetest.NewDataset(t, c.carol, "broken")
	unknown := storetest.NewClaim(t, c.alice, protocol.ObjectID([]byte("elsewhere")), c.alice.DID(), "author", 1)
	claimed := storetest.NewClaim(t, c.alice, broken.ID, c.alice.DID(), "author", 1)
	storetest.MustPut(t, s, broken, claimed, storetest.Cosign(t, unknown, storetest.Keys(t, "junk a", 31)...))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.WriteRaw(t, dir, map[string][]byte{"o/" + broken.ID.String(): []byte(`{"payloadType":`)}) // a damaged disk
	s = storetest.OpenDir(t, dir)

	ds := storetest.NewDataset(t, c.publisher, "birds")
	good := storetest.NewClaim(t, c.bob, ds.ID, c.bob.DID(), "author", 1)
	batch := []*protocol.Object{
		ds,
		storetest.Cosign(t, unknown, storetest.Keys(t, "junk b", 31)...), // 63 signatures
		good,
		storetest.NewRevocation(t, c.mallory, claimed.ID, "vandal"), // forbidden
		broken, // its stored entry is corrupt
		nil,    // not an object
		storetest.NewEndorsement(t, c.steward, good.ID, "checked"),
	}
	res, err := s.PutBatch(batch)
	if err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	wantErr := map[int]protocol.Kind{1: protocol.TooLarge, 3: protocol.Forbidden, 4: protocol.Other, 5: protocol.Invalid}
	for i, r := range res {
		want, bad := wantErr[i]
		switch {
		case bad && (r.Err == nil || protocol.KindOf(r.Err) != want):
			t.Errorf("object %d: %+v, want refused (%s)", i, r, want)
		case !bad && (r.Err != nil || !r.New):
			t.Errorf("object %d: %+v, want stored", i, r)
		}
	}
	for _, o := range []*protocol.Object{ds, good, batch[6]} {
		if _, err := s.Object(o.ID); err != nil {
			t.Errorf("%s: %v", o.Kind, err)
		}
	}
}

// Stores written by earlier versions may hold envelopes merged past the
// limits of §2.1. Reading them never fails: the store serves them trimmed
// to the signatures with a role (each verified), within the limits (on an
// attribution, role holders first, then other keys in key order), and
// rewrites them once, with the signer index.
func TestOldStoreOverLimits(t *testing.T) {
	c := newCast(t)
	dir := t.TempDir()
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	orphan := storetest.NewClaim(t, c.alice, protocol.ObjectID([]byte("elsewhere")), c.bob.DID(), "author", 1)
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustPut(t, s, ds, claim, orphan)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	junk := storetest.Keys(t, "junk", 62)
	raw := map[string][]byte{}
	for _, o := range []*protocol.Object{ds, claim, orphan} {
		keys := append(slices.Clone(junk), c.publisher, c.bob)
		raw["o/"+o.ID.String()] = storetest.OverLimits(o, keys)
		for _, k := range keys {
			raw["i/"+k.DID().String()+"/"+o.ID.String()] = nil
		}
	}
	storetest.WriteRaw(t, dir, raw)

	s = storetest.OpenDir(t, dir)
	served := map[protocol.ID]*protocol.Envelope{}
	for _, o := range []*protocol.Object{ds, claim, orphan} {
		env := readBack(t, s, o.ID)
		served[o.ID] = env
		if o == ds && !sameDIDs(env.Signers(), []protocol.DID{c.publisher.DID()}) {
			t.Errorf("dataset: signers %v, want its publisher's alone", env.Signers())
		}
		if o != ds && (len(env.Signatures) != protocol.MaxSignatures || !env.SignedBy(c.alice.DID()) || !env.SignedBy(c.bob.DID())) {
			t.Errorf("%s: %d signers, want %d with the issuer and the contributor", o.ID, len(env.Signatures), protocol.MaxSignatures)
		}
	}
	if !served[claim.ID].SignedBy(c.publisher.DID()) {
		t.Error("the claim of a held dataset lost its publisher's signature")
	}
	if got, err := s.Datasets(); err != nil || len(got) != 1 {
		t.Errorf("Datasets = %d, %v", len(got), err)
	}
	for _, o := range []*protocol.Object{ds, claim, orphan} {
		waitStored(t, s, o.ID, func(*protocol.Envelope) bool { return true })
	}
	for _, k := range junk {
		for _, o := range []*protocol.Object{ds, claim, orphan} {
			listed := slices.Contains(s.KeysUnder("i/"+k.DID().String()), "i/"+k.DID().String()+"/"+o.ID.String())
			if listed != served[o.ID].SignedBy(k.DID()) {
				t.Errorf("the signer index lists %s on %s: %v; the envelope served holds its signature: %v", k.DID(), o.ID, listed, !listed)
			}
		}
	}
	if got, _ := s.BySigner(c.publisher.DID()); !sameIDs(got, []protocol.ID{ds.ID, claim.ID}) {
		t.Errorf("BySigner(publisher) = %v, want the dataset and the claim", got)
	}
	sum, _ := s.SummaryOf(ds.ID, claim.ID)
	if !sameDIDs(sum.Signers, served[claim.ID].Signers()) {
		t.Errorf("summary signers %v, want %v", sum.Signers, served[claim.ID].Signers())
	}
}

// mergeObjects are the objects whose copies the merge properties send: a
// dataset, a derivation, claims about a held dataset, an artifact and an
// object not held, and an endorsement of a claim.
func mergeObjects(tb testing.TB, c cast) []*protocol.Object {
	ds := storetest.NewDataset(tb, c.publisher, "birds")
	art := storetest.FileOf("model.bin", "weights")
	deriv := storetest.NewDerivation(tb, c.carol, art, "training", ds.ID)
	claim := storetest.NewClaim(tb, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	return []*protocol.Object{
		ds, deriv, claim,
		storetest.NewClaim(tb, c.bob, protocol.ArtifactID(art.Digest), c.alice.DID(), "tester", 0.3),
		storetest.NewClaim(tb, c.alice, protocol.ObjectID([]byte("elsewhere")), c.bob.DID(), "author", 1),
		storetest.NewEndorsement(tb, c.steward, claim.ID, "checked"),
	}
}

// Property: whatever copies of objects arrive, with whatever signers, in
// whatever order, one by one or in batches, every envelope stored decodes
// as a receiver would (protocol.DecodeEnvelope) and verifies. A merge is
// refused only as too large.
func TestStoredEnvelopeAlwaysDecodes(t *testing.T) {
	c := newCast(t)
	objs := mergeObjects(t, c)
	pool := append(storetest.Keys(t, "junk", 40), c.publisher, c.alice, c.bob, c.carol, c.steward)
	rng := rand.New(rand.NewPCG(8, 9))
	for round := range 8 {
		s := storetest.Open(t)
		for step := range 25 {
			var batch []*protocol.Object
			for range 1 + rng.IntN(4) {
				o := objs[rng.IntN(len(objs))]
				signers := make([]*protocol.Key, rng.IntN(protocol.MaxSignatures))
				for i := range signers {
					signers[i] = pool[rng.IntN(len(pool))]
				}
				batch = append(batch, storetest.Cosign(t, o, signers...))
			}
			res, err := s.PutBatch(batch)
			if err != nil {
				t.Fatalf("round %d step %d: %v", round, step, err)
			}
			for _, r := range res {
				if r.Err != nil && protocol.KindOf(r.Err) != protocol.TooLarge {
					t.Fatalf("round %d step %d: %v", round, step, r.Err)
				}
			}
			if _, err := s.Envelope(objs[rng.IntN(len(objs))].ID); err != nil && protocol.KindOf(err) != protocol.NotFound {
				t.Fatalf("round %d step %d: %v", round, step, err) // a read may queue a rewrite
			}
			for key, val := range s.Dump() {
				if !strings.HasPrefix(key, "o/") {
					continue
				}
				env, err := protocol.DecodeEnvelope([]byte(val))
				if err == nil {
					err = env.Verify()
				}
				if err != nil {
					t.Fatalf("round %d step %d: %s does not read back: %v", round, step, key, err)
				}
			}
		}
	}
}

// Property: the envelope served for a claim does not depend on the order
// in which its copies and its subject arrive, one by one or in batches,
// as long as no copy pushes it past the limits while its subject is not
// held (SPEC.md §2.5 says what happens then).
func TestServedSignaturesAnyOrder(t *testing.T) {
	c := newCast(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	junk := storetest.Keys(t, "junk", 29) // with alice, bob and the publisher: 32
	objs := []*protocol.Object{
		ds, claim,
		storetest.Cosign(t, claim, junk[:10]...),
		storetest.Cosign(t, claim, slices.Concat(junk[10:20], []*protocol.Key{c.publisher})...), // not append: junk[20] would become the publisher
		storetest.Cosign(t, claim, append(junk[20:], c.bob)...),
		storetest.Cosign(t, ds, junk...),
	}
	ref := storetest.Open(t)
	storetest.MustPut(t, ref, objs...)
	want := map[protocol.ID]string{claim.ID: string(readBack(t, ref, claim.ID).Encode()), ds.ID: string(readBack(t, ref, ds.ID).Encode())}
	if got := readBack(t, ref, claim.ID); len(got.Signatures) != protocol.MaxSignatures || !got.SignedBy(c.publisher.DID()) || !got.SignedBy(c.bob.DID()) {
		t.Fatalf("reference: %d signatures, want all %d, the contributor's and the publisher's among them", len(got.Signatures), protocol.MaxSignatures)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 40 {
		order := slices.Clone(objs)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		s := storetest.Open(t)
		if i%2 == 0 {
			storetest.MustPut(t, s, order...)
		} else if _, err := s.PutBatch(order); err != nil {
			t.Fatal(err)
		}
		for id, w := range want {
			if got := string(readBack(t, s, id).Encode()); got != w {
				t.Fatalf("order %d: %s serves\n%s\nwant\n%s", i, id, got, w)
			}
		}
	}
}

// readBack reads id every way a node does and checks that the envelope
// served decodes as a receiver would decode it and verifies.
func readBack(t *testing.T, s *store.Store, id protocol.ID) *protocol.Envelope {
	t.Helper()
	env, err := s.Envelope(id)
	if err != nil {
		t.Fatalf("Envelope(%s): %v", id, err)
	}
	if _, err := s.Object(id); err != nil {
		t.Fatalf("Object(%s): %v", id, err)
	}
	wire, err := protocol.VerifyObject(env.Encode())
	if err != nil {
		t.Fatalf("the envelope served for %s is refused by a receiver: %v", id, err)
	}
	return wire.Envelope
}

// waitStored waits until the raw value of o/<id> decodes within the
// limits and satisfies ok: the store rewrites trimmed envelopes in the
// background.
func waitStored(t *testing.T, s *store.Store, id protocol.ID, ok func(*protocol.Envelope) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		env, err := protocol.DecodeEnvelope([]byte(s.Dump()["o/"+id.String()]))
		if err == nil && ok(env) {
			if err := env.Verify(); err != nil {
				t.Fatalf("rewritten %s does not verify: %v", id, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("o/%s was never rewritten: %v", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func didsOf(keys []*protocol.Key) []protocol.DID {
	out := make([]protocol.DID, len(keys))
	for i, k := range keys {
		out[i] = k.DID()
	}
	return out
}

// signersAmong returns the signers of any of a and b that are in roles.
func signersAmong(a, b *protocol.Object, roles []protocol.DID) []protocol.DID {
	var out []protocol.DID
	for _, d := range roles {
		if a.Envelope.SignedBy(d) || b.Envelope.SignedBy(d) {
			out = append(out, d)
		}
	}
	return out
}

func wantKind(t *testing.T, err error, k protocol.Kind, parts ...string) {
	t.Helper()
	if err == nil || protocol.KindOf(err) != k {
		t.Fatalf("error %v, want kind %s", err, k)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

// FuzzMergedEnvelopeDecodes is TestStoredEnvelopeAlwaysDecodes driven by
// the fuzzer: each four bytes are one copy (which object, which signers
// from a pool of role keys and throwaway keys, one by one or batched with
// the next), and every envelope stored must decode and verify.
func FuzzMergedEnvelopeDecodes(f *testing.F) {
	c := newCast(f)
	objs := mergeObjects(f, c)
	roles := []*protocol.Key{c.publisher, c.alice, c.bob, c.carol, c.steward}
	junk := storetest.Keys(f, "junk", 64)
	f.Add([]byte{4, 31, 0, 0, 4, 31, 0x1f, 1, 0, 0, 0, 0})
	f.Add([]byte{2, 30, 0x06, 1, 2, 30, 0x02, 0, 0, 0, 0, 0, 2, 5, 0x04, 0})
	f.Add([]byte{3, 31, 0, 0, 1, 0, 0, 0, 3, 31, 0x08, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 4*16 { // signing dominates: 16 copies of up to 32 signatures
			return
		}
		s := storetest.Open(t)
		var batch []*protocol.Object
		for i := 0; i+4 <= len(script); i += 4 {
			o := objs[int(script[i])%len(objs)]
			n, pick, batched := int(script[i+1])%protocol.MaxSignatures, script[i+2], script[i+3]&1 == 1
			var keys []*protocol.Key
			for j := range n {
				keys = append(keys, junk[(int(script[i+1])*7+j)%len(junk)])
			}
			for j, k := range roles {
				if pick&(1<<j) != 0 && len(keys) < protocol.MaxSignatures-1 {
					keys = append(keys, k)
				}
			}
			batch = append(batch, storetest.Cosign(t, o, keys...))
			if batched && i+8 <= len(script) {
				continue
			}
			res, err := s.PutBatch(batch)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil && protocol.KindOf(r.Err) != protocol.TooLarge {
					t.Fatal(r.Err)
				}
			}
			batch = batch[:0]
		}
		for key, val := range s.Dump() {
			if !strings.HasPrefix(key, "o/") {
				continue
			}
			env, err := protocol.DecodeEnvelope([]byte(val))
			if err == nil {
				err = env.Verify()
			}
			if err != nil {
				t.Fatalf("%s does not read back: %v", key, err)
			}
		}
		for _, o := range objs {
			if _, err := s.Envelope(o.ID); err != nil && protocol.KindOf(err) != protocol.NotFound {
				t.Fatal(err)
			}
		}
	})
}
