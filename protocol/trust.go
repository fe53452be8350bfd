package protocol

import (
	"encoding/json"
	"slices"
	"time"
)

// Trust is the level an attribution earns. It is computed from signatures,
// endorsements, revocations and governance, never declared. Higher values
// win: a revoked claim is revoked whatever else holds.
type Trust uint8

const (
	Asserted     Trust = iota // no role holder but the issuer vouched for it
	Acknowledged              // the subject's publisher's party signed it, not being its issuer's
	Mutual                    // the publisher and the contributor, two parties, both signed it
	Certified                 // a current steward endorsed it
	Revoked                   // withdrawn by its issuer, or its issuer's key was revoked (SPEC §4.5)
)

var trustNames = [...]string{"asserted", "acknowledged", "mutual", "certified", "revoked"}

func (t Trust) String() string {
	if int(t) < len(trustNames) {
		return trustNames[t]
	}
	return "unknown"
}

// MarshalJSON writes the level's name.
func (t Trust) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// Policy is what governance tells attribution: who the stewards are and
// which keys were revoked from when.
type Policy interface {
	IsSteward(DID) bool
	// KeyRevokedAt reports the time from which claims signed by d are void.
	KeyRevokedAt(d DID) (time.Time, bool)
}

// ClaimFacts are what the index knows about an attribution claim.
type ClaimFacts struct {
	Issuer      DID
	Contributor DID
	Created     time.Time
	Signers     []DID
	Publisher   DID   // publisher of the claim's subject (SPEC §4.5); zero when it has none
	Endorsers   []DID // issuers of endorsements of the claim that are not withdrawn
	Withdrawn   bool  // a revocation by the issuer exists
	// Parties joins keys that rotations link (SPEC §4.6); nil leaves every
	// key alone. TrustOf asks it only for the parties of the issuer, the
	// contributor and the publisher.
	Parties Parties
}

// TrustOf computes the trust level of a claim under policy p (SPEC §4.5).
// Every signer is looked up in p, not only the issuer: a key that
// governance revoked vouches for nothing, whatever the claim's date. Roles
// are held by parties (SPEC §4.6): a role holder signed when a key of its
// party did, and two roles are one party when f.Parties says so.
func TrustOf(f ClaimFacts, p Policy) Trust {
	if f.Withdrawn {
		return Revoked
	}
	j := judge{f: f, p: p}
	if at, ok := p.KeyRevokedAt(f.Issuer); ok && (!f.Created.Before(at) || !j.witnessed()) {
		return Revoked
	}
	switch {
	case j.certified():
		return Certified
	case !j.same(f.Publisher, f.Contributor) && j.vouches(f.Publisher) && j.vouches(f.Contributor):
		return Mutual
	case !j.same(f.Publisher, f.Issuer) && j.vouches(f.Publisher):
		return Acknowledged
	}
	return Asserted
}

// judge answers the questions of SPEC §4.5 about one claim.
type judge struct {
	f ClaimFacts
	p Policy
}

func (j judge) revoked(d DID) bool { return keyRevoked(j.p, d) }

func (j judge) same(a, b DID) bool { return SameParty(j.f.Parties, a, b) }

// vouches reports whether a key of role holder d's party signed with a
// signature that counts: any signature by a key governance revoked counts
// for nothing, except the issuer's own, whose revocation TrustOf has
// judged already.
func (j judge) vouches(d DID) bool {
	if d.IsZero() {
		return false
	}
	for _, s := range j.f.Signers {
		if inParty(j.f.Parties, d, s) && (s == j.f.Issuer || !j.revoked(s)) {
			return true
		}
	}
	return false
}

// certified reports whether a current steward endorsed the claim. A
// revoked key is never a steward (SPEC §8.5), whatever p says.
func (j judge) certified() bool {
	return slices.ContainsFunc(j.f.Endorsers, func(e DID) bool { return currentSteward(j.p, e) })
}

// witnessed reports whether a party that is not revoked, and whose role
// the issuer did not choose, vouched for the claim: the subject's
// publisher, not being the issuer's party, signed it, or a current steward
// endorsed it. The claim's date is its issuer's word, and so is its
// contributor: a thief holding the issuer's key names a key of its own as
// contributor and co-signs with it. A witness is what that thief cannot
// forge.
func (j judge) witnessed() bool {
	d := j.f.Publisher
	return !j.same(d, j.f.Issuer) && j.vouches(d) || j.certified()
}

// UnmarshalText reads a level's name, so that API clients can decode what
// MarshalJSON wrote.
func (t *Trust) UnmarshalText(b []byte) error {
	for i, name := range trustNames {
		if string(b) == name {
			*t = Trust(i)
			return nil
		}
	}
	return E("parse trust", Invalid, "unknown trust level %q", clip(string(b)))
}

// Stewards is a Policy with a fixed set of stewards and no revoked keys: a
// commons before governance has spoken.
type Stewards map[DID]bool

func (s Stewards) IsSteward(d DID) bool               { return s[d] }
func (s Stewards) KeyRevokedAt(DID) (time.Time, bool) { return time.Time{}, false }

var _ Policy = Stewards(nil)
