package protocol_test

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// rotID is a made-up rotation ID: parties read only its text, for order.
func rotID(n int) protocol.ID { return protocol.ObjectID([]byte{byte(n), byte(n >> 8), 'r'}) }

func link(n int, from, to protocol.DID) protocol.Link {
	return protocol.Link{Rotation: rotID(n), From: from, To: to}
}

func countAll(protocol.Link) bool { return true }

func TestLinkOf(t *testing.T) {
	o, err := protocol.ParseObject(vectorByName("rotation"))
	if err != nil {
		t.Fatal(err)
	}
	l := protocol.LinkOf(o)
	if l.Rotation != o.ID || l.From != vectorKey.DID() || l.To != otherKey.DID() {
		t.Errorf("LinkOf = %+v", l)
	}
	if l.Other(l.From) != l.To || l.Other(l.To) != l.From {
		t.Errorf("Other does not cross the link")
	}
}

// Public-key order is did:key text order, on which the walk's neighbour
// order rests.
func TestPartyNeighbourOrder(t *testing.T) {
	var dids []protocol.DID
	for i := range 300 {
		dids = append(dids, mustKey(seq(byte(i))).DID(), mustKey(sha(i)).DID())
	}
	byKey := slices.SortedFunc(slices.Values(dids), protocol.CompareDIDs)
	byText := slices.SortedFunc(slices.Values(dids), func(a, b protocol.DID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(byKey, byText) {
		t.Error("CompareDIDs is not did:key text order")
	}
}

func sha(i int) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return h[:]
}

func TestCountsRotation(t *testing.T) {
	a, b, steward, stranger := mustKey(seq(0x40)).DID(), mustKey(seq(0x60)).DID(), mustKey(seq(0x80)).DID(), mustKey(seq(0xa0)).DID()
	l := link(1, a, b)
	policy := func(revoked ...protocol.DID) fakePolicy {
		return fakePolicy{
			isSteward: func(d protocol.DID) bool { return d == steward },
			keyRevokedAt: func(d protocol.DID) (time.Time, bool) {
				return day(3), slices.Contains(revoked, d)
			},
		}
	}
	for _, tc := range []struct {
		name      string
		endorsers []protocol.DID
		p         fakePolicy
		want      bool
	}{
		{"no key revoked", nil, policy(), true},
		{"from revoked", nil, policy(a), false},
		{"to revoked", nil, policy(b), false},
		{"from revoked, a stranger endorsed it", []protocol.DID{stranger}, policy(a), false},
		{"from revoked, a steward endorsed it", []protocol.DID{stranger, steward}, policy(a), true},
		{"to revoked, a steward endorsed it", []protocol.DID{steward}, policy(b), true},
		{"both revoked, a steward endorsed it", []protocol.DID{steward}, policy(a, b), true},
		{"from revoked, endorsed by a steward whose key is revoked", []protocol.DID{steward}, policy(a, steward), false},
		{"a revoked steward endorses a rotation that needs no endorsement", []protocol.DID{steward}, policy(steward), true},
	} {
		if got := protocol.CountsRotation(l, tc.endorsers, tc.p); got != tc.want {
			t.Errorf("%s: CountsRotation = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPartyOf(t *testing.T) {
	k := make([]protocol.DID, 6)
	for i := range k {
		k[i] = mustKey(seq(byte(0x10 * (i + 1)))).DID()
	}
	sorted := func(ds ...protocol.DID) []protocol.DID {
		return slices.SortedFunc(slices.Values(ds), protocol.CompareDIDs)
	}
	for _, tc := range []struct {
		name  string
		links []protocol.Link
		from  protocol.DID
		want  []protocol.DID
	}{
		{"no rotation", nil, k[0], []protocol.DID{k[0]}},
		{"forward", []protocol.Link{link(1, k[0], k[1])}, k[0], []protocol.DID{k[0], k[1]}},
		{"backward", []protocol.Link{link(1, k[0], k[1])}, k[1], []protocol.DID{k[1], k[0]}},
		{"a chain, transitively", []protocol.Link{link(1, k[0], k[1]), link(2, k[1], k[2])}, k[2], []protocol.DID{k[2], k[1], k[0]}},
		{"others' rotations", []protocol.Link{link(1, k[0], k[1]), link(2, k[2], k[3])}, k[0], []protocol.DID{k[0], k[1]}},
		{"two rotations of one pair", []protocol.Link{link(1, k[0], k[1]), link(2, k[1], k[0])}, k[0], []protocol.DID{k[0], k[1]}},
		{"neighbours in did:key order", []protocol.Link{link(1, k[0], k[3]), link(2, k[0], k[1]), link(3, k[2], k[0])}, k[0],
			append([]protocol.DID{k[0]}, sorted(k[1], k[2], k[3])...)},
	} {
		ps := protocol.NewParties(tc.links, countAll)
		if got := ps.Party(tc.from); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Party = %v, want %v", tc.name, got, tc.want)
		}
	}
	// A rotation that does not count joins nothing, and cuts a chain.
	ps := protocol.NewParties([]protocol.Link{link(1, k[0], k[1]), link(2, k[1], k[2])},
		func(l protocol.Link) bool { return l.Rotation != rotID(2) })
	if got := ps.Party(k[0]); !slices.Equal(got, []protocol.DID{k[0], k[1]}) {
		t.Errorf("uncounted rotation: Party = %v", got)
	}
	if protocol.SameParty(ps, k[0], k[2]) || !protocol.SameParty(ps, k[1], k[0]) || !protocol.SameParty(nil, k[3], k[3]) || protocol.SameParty(nil, k[3], k[4]) {
		t.Error("SameParty is wrong")
	}
}

// Past MaxPartyKeys the party of K is the first keys of the walk from K,
// and two keys are one party when either one's walk reaches the other.
func TestPartyBound(t *testing.T) {
	var keys []protocol.DID
	for i := range protocol.MaxPartyKeys + 10 {
		keys = append(keys, mustKey(sha(i)).DID())
	}
	var links []protocol.Link
	for i := 1; i < len(keys); i++ {
		links = append(links, link(i, keys[i-1], keys[i]))
	}
	ps := protocol.NewParties(links, countAll)
	first := ps.Party(keys[0])
	if len(first) != protocol.MaxPartyKeys || !slices.Equal(first, keys[:protocol.MaxPartyKeys]) {
		t.Fatalf("party of the chain's head: %d keys, want the first %d", len(first), protocol.MaxPartyKeys)
	}
	last := keys[len(keys)-1]
	if protocol.SameParty(ps, keys[0], last) {
		t.Error("the head and the tail, 73 rotations apart, are one party")
	}
	if !protocol.SameParty(ps, keys[0], keys[protocol.MaxPartyKeys-1]) || !protocol.SameParty(ps, keys[protocol.MaxPartyKeys-1], keys[0]) {
		t.Error("the head and the 64th key are not one party")
	}
}

// TrustOf by parties, case by case (SPEC §4.5, §4.6).
func TestTrustOfParties(t *testing.T) {
	var (
		a, b     = mustKey(seq(0x40)).DID(), mustKey(seq(0x60)).DID() // a rotated to b
		carol    = mustKey(seq(0x80)).DID()
		stranger = mustKey(seq(0xa0)).DID()
	)
	rotated := protocol.NewParties([]protocol.Link{link(1, a, b)}, countAll)
	for _, tc := range []struct {
		name  string
		facts protocol.ClaimFacts
		want  protocol.Trust
	}{
		{"the successor's co-signature acknowledges like the old key's",
			protocol.ClaimFacts{Issuer: carol, Contributor: stranger, Publisher: a, Signers: []protocol.DID{carol, b}}, protocol.Acknowledged},
		{"the successor, of the publisher's party, and the contributor: mutual",
			protocol.ClaimFacts{Issuer: carol, Contributor: carol, Publisher: a, Signers: []protocol.DID{carol, b}}, protocol.Mutual},
		{"the successor issues, the old key co-signs: one party, asserted",
			protocol.ClaimFacts{Issuer: b, Contributor: carol, Publisher: a, Signers: []protocol.DID{b, a}}, protocol.Asserted},
		{"the successor issues about the contributor, who co-signs: mutual",
			protocol.ClaimFacts{Issuer: b, Contributor: carol, Publisher: a, Signers: []protocol.DID{b, carol}}, protocol.Mutual},
		{"publisher and contributor one party: not mutual",
			protocol.ClaimFacts{Issuer: a, Contributor: b, Publisher: a, Signers: []protocol.DID{a, b}}, protocol.Asserted},
		{"a stranger's signature is no party's",
			protocol.ClaimFacts{Issuer: carol, Contributor: carol, Publisher: a, Signers: []protocol.DID{carol, stranger}}, protocol.Asserted},
	} {
		tc.facts.Created = day(5)
		tc.facts.Parties = rotated
		if got := protocol.TrustOf(tc.facts, fakePolicy{}); got != tc.want {
			t.Errorf("%s: TrustOf = %s, want %s", tc.name, got, tc.want)
		}
	}
}
