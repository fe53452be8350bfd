package protocol_test

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The attacks on trust levels: a signature that holds no role, a key that
// governance revoked, a date its holder chose. Each case names the forged
// standing and the level the claim must show instead.
func TestTrustAttacks(t *testing.T) {
	var (
		alice     = mustKey(seq(0x40)).DID() // publisher of the subject
		bob       = mustKey(seq(0x60)).DID() // contributor
		stranger  = mustKey(seq(0x80)).DID()
		thief     = mustKey(seq(0xa0)).DID() // holds a copy of a leaked key
		steward   = mustKey(seq(0xc0)).DID()
		created   = day(10)
		revokedAt = created.Add(time.Hour) // governance revokes the leaked key from here
	)
	policy := func(revoked ...protocol.DID) fakePolicy {
		return fakePolicy{
			isSteward: func(d protocol.DID) bool { return d == steward },
			keyRevokedAt: func(d protocol.DID) (time.Time, bool) {
				for _, r := range revoked {
					if d == r {
						return revokedAt, true
					}
				}
				return time.Time{}, false
			},
		}
	}
	for _, tc := range []struct {
		name  string
		facts protocol.ClaimFacts
		p     fakePolicy
		want  protocol.Trust
	}{
		{"a self-claim plus a stranger's signature stays asserted",
			protocol.ClaimFacts{Issuer: alice, Contributor: alice, Publisher: alice, Signers: []protocol.DID{alice, stranger}},
			policy(), protocol.Asserted},
		{"a publisher's claim for a contributor who did not sign, plus a stranger, stays asserted",
			protocol.ClaimFacts{Issuer: alice, Contributor: bob, Publisher: alice, Signers: []protocol.DID{alice, stranger}},
			policy(), protocol.Asserted},
		{"a stranger's claim signed by strangers stays asserted",
			protocol.ClaimFacts{Issuer: stranger, Contributor: stranger, Publisher: alice, Signers: []protocol.DID{stranger, thief, steward}},
			policy(), protocol.Asserted},
		{"the publisher's co-signature by a key revoked after the claim's date raises nothing",
			protocol.ClaimFacts{Issuer: bob, Contributor: bob, Publisher: alice, Signers: []protocol.DID{bob, alice}},
			policy(alice), protocol.Asserted},
		{"the contributor's co-signature by a revoked key raises nothing",
			protocol.ClaimFacts{Issuer: alice, Contributor: bob, Publisher: alice, Signers: []protocol.DID{alice, bob}},
			policy(bob), protocol.Asserted},
		{"an endorsement by a revoked key does not certify, whatever the policy says of its stewardship",
			protocol.ClaimFacts{Issuer: bob, Contributor: bob, Publisher: alice, Signers: []protocol.DID{bob}, Endorsers: []protocol.DID{steward}},
			policy(steward), protocol.Asserted},
		{"a claim backdated by a revoked key is revoked",
			protocol.ClaimFacts{Issuer: thief, Contributor: thief, Publisher: alice, Signers: []protocol.DID{thief}},
			policy(thief), protocol.Revoked},
		{"a claim backdated by a revoked key, with a stranger's signature, is revoked",
			protocol.ClaimFacts{Issuer: thief, Contributor: bob, Publisher: alice, Signers: []protocol.DID{thief, stranger}},
			policy(thief), protocol.Revoked},
		{"a claim backdated by a revoked key, co-signed by a contributor key of the thief's own, is revoked",
			protocol.ClaimFacts{Issuer: thief, Contributor: stranger, Publisher: alice, Signers: []protocol.DID{thief, stranger}},
			policy(thief), protocol.Revoked},
		{"a claim by a revoked key that the publisher witnessed keeps its level",
			protocol.ClaimFacts{Issuer: thief, Contributor: thief, Publisher: alice, Signers: []protocol.DID{thief, alice}},
			policy(thief), protocol.Mutual},
		{"a claim by a revoked key that a steward endorsed keeps its level",
			protocol.ClaimFacts{Issuer: thief, Contributor: thief, Publisher: alice, Signers: []protocol.DID{thief}, Endorsers: []protocol.DID{steward}},
			policy(thief), protocol.Certified},
		{"a claim by a revoked key witnessed only by another revoked key is revoked",
			protocol.ClaimFacts{Issuer: thief, Contributor: thief, Publisher: alice, Signers: []protocol.DID{thief, alice}},
			policy(thief, alice), protocol.Revoked},
		{"revoke all: a claim by a key revoked from 2000-01-01 is revoked, witnessed or not",
			protocol.ClaimFacts{Issuer: thief, Contributor: thief, Publisher: alice, Signers: []protocol.DID{thief, alice}, Endorsers: []protocol.DID{steward}},
			fakePolicy{
				isSteward:    func(d protocol.DID) bool { return d == steward },
				keyRevokedAt: func(d protocol.DID) (time.Time, bool) { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), d == thief },
			}, protocol.Revoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.facts.Created = created
			if got := protocol.TrustOf(tc.facts, tc.p); got != tc.want {
				t.Errorf("TrustOf = %s, want %s", got, tc.want)
			}
		})
	}
}

