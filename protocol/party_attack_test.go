package protocol_test

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// Attacks through rotations (SPEC §4.6): a rotation joins two keys into
// one party, and a party's co-signature counts as its role holder's. A
// thief holding a leaked key must not join keys of its own to a party, and
// no chain of keys made at no cost may make trust expensive to compute.
func TestRotationAttacks(t *testing.T) {
	var (
		a        = mustKey(seq(0x40)).DID() // publisher of the dataset; its key leaked
		b        = mustKey(seq(0x60)).DID() // a's honest successor
		thief    = mustKey(seq(0x80)).DID() // a key of the thief's own
		carol    = mustKey(seq(0xa0)).DID() // issues claims about a's dataset
		dave     = mustKey(seq(0xb0)).DID() // names in them a contributor who does not sign
		steward  = mustKey(seq(0xc0)).DID()
		created  = day(10)
		leakedAt = day(8) // governance revokes the leaked key from here
	)
	policy := func(revoked ...protocol.DID) fakePolicy {
		return fakePolicy{
			isSteward: func(d protocol.DID) bool { return d == steward },
			keyRevokedAt: func(d protocol.DID) (time.Time, bool) {
				return leakedAt, slices.Contains(revoked, d)
			},
		}
	}
	type endorsed map[protocol.ID][]protocol.DID // endorsers of each rotation
	parties := func(p fakePolicy, e endorsed, links ...protocol.Link) protocol.Parties {
		return protocol.NewParties(links, func(l protocol.Link) bool { return protocol.CountsRotation(l, e[l.Rotation], p) })
	}
	// carol's claim about a's dataset, co-signed by signer.
	coSigned := func(signer protocol.DID) protocol.ClaimFacts {
		return protocol.ClaimFacts{Issuer: carol, Contributor: dave, Publisher: a, Created: created, Signers: []protocol.DID{carol, signer}}
	}
	for _, tc := range []struct {
		name  string
		facts protocol.ClaimFacts
		p     fakePolicy
		links []protocol.Link
		e     endorsed
		want  protocol.Trust
	}{
		{"a thief joins its own key to a leaked, revoked key, dated before the revocation: its co-signature is no publisher's",
			coSigned(thief), policy(a), []protocol.Link{link(1, a, thief)}, nil, protocol.Asserted},
		{"the same, the rotation endorsed by someone who is no steward",
			coSigned(thief), policy(a), []protocol.Link{link(1, a, thief)}, endorsed{rotID(1): {carol, thief}}, protocol.Asserted},
		{"the same, endorsed by a steward whose key governance revoked",
			coSigned(thief), policy(a, steward), []protocol.Link{link(1, a, thief)}, endorsed{rotID(1): {steward}}, protocol.Asserted},
		{"a thief joins a leaked successor to its own key after governance revoked the successor",
			coSigned(thief), policy(b), []protocol.Link{link(1, a, b), link(2, b, thief)}, nil, protocol.Asserted},
		{"the same, the honest rotation to the successor endorsed by a steward",
			coSigned(thief), policy(b), []protocol.Link{link(1, a, b), link(2, b, thief)}, endorsed{rotID(1): {steward}}, protocol.Asserted},
		{"the leaked successor's own co-signature counts for nothing",
			coSigned(b), policy(b), []protocol.Link{link(1, a, b)}, endorsed{rotID(1): {steward}}, protocol.Asserted},
		{"a rotation from a revoked key that a steward endorsed counts: the successor acknowledges",
			coSigned(b), policy(a), []protocol.Link{link(1, a, b)}, endorsed{rotID(1): {steward}}, protocol.Acknowledged},
		{"an honest successor's co-signature acknowledges like the old key's",
			coSigned(b), policy(), []protocol.Link{link(1, a, b)}, nil, protocol.Acknowledged},
		{"a backdated claim by a revoked key, witnessed by the successor of the issuer's own party, stays revoked",
			protocol.ClaimFacts{Issuer: a, Contributor: carol, Publisher: b, Created: created.Add(-72 * time.Hour), Signers: []protocol.DID{a, b}},
			policy(a), []protocol.Link{link(1, a, b)}, endorsed{rotID(1): {steward}}, protocol.Revoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.facts.Parties = parties(tc.p, tc.e, tc.links...)
			if got := protocol.TrustOf(tc.facts, tc.p); got != tc.want {
				t.Errorf("TrustOf = %s, want %s", got, tc.want)
			}
		})
	}
}

