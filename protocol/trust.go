package protocol

import (
	"encoding/json"
	"time"
)

// Trust is the level an attribution earns. It is computed from signatures,
// endorsements, revocations and governance, never declared. Higher values
// win: a revoked claim is revoked whatever else holds.
type Trust uint8

const (
	Asserted     Trust = iota // only the issuer signed, or the publisher did not
	Acknowledged              // the subject's publisher signed, besides the issuer
	Mutual                    // both the contributor and the publisher signed
	Certified                 // a current steward endorsed it
	Revoked                   // withdrawn by its issuer, or its key was revoked before it was issued
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
	Publisher   DID   // publisher of the claim's subject; zero when unknown
	Endorsers   []DID // issuers of endorsements of the claim
	Withdrawn   bool  // a revocation by the issuer exists
}

// TrustOf computes the trust level of a claim under policy p.
func TrustOf(f ClaimFacts, p Policy) Trust {
	if f.Withdrawn {
		return Revoked
	}
	if at, ok := p.KeyRevokedAt(f.Issuer); ok && !f.Created.Before(at) {
		return Revoked
	}
	for _, e := range f.Endorsers {
		if p.IsSteward(e) {
			return Certified
		}
	}
	signed := func(d DID) bool {
		for _, s := range f.Signers {
			if s == d {
				return true
			}
		}
		return false
	}
	if onlyIssuer(f) || f.Publisher.IsZero() || !signed(f.Publisher) {
		return Asserted
	}
	if signed(f.Contributor) {
		return Mutual
	}
	return Acknowledged
}

// onlyIssuer reports whether the issuer is the claim's only signer: then
// the claim is asserted, even when the issuer is the publisher, since no
// second party has vouched for it.
func onlyIssuer(f ClaimFacts) bool {
	for _, s := range f.Signers {
		if s != f.Issuer {
			return false
		}
	}
	return true
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