// trustKeys is the number of keys over which every assignment of roles is
// tried.
const trustKeys = 4

// revocation of one key by governance, relative to the claim's created.
const (
	notRevoked = iota
	revokedBefore
	revokedAt
	revokedAfter
)

// trustWorld is one assignment of roles to keys 0 … trustKeys-1. Sets are
// bit masks; the issuer always signs (SPEC §3.5).
type trustWorld struct {
	issuer, publisher, contributor int // publisher -1: the subject has none
	signers, endorsers, stewards   uint
	withdrawn                      bool
	revoked                        [trustKeys]int
}

// referenceTrust is SPEC §4.5, read line by line.
func referenceTrust(w trustWorld) protocol.Trust {
	in := func(set uint, k int) bool { return k >= 0 && set&(1<<k) != 0 }
	isRevoked := func(k int) bool { return w.revoked[k] != notRevoked }
	// "A signature raises the level only when it is the signature of a role
	// holder … A signature by a key that governance revoked counts for
	// nothing, except the issuer's, which rules 2 and 3 judge."
	signed := func(k int) bool { return in(w.signers, k) && (k == w.issuer || !isRevoked(k)) }
	// "a revoked key is never a current steward"
	certified := false
	for k := range trustKeys {
		certified = certified || in(w.endorsers, k) && in(w.stewards, k) && !isRevoked(k)
	}
	// "a signature by the subject's publisher, the publisher being neither
	// the issuer nor a revoked key; or an endorsement by a current steward"
	witnessed := w.publisher >= 0 && w.publisher != w.issuer && signed(w.publisher) || certified
	switch r := w.revoked[w.issuer]; {
	case w.withdrawn: // 1
		return protocol.Revoked
	case r == revokedBefore || r == revokedAt: // 2: created at or after T
		return protocol.Revoked
	case r == revokedAfter && !witnessed: // 3: created before T
		return protocol.Revoked
	case certified: // 4
		return protocol.Certified
	case w.publisher >= 0 && w.publisher != w.contributor && signed(w.publisher) && signed(w.contributor): // 5
		return protocol.Mutual
	case w.publisher >= 0 && w.publisher != w.issuer && signed(w.publisher): // 6
		return protocol.Acknowledged
	}
	return protocol.Asserted // 7
}

// arrayPolicy answers for keys by their index in dids.
type arrayPolicy struct {
	dids     *[trustKeys]protocol.DID
	w        *trustWorld
	revokeAt [4]time.Time // by revocation case
}

func (p arrayPolicy) index(d protocol.DID) int {
	for i := range p.dids {
		if p.dids[i] == d {
			return i
		}
	}
	return -1
}

func (p arrayPolicy) IsSteward(d protocol.DID) bool {
	i := p.index(d)
	return i >= 0 && p.w.stewards&(1<<i) != 0
}

func (p arrayPolicy) KeyRevokedAt(d protocol.DID) (time.Time, bool) {
	i := p.index(d)
	if i < 0 || p.w.revoked[i] == notRevoked {
		return time.Time{}, false
	}
	return p.revokeAt[p.w.revoked[i]], true
}