// A rotation makes the issuer and the publisher one party: a claim the
// successor issued and the old key co-signed is one party vouching for
// itself, no longer acknowledged; and a publisher and contributor joined
// by a rotation are no longer mutual.
func TestRotationJoinsParties(t *testing.T) {
	a, b, carol := mustKey(seq(0x40)).DID(), mustKey(seq(0x60)).DID(), mustKey(seq(0xa0)).DID()
	rotated := protocol.NewParties([]protocol.Link{link(1, a, b)}, countAll)
	for _, tc := range []struct {
		name         string
		facts        protocol.ClaimFacts
		before, with protocol.Trust
	}{
		{"the successor issues, the publisher's old key co-signs",
			protocol.ClaimFacts{Issuer: b, Contributor: carol, Publisher: a, Signers: []protocol.DID{b, a}}, protocol.Acknowledged, protocol.Asserted},
		{"the publisher issues for its successor, which co-signs",
			protocol.ClaimFacts{Issuer: a, Contributor: b, Publisher: a, Signers: []protocol.DID{a, b}}, protocol.Mutual, protocol.Asserted},
	} {
		tc.facts.Created = day(5)
		if got := protocol.TrustOf(tc.facts, fakePolicy{}); got != tc.before {
			t.Errorf("%s, no rotation: %s, want %s", tc.name, got, tc.before)
		}
		tc.facts.Parties = rotated
		if got := protocol.TrustOf(tc.facts, fakePolicy{}); got != tc.with {
			t.Errorf("%s, rotated: %s, want %s", tc.name, got, tc.with)
		}
	}
}

// syntheticKeys names keys by number without making a million Ed25519
// keys: a DID is any 32 bytes that are not a point of small order.
type syntheticKeys struct {
	index map[protocol.DID]int
	reads int // rotations handed to the walk
	calls int
}

func (s *syntheticKeys) key(i int) protocol.DID {
	// Keys in the order of their numbers: a prefix, then i big-endian.
	pub := append([]byte{0x80}, binary.BigEndian.AppendUint64(nil, uint64(i))...)
	pub = append(pub, make([]byte, 32-len(pub))...)
	pub[31] = 0x55
	d, err := protocol.DIDFromPublicKey(pub)
	if err != nil {
		panic(err)
	}
	if s.index == nil {
		s.index = map[protocol.DID]int{}
	}
	s.index[d] = i
	return d
}

// A hostile chain of a million keys, each rotated to the next, and a key
// with a million rotations that do not count: a party walk reads at most
// MaxPartyLinks rotations and holds at most MaxPartyKeys keys.
func TestPartyWalkBounded(t *testing.T) {
	const million = 1_000_000
	for _, tc := range []struct {
		name   string
		linked func(s *syntheticKeys, i, limit int) []protocol.Link
		counts func(protocol.Link) (bool, error)
		party  int
	}{
		{"a chain of a million keys", func(s *syntheticKeys, i, _ int) []protocol.Link {
			var ls []protocol.Link
			if i > 0 {
				ls = append(ls, link(i, s.key(i-1), s.key(i)))
			}
			if i+1 < million {
				ls = append(ls, link(i+1, s.key(i), s.key(i+1)))
			}
			return ls
		}, func(protocol.Link) (bool, error) { return true, nil }, protocol.MaxPartyKeys},
		{"a revoked key with a million rotations", func(s *syntheticKeys, i, limit int) []protocol.Link {
			if i != 0 {
				return []protocol.Link{link(i, s.key(0), s.key(i))}
			}
			// The first limit of a million, as an index reads them.
			var ls []protocol.Link
			for j := 1; j <= min(million, limit); j++ {
				ls = append(ls, link(j, s.key(0), s.key(j)))
			}
			return ls
		}, func(protocol.Link) (bool, error) { return false, nil }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := new(syntheticKeys)
			start := s.key(0)
			party, err := protocol.PartyOf(start, func(k protocol.DID, limit int) ([]protocol.Link, error) {
				s.calls++
				ls := tc.linked(s, s.index[k], limit)
				slices.SortFunc(ls, protocol.CompareLinks)
				ls = ls[:min(limit, len(ls))]
				s.reads += len(ls)
				return ls, nil
			}, tc.counts)
			if err != nil {
				t.Fatal(err)
			}
			if len(party) != tc.party || s.reads > protocol.MaxPartyLinks || s.calls > protocol.MaxPartyKeys {
				t.Errorf("party of %d keys after %d calls reading %d rotations; want %d keys, at most %d rotations read", len(party), s.calls, s.reads, tc.party, protocol.MaxPartyLinks)
			}
		})
	}
}

