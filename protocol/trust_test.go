package protocol_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// fakePolicy is a Policy made of function fields; a nil field answers no.
type fakePolicy struct {
	isSteward    func(protocol.DID) bool
	keyRevokedAt func(protocol.DID) (time.Time, bool)
}

func (p fakePolicy) IsSteward(d protocol.DID) bool {
	return p.isSteward != nil && p.isSteward(d)
}

func (p fakePolicy) KeyRevokedAt(d protocol.DID) (time.Time, bool) {
	if p.keyRevokedAt == nil {
		return time.Time{}, false
	}
	return p.keyRevokedAt(d)
}

var _ protocol.Policy = fakePolicy{}

func TestTrustOf(t *testing.T) {
	issuer := vectorKey.DID()
	contributor := otherKey.DID()
	publisher := mustKey(seq(0x40)).DID()
	steward := mustKey(seq(0x60)).DID()
	stranger := mustKey(seq(0x80)).DID()
	created := day(2)

	stewards := func(ds ...protocol.DID) func(protocol.DID) bool {
		return func(d protocol.DID) bool {
			for _, s := range ds {
				if s == d {
					return true
				}
			}
			return false
		}
	}
	revokedAt := func(who protocol.DID, at time.Time) func(protocol.DID) (time.Time, bool) {
		return func(d protocol.DID) (time.Time, bool) { return at, d == who }
	}
	facts := func(f func(*protocol.ClaimFacts)) protocol.ClaimFacts {
		c := protocol.ClaimFacts{Issuer: issuer, Contributor: contributor, Created: created, Signers: []protocol.DID{issuer}, Publisher: publisher}
		if f != nil {
			f(&c)
		}
		return c
	}
	signers := func(ds ...protocol.DID) func(*protocol.ClaimFacts) {
		return func(c *protocol.ClaimFacts) { c.Signers = ds }
	}
	for _, tc := range []struct {
		name   string
		facts  protocol.ClaimFacts
		policy fakePolicy
		want   protocol.Trust
	}{
		{"only the issuer signed", facts(nil), fakePolicy{}, protocol.Asserted},
		{"publisher unknown", facts(func(c *protocol.ClaimFacts) {
			c.Publisher = protocol.DID{}
			c.Signers = []protocol.DID{issuer, contributor}
		}), fakePolicy{}, protocol.Asserted},
		{"contributor signed, publisher did not", facts(signers(issuer, contributor)), fakePolicy{}, protocol.Asserted},
		{"publisher co-signed", facts(signers(issuer, publisher)), fakePolicy{}, protocol.Acknowledged},
		{"publisher is the only signer, as issuer", facts(func(c *protocol.ClaimFacts) { c.Publisher = issuer }), fakePolicy{}, protocol.Asserted},
		{"publisher is the issuer, the contributor co-signed", facts(func(c *protocol.ClaimFacts) { c.Publisher = issuer; c.Signers = []protocol.DID{issuer, c.Contributor} }), fakePolicy{}, protocol.Mutual},
		{"contributor and publisher signed", facts(signers(issuer, contributor, publisher)), fakePolicy{}, protocol.Mutual},
		{"contributor issued, publisher co-signed", facts(func(c *protocol.ClaimFacts) {
			c.Issuer = contributor
			c.Signers = []protocol.DID{contributor, publisher}
		}), fakePolicy{}, protocol.Mutual},
		{"endorsed by a non-steward", facts(func(c *protocol.ClaimFacts) { c.Endorsers = []protocol.DID{stranger} }), fakePolicy{isSteward: stewards(steward)}, protocol.Asserted},
		{"endorsed by a steward", facts(func(c *protocol.ClaimFacts) { c.Endorsers = []protocol.DID{stranger, steward} }), fakePolicy{isSteward: stewards(steward)}, protocol.Certified},
		{"certified beats mutual", facts(func(c *protocol.ClaimFacts) {
			c.Signers = []protocol.DID{issuer, contributor, publisher}
			c.Endorsers = []protocol.DID{steward}
		}), fakePolicy{isSteward: stewards(steward)}, protocol.Certified},
		{"withdrawn", facts(func(c *protocol.ClaimFacts) { c.Withdrawn = true }), fakePolicy{}, protocol.Revoked},
		{"withdrawn beats certified", facts(func(c *protocol.ClaimFacts) {
			c.Withdrawn = true
			c.Signers = []protocol.DID{issuer, contributor, publisher}
			c.Endorsers = []protocol.DID{steward}
		}), fakePolicy{isSteward: stewards(steward)}, protocol.Revoked},
		{"issuer key revoked before created", facts(nil), fakePolicy{keyRevokedAt: revokedAt(issuer, created.Add(-time.Second))}, protocol.Revoked},
		{"issuer key revoked at created", facts(nil), fakePolicy{keyRevokedAt: revokedAt(issuer, created)}, protocol.Revoked},
		{"issuer key revoked after created, no witness", facts(nil), fakePolicy{keyRevokedAt: revokedAt(issuer, created.Add(time.Second))}, protocol.Revoked},
		{"issuer key revoked after created, the publisher witnessed", facts(signers(issuer, publisher)), fakePolicy{keyRevokedAt: revokedAt(issuer, created.Add(time.Second))}, protocol.Acknowledged},
		{"issuer key revoked after created, the contributor is no witness", facts(signers(issuer, contributor)), fakePolicy{keyRevokedAt: revokedAt(issuer, created.Add(time.Second))}, protocol.Revoked},
		{"key revoked beats certified", facts(func(c *protocol.ClaimFacts) { c.Endorsers = []protocol.DID{steward} }), fakePolicy{isSteward: stewards(steward), keyRevokedAt: revokedAt(issuer, created)}, protocol.Revoked},
		{"revoked after created, witnessed by a steward, keeps certified", facts(func(c *protocol.ClaimFacts) { c.Endorsers = []protocol.DID{steward} }), fakePolicy{isSteward: stewards(steward), keyRevokedAt: revokedAt(issuer, created.Add(time.Hour))}, protocol.Certified},
		{"the publisher's key revoked before created", facts(signers(issuer, publisher)), fakePolicy{keyRevokedAt: revokedAt(publisher, created.Add(-time.Hour))}, protocol.Asserted},
		{"the publisher's key revoked after created", facts(signers(issuer, publisher)), fakePolicy{keyRevokedAt: revokedAt(publisher, created.Add(time.Hour))}, protocol.Asserted},
		{"the contributor's key revoked", facts(signers(issuer, contributor, publisher)), fakePolicy{keyRevokedAt: revokedAt(contributor, created.Add(time.Hour))}, protocol.Acknowledged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := protocol.TrustOf(tc.facts, tc.policy); got != tc.want {
				t.Errorf("TrustOf = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTrustNames(t *testing.T) {
	for tr, want := range map[protocol.Trust]string{
		protocol.Asserted: "asserted", protocol.Acknowledged: "acknowledged", protocol.Mutual: "mutual",
		protocol.Certified: "certified", protocol.Revoked: "revoked", protocol.Trust(99): "unknown",
	} {
		if got := tr.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", tr, got, want)
		}
		b, _ := json.Marshal(tr)
		if string(b) != `"`+want+`"` {
			t.Errorf("json of %s = %s", want, b)
		}
	}
	if !(protocol.Asserted < protocol.Acknowledged && protocol.Acknowledged < protocol.Mutual && protocol.Mutual < protocol.Certified && protocol.Certified < protocol.Revoked) {
		t.Error("trust levels are not ordered by precedence")
	}
}

func TestStewardsPolicy(t *testing.T) {
	p := protocol.Stewards{otherKey.DID(): true}
	if !p.IsSteward(otherKey.DID()) || p.IsSteward(vectorKey.DID()) {
		t.Error("Stewards.IsSteward wrong")
	}
	if _, ok := p.KeyRevokedAt(otherKey.DID()); ok {
		t.Error("Stewards revokes keys")
	}
	f := protocol.ClaimFacts{Issuer: vectorKey.DID(), Contributor: vectorKey.DID(), Created: day(1), Signers: []protocol.DID{vectorKey.DID()}, Endorsers: []protocol.DID{otherKey.DID()}}
	if got := protocol.TrustOf(f, p); got != protocol.Certified {
		t.Errorf("TrustOf under Stewards = %s, want certified", got)
	}
}

func TestErrorKinds(t *testing.T) {
	inner := protocol.E("", protocol.Other, "deep")
	err := protocol.E("op", protocol.TooLarge, "wrapped: %w", inner)
	if protocol.KindOf(err) != protocol.TooLarge || !protocol.IsKind(err, protocol.TooLarge) || protocol.IsKind(nil, protocol.Other) {
		t.Errorf("KindOf = %s", protocol.KindOf(err))
	}
	if err.Error() != "op: wrapped: deep" {
		t.Errorf("Error() = %q", err)
	}
	outer := protocol.E("outer", protocol.Other, "%w", protocol.E("in", protocol.NotFound, "x"))
	if protocol.KindOf(outer) != protocol.NotFound {
		t.Errorf("KindOf skips Other wrappers: got %s", protocol.KindOf(outer))
	}
	for k, want := range map[protocol.Kind]string{protocol.Other: "other", protocol.Invalid: "invalid", protocol.NotFound: "not found", protocol.Transient: "transient", protocol.Exists: "exists", protocol.Forbidden: "forbidden", protocol.TooLarge: "too large", protocol.Kind(200): "kind(200)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), want)
		}
	}
}