// TestTrustOfEveryAssignment compares TrustOf with referenceTrust for
// every assignment over four keys of issuer, publisher (or none),
// contributor, co-signers, endorsers, stewards, the withdrawn flag and,
// for each key, no governance revocation or one from before, at or after
// the claim's created. Keys are interchangeable, so the issuer is key 0:
// any other assignment is one of these with the keys renamed.
func TestTrustOfEveryAssignment(t *testing.T) {
	var dids [trustKeys]protocol.DID
	for i := range dids {
		dids[i] = mustKey(seq(byte(0x10 * (i + 1)))).DID()
	}
	created := day(5)
	subsets := func(mask uint) []protocol.DID {
		var out []protocol.DID
		for i := range trustKeys {
			if mask&(1<<i) != 0 {
				out = append(out, dids[i])
			}
		}
		return out
	}
	var sets [1 << trustKeys][]protocol.DID
	for m := range sets {
		sets[m] = subsets(uint(m))
	}
	var w trustWorld
	p := arrayPolicy{dids: &dids, w: &w, revokeAt: [4]time.Time{
		revokedBefore: created.Add(-time.Hour), revokedAt: created, revokedAfter: created.Add(time.Hour),
	}}
	var revocations [][trustKeys]int
	for m := range 4 * 3 * 3 * 3 { // the issuer's four cases, three for each other key
		r := [trustKeys]int{m % 4}
		m /= 4
		for k := 1; k < trustKeys; k++ {
			r[k] = []int{notRevoked, revokedBefore, revokedAfter}[m%3]
			m /= 3
		}
		revocations = append(revocations, r)
	}
	var tl trustTally
	for publisher := -1; publisher < trustKeys; publisher++ {
		for contributor := range trustKeys {
			for cosigners := uint(0); cosigners < 1<<trustKeys; cosigners += 2 { // bit 0, the issuer, always set
				for endorsers := range uint(1 << trustKeys) {
					for stewards := range uint(1 << trustKeys) {
						for _, withdrawn := range []bool{false, true} {
							for _, rev := range revocations {
								w = trustWorld{
									issuer: 0, publisher: publisher, contributor: contributor,
									signers: cosigners | 1, endorsers: endorsers, stewards: stewards,
									withdrawn: withdrawn, revoked: rev,
								}
								f := protocol.ClaimFacts{
									Issuer: dids[0], Contributor: dids[contributor], Created: created,
									Signers: sets[w.signers], Endorsers: sets[endorsers], Withdrawn: withdrawn,
								}
								if publisher >= 0 {
									f.Publisher = dids[publisher]
								}
								tl.check(t, w, protocol.TrustOf(f, p), referenceTrust(w))
							}
						}
					}
				}
			}
		}
	}
	tl.done(t)
}

// trustTally compares TrustOf with a reference over many assignments,
// reporting the first ten that differ, and checks that every level
// occurred: an enumeration that never reaches one misses a case.
type trustTally struct {
	n, failures int
	byLevel     map[protocol.Trust]int
}

func (c *trustTally) check(t *testing.T, w any, got, want protocol.Trust) {
	if c.byLevel == nil {
		c.byLevel = map[protocol.Trust]int{}
	}
	c.n++
	c.byLevel[want]++
	if got != want {
		c.failures++
		if c.failures <= 10 {
			t.Helper() // only here: it costs a lock and a stack walk, and check runs millions of times
			t.Errorf("%+v: TrustOf = %s, reference %s", w, got, want)
		}
	}
}

func (c *trustTally) done(t *testing.T) {
	t.Helper()
	if c.failures > 0 {
		t.Errorf("%d of %d assignments differ", c.failures, c.n)
	}
	for _, l := range []protocol.Trust{protocol.Asserted, protocol.Acknowledged, protocol.Mutual, protocol.Certified, protocol.Revoked} {
		if c.byLevel[l] == 0 {
			t.Errorf("no assignment is %s: the enumeration misses a case", l)
		}
	}
	t.Logf("%d assignments: %v", c.n, c.byLevel)
}