func BenchmarkPartyOfMillionChain(b *testing.B) {
	s := new(syntheticKeys)
	start := s.key(0)
	for range b.N {
		_, err := protocol.PartyOf(start, func(k protocol.DID, limit int) ([]protocol.Link, error) {
			i := s.index[k]
			ls := []protocol.Link{link(i+1, k, s.key(i+1))}
			if i > 0 {
				ls = append(ls, link(i, s.key(i-1), k))
			}
			slices.SortFunc(ls, protocol.CompareLinks)
			return ls[:min(limit, len(ls))], nil
		}, func(protocol.Link) (bool, error) { return true, nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// rotationKeys is the number of keys over which every set of rotations is
// tried; a party of four keys stays far below MaxPartyKeys and
// MaxPartyLinks, so a party is what the counted rotations join.
const rotationKeys = 4

// rotationWorld is a set of rotations among rotationKeys keys: for each of
// the six pairs, none, one not endorsed, one that a current steward
// endorsed, or one endorsed only by a key that is no steward and by a
// steward whose key is revoked; and the keys governance revoked.
type rotationWorld struct {
	pair    [6]int // noRotation … endorsedByNone
	revoked uint   // bit mask over the keys
}

const (
	noRotation = iota
	notEndorsed
	endorsedBySteward
	endorsedByNone // by a key that is no steward, and by a revoked steward
)

var rotationPairs = [6][2]int{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}

// referenceParties is SPEC §4.6 read line by line, for four keys: "A node
// counts a rotation unless its from or its to is a key governance revoked;
// a rotation touching a revoked key counts only if a current steward …
// issued an endorsement of it that is not withdrawn." "Keys joined by
// counted rotations, in either direction, transitively, form one party."
// It returns the party of each key as a bit mask, by transitive closure.
func referenceParties(w rotationWorld) [rotationKeys]uint {
	var joined [rotationKeys]uint
	for k := range joined {
		joined[k] = 1 << k
	}
	for i, p := range rotationPairs {
		touchesRevoked := w.revoked&(1<<p[0]) != 0 || w.revoked&(1<<p[1]) != 0
		counts := w.pair[i] != noRotation && (!touchesRevoked || w.pair[i] == endorsedBySteward)
		if counts {
			joined[p[0]] |= 1 << p[1]
			joined[p[1]] |= 1 << p[0]
		}
	}
	for range rotationKeys {
		for k := range joined {
			for j := range rotationKeys {
				if joined[k]&(1<<j) != 0 {
					joined[k] |= joined[j]
				}
			}
		}
	}
	return joined
}

// TestPartiesEveryRotationSet compares the parties that NewParties and
// CountsRotation make with referenceParties for every set of rotations
// among four keys (each pair linked or not, in one direction or the
// other, endorsed by a current steward, by no one, or only by keys that
// are no current steward) and every set of keys that governance revoked;
// and, on each, TrustOf with referencePartyTrust for claims drawn at
// random.
func TestPartiesEveryRotationSet(t *testing.T) {
	var dids [rotationKeys]protocol.DID
	for i := range dids {
		dids[i] = mustKey(seq(byte(0x10 * (i + 1)))).DID()
	}
	steward, revokedSteward, stranger := mustKey(seq(0xd0)).DID(), mustKey(seq(0xe0)).DID(), mustKey(seq(0xf0)).DID()
	created := day(5)
	rng := rand.New(rand.NewPCG(1, 2))
	n, failures := 0, 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	for config := range 1 << 12 {
		for revoked := range uint(1 << rotationKeys) {
			w := rotationWorld{revoked: revoked}
			var links []protocol.Link
			endorsers := map[protocol.ID][]protocol.DID{}
			for i, p := range rotationPairs {
				w.pair[i] = config >> (2 * i) & 3
				if w.pair[i] == noRotation {
					continue
				}
				from, to := dids[p[0]], dids[p[1]]
				if (config+i)%2 == 1 {
					from, to = to, from
				}
				l := link(i, from, to)
				links = append(links, l)
				switch w.pair[i] {
				case endorsedBySteward:
					endorsers[l.Rotation] = []protocol.DID{stranger, steward}
				case endorsedByNone:
					endorsers[l.Rotation] = []protocol.DID{stranger, revokedSteward}
				}
			}
			p := fakePolicy{
				isSteward: func(d protocol.DID) bool { return d == steward || d == revokedSteward },
				keyRevokedAt: func(d protocol.DID) (time.Time, bool) {
					if d == revokedSteward {
						return created, true
					}
					for k := range dids {
						if dids[k] == d && revoked&(1<<k) != 0 {
							return created.Add(time.Hour), true
						}
					}
					return time.Time{}, false
				},
			}
			ps := protocol.NewParties(links, func(l protocol.Link) bool { return protocol.CountsRotation(l, endorsers[l.Rotation], p) })
			ref := referenceParties(w)
			for a := range rotationKeys {
				for b := range rotationKeys {
					n++
					if got, want := protocol.SameParty(ps, dids[a], dids[b]), ref[a]&(1<<b) != 0; got != want {
						fail("%+v: SameParty(%d, %d) = %v, reference %v", w, a, b, got, want)
					}
				}
			}
			var label [trustKeys]int
			for k := range label {
				label[k] = slices.IndexFunc(ref[:], func(m uint) bool { return m&(1<<k) != 0 }) // lowest key of k's party
			}
			for range 4 {
				tw := partyWorld{party: label, trustWorld: trustWorld{
					issuer: 0, publisher: rng.IntN(trustKeys+1) - 1, contributor: rng.IntN(trustKeys),
					signers: uint(rng.IntN(1<<trustKeys)) | 1,
				}}
				for k := range tw.revoked {
					if revoked&(1<<k) != 0 {
						tw.revoked[k] = revokedAfter
					}
				}
				f := tw.facts(&dids, created)
				f.Parties = ps
				if got, want := protocol.TrustOf(f, p), referencePartyTrust(tw); got != want {
					fail("%+v, claim %+v: TrustOf = %s, reference %s", w, tw, got, want)
				}
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d comparisons differ", failures, n)
	}
}

// partyWorld is a trustWorld whose keys are grouped into parties: party[k]
// is a label that keys of one party share.
type partyWorld struct {
	trustWorld
	party [trustKeys]int
}

func (w partyWorld) facts(dids *[trustKeys]protocol.DID, created time.Time) protocol.ClaimFacts {
	var signers, endorsers []protocol.DID
	for k := range trustKeys {
		if w.signers&(1<<k) != 0 {
			signers = append(signers, dids[k])
		}
		if w.endorsers&(1<<k) != 0 {
			endorsers = append(endorsers, dids[k])
		}
	}
	f := protocol.ClaimFacts{
		Issuer: dids[w.issuer], Contributor: dids[w.contributor], Created: created,
		Signers: signers, Endorsers: endorsers, Withdrawn: w.withdrawn,
	}
	if w.publisher >= 0 {
		f.Publisher = dids[w.publisher]
	}
	return f
}

// referencePartyTrust is SPEC §4.5 with §4.6, read line by line: roles
// are held by parties.
func referencePartyTrust(w partyWorld) protocol.Trust {
	in := func(set uint, k int) bool { return k >= 0 && set&(1<<k) != 0 }
	isRevoked := func(k int) bool { return w.revoked[k] != notRevoked }
	same := func(a, b int) bool { return a >= 0 && b >= 0 && w.party[a] == w.party[b] }
	// "'the publisher signed' … means a key of that role holder's party
	// signed; a signature by a revoked key counts for nothing, except the
	// issuer's"
	signed := func(role int) bool {
		for k := range trustKeys {
			if same(role, k) && in(w.signers, k) && (k == w.issuer || !isRevoked(k)) {
				return true
			}
		}
		return false
	}
	certified := false
	for k := range trustKeys {
		certified = certified || in(w.endorsers, k) && in(w.stewards, k) && !isRevoked(k)
	}
	// "the publisher's party signed, the publisher not being of the
	// issuer's party …; or an endorsement by a current steward"
	witnessed := w.publisher >= 0 && !same(w.publisher, w.issuer) && signed(w.publisher) || certified
	switch r := w.revoked[w.issuer]; {
	case w.withdrawn: // 1
		return protocol.Revoked
	case r == revokedBefore || r == revokedAt: // 2
		return protocol.Revoked
	case r == revokedAfter && !witnessed: // 3
		return protocol.Revoked
	case certified: // 4
		return protocol.Certified
	case w.publisher >= 0 && !same(w.publisher, w.contributor) && signed(w.publisher) && signed(w.contributor): // 5
		return protocol.Mutual
	case w.publisher >= 0 && !same(w.publisher, w.issuer) && signed(w.publisher): // 6
		return protocol.Acknowledged
	}
	return protocol.Asserted // 7
}

// partitions returns every way to group n keys into parties, as labels.
func partitions(n int) [][trustKeys]int {
	var out [][trustKeys]int
	var rec func(k, next int, cur [trustKeys]int)
	rec = func(k, next int, cur [trustKeys]int) {
		if k == n {
			out = append(out, cur)
			return
		}
		for l := 0; l <= next; l++ {
			cur[k] = l
			rec(k+1, max(next, l+1), cur)
		}
	}
	rec(0, 0, [trustKeys]int{})
	return out
}

// TestTrustOfEveryPartyAssignment is TestTrustOfEveryAssignment over
// parties: every grouping of four keys into parties, every issuer (key 0),
// publisher (or none), contributor, set of co-signers and, for each key,
// no governance revocation or one from before, at or after the claim's
// created; with no endorsement, or one by a current steward.
func TestTrustOfEveryPartyAssignment(t *testing.T) {
	var dids [trustKeys]protocol.DID
	for i := range dids {
		dids[i] = mustKey(seq(byte(0x10 * (i + 1)))).DID()
	}
	created := day(5)
	parts := partitions(trustKeys)
	if len(parts) != 15 {
		t.Fatalf("%d partitions of four keys, want 15", len(parts))
	}
	var w partyWorld
	p := arrayPolicy{dids: &dids, w: &w.trustWorld, revokeAt: [4]time.Time{
		revokedBefore: created.Add(-time.Hour), revokedAt: created, revokedAfter: created.Add(time.Hour),
	}}
	var tl trustTally
	for _, part := range parts {
		ps := protocol.PartyMap{}
		for a := range trustKeys {
			for b := range trustKeys {
				if part[a] == part[b] {
					ps[dids[a]] = append(ps[dids[a]], dids[b])
				}
			}
		}
		for publisher := -1; publisher < trustKeys; publisher++ {
			for contributor := range trustKeys {
				for cosigners := uint(0); cosigners < 1<<trustKeys; cosigners += 2 {
					for _, endorsed := range []bool{false, true} {
						for m := range 4 * 3 * 3 * 3 {
							w = partyWorld{party: part, trustWorld: trustWorld{
								issuer: 0, publisher: publisher, contributor: contributor, signers: cosigners | 1,
							}}
							w.revoked[0] = m % 4
							for k, r := 1, m/4; k < trustKeys; k, r = k+1, r/3 {
								w.revoked[k] = []int{notRevoked, revokedBefore, revokedAfter}[r%3]
							}
							if endorsed { // key 3, a steward, whatever else it is
								w.endorsers, w.stewards = 1<<3, 1<<3
							}
							f := w.facts(&dids, created)
							f.Parties = ps
							tl.check(t, w, protocol.TrustOf(f, p), referencePartyTrust(w))
						}
					}
				}
			}
		}
	}
	tl.done(t)
}
