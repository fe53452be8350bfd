package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// Attacks on trust through rotations held in the store (SPEC.md §4.6).

// revoking returns a policy with steward c.steward in which the keys ks
// are revoked by governance from a time before every object of the test.
func revoking(c cast, ks ...*protocol.Key) fakePolicy {
	return fakePolicy{
		steward: func(d protocol.DID) bool { return d == c.steward.DID() },
		revokedAt: func(d protocol.DID) (time.Time, bool) {
			return storetest.Epoch, slices.ContainsFunc(ks, func(k *protocol.Key) bool { return k.DID() == d })
		},
	}
}

// The publisher's key leaks and governance revokes it. The thief joins a
// key of its own to the leaked key by a rotation, which both keys sign:
// the thief's co-signature on a claim about the publisher's dataset must
// not count as the publisher's. The honest successor's counts once a
// steward endorses the honest rotation, and no longer once the steward
// withdraws the endorsement.
func TestLeakedKeyRotationAttack(t *testing.T) {
	c := newCast(t)
	thief, successor := c.mallory, c.carol
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	byThief := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), thief)
	bySuccessor := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "reviewer", 0.4), successor)
	honest := storetest.NewRotation(t, c.publisher, successor, "")
	storetest.MustPut(t, s, ds, byThief, bySuccessor, honest, storetest.NewRotation(t, c.publisher, thief, ""))

	trust := func(claim *protocol.Object) protocol.Trust {
		return contributorOf(t, attribution(t, s, ds.ID, revoking(c, c.publisher)), claim.ID).Trust
	}
	if got := trust(byThief); got != protocol.Asserted {
		t.Errorf("the thief's co-signature: %s, want asserted", got)
	}
	if got := trust(bySuccessor); got != protocol.Asserted {
		t.Errorf("the successor's co-signature, its rotation not endorsed: %s, want asserted", got)
	}
	endorsement := storetest.NewEndorsement(t, c.steward, honest.ID, "verified in person")
	storetest.MustPut(t, s, endorsement, storetest.NewEndorsement(t, c.alice, honest.ID, "no steward"))
	if got := trust(bySuccessor); got != protocol.Acknowledged {
		t.Errorf("the successor's co-signature, its rotation endorsed by a steward: %s, want acknowledged", got)
	}
	if got := trust(byThief); got != protocol.Asserted {
		t.Errorf("the thief's co-signature, the honest rotation endorsed: %s, want asserted", got)
	}
	storetest.MustPut(t, s, storetest.NewRevocation(t, c.steward, endorsement.ID, "too hasty"))
	if got := trust(bySuccessor); got != protocol.Asserted {
		t.Errorf("the successor's co-signature, the endorsement withdrawn: %s, want asserted", got)
	}
}

// The publisher rotates to a successor, whose key then leaks; governance
// revokes it. The thief joins the leaked successor to a key of its own:
// that key is no party of the publisher's.
func TestLeakedSuccessorRotationAttack(t *testing.T) {
	c := newCast(t)
	successor, thief := c.carol, c.mallory
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), thief)
	storetest.MustPut(t, s, ds, claim, storetest.NewRotation(t, c.publisher, successor, ""), storetest.NewRotation(t, successor, thief, ""))
	if got := contributorOf(t, attribution(t, s, ds.ID, nil), claim.ID).Trust; got != protocol.Acknowledged {
		t.Fatalf("before the revocation: %s, want acknowledged (the chain counts while no key is revoked)", got)
	}
	if got := contributorOf(t, attribution(t, s, ds.ID, revoking(c, successor)), claim.ID).Trust; got != protocol.Asserted {
		t.Errorf("the leaked successor revoked: %s, want asserted", got)
	}
}

// A chain of rotations longer than a party: a co-signature by the 64th
// key from the publisher counts as the publisher's, by the 65th it does
// not (MaxPartyKeys).
func TestRotationChainBound(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	chain := append([]*protocol.Key{c.publisher}, storetest.Keys(t, "chain", protocol.MaxPartyKeys+4)...)
	var objs []*protocol.Object
	for i := 1; i < len(chain); i++ {
		objs = append(objs, storetest.NewRotation(t, chain[i-1], chain[i], ""))
	}
	last := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5), chain[protocol.MaxPartyKeys-1])
	beyond := storetest.Cosign(t, storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "reviewer", 0.4), chain[protocol.MaxPartyKeys])
	storetest.MustPut(t, s, append(objs, ds, last, beyond)...)
	a := attribution(t, s, ds.ID, nil)
	if got := contributorOf(t, a, last.ID).Trust; got != protocol.Acknowledged {
		t.Errorf("co-signed by the 64th key of the chain: %s, want acknowledged", got)
	}
	if got := contributorOf(t, a, beyond.ID).Trust; got != protocol.Asserted {
		t.Errorf("co-signed by the 65th key of the chain: %s, want asserted", got)
	}
}

// A claim padded to the limit by junk keys still takes the signature of
// the publisher's successor once the rotation is held: a key of a role
// holder's party pushes padding out like the role holder.
func TestSuccessorPushesPaddingOut(t *testing.T) {
	c := newCast(t)
	s := storetest.Open(t)
	ds := storetest.NewDataset(t, c.publisher, "birds")
	claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
	storetest.MustPut(t, s, ds, storetest.Cosign(t, claim, storetest.Keys(t, "padding", 31)...), storetest.NewRotation(t, c.publisher, c.carol, ""))
	res, err := s.Put(storetest.Cosign(t, claim, append(storetest.Keys(t, "more", 3), c.carol)...))
	if err != nil || res.Added != 1 || res.Signers != protocol.MaxSignatures {
		t.Fatalf("Put = %+v, %v; want the successor's signature in place of padding", res, err)
	}
	if got := contributorOf(t, attribution(t, s, ds.ID, nil), claim.ID); got.Trust != protocol.Acknowledged {
		t.Errorf("%s, want acknowledged", got.Trust)
	}
}
