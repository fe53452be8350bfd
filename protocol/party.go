package protocol

import (
	"bytes"
	"slices"
	"strings"
)

// Parties: keys that rotations join (SPEC.md §4.6). A key holder that
// rotates keeps its standing: a role held by the old key is held by the
// party, and a co-signature by the successor counts as the old key's.

// MaxPartyKeys bounds a party: the walk that finds one stops once it holds
// this many keys, so that a chain of keys made at no cost cannot make a
// trust computation walk a million of them.
const MaxPartyKeys = 64

// MaxPartyLinks bounds the rotations one party walk reads, counted or not:
// a key may have any number of rotations that do not count (a revoked key
// that a thief joins to keys of its own), and reading them all would cost
// as much as walking them.
const MaxPartyLinks = 1024

// Link is a rotation as a party walk sees it: the rotation's object ID and
// the two keys it joins.
type Link struct {
	Rotation ID
	From, To DID
}

// LinkOf returns the link of o, a rotation.
func LinkOf(o *Object) Link {
	return Link{Rotation: o.ID, From: o.Rotation.From, To: o.Rotation.To}
}

// Other returns the key that l joins to k: To for From, From otherwise.
func (l Link) Other(k DID) DID {
	if k == l.From {
		return l.To
	}
	return l.From
}

// CountsRotation reports whether a node counts rotation l under policy p
// (SPEC §4.6). endorsers are the issuers of the endorsements of the
// rotation that are not withdrawn. A rotation counts unless its from or
// its to is a key governance revoked, whatever the effective time; then
// it counts only if a current steward, itself not revoked, endorsed it:
// a thief holding a leaked key could otherwise date a rotation to a key of
// its own before the revocation, or join a leaked successor to its own
// key.
func CountsRotation(l Link, endorsers []DID, p Policy) bool {
	if !keyRevoked(p, l.From) && !keyRevoked(p, l.To) {
		return true
	}
	return slices.ContainsFunc(endorsers, func(e DID) bool { return currentSteward(p, e) })
}

func keyRevoked(p Policy, d DID) bool {
	_, ok := p.KeyRevokedAt(d)
	return ok
}

// currentSteward reports whether d is a steward under p and no key that
// governance revoked: a revoked key is never a steward (SPEC §8.5),
// whatever p says.
func currentSteward(p Policy, d DID) bool { return p.IsSteward(d) && !keyRevoked(p, d) }

// PartyOf returns the party of key k (SPEC §4.6): the keys that a
// breadth-first walk from k over the counted rotations reaches, k first.
// The walk reads the rotations of each key it holds, in the order it
// reached them, in ascending order of the rotation's ID text, and adds the
// other keys of those that count in ascending order of their did:key
// text; it stops once it holds MaxPartyKeys keys or has read
// MaxPartyLinks rotations.
//
// links returns the first at most limit rotations held that touch a key,
// in that order; counts says which of them count. An error of either ends
// the walk.
func PartyOf(k DID, links func(k DID, limit int) ([]Link, error), counts func(Link) (bool, error)) ([]DID, error) {
	party := []DID{k}
	var seen map[DID]bool // made at the first link: most keys have none
	budget := MaxPartyLinks
	for next := 0; next < len(party) && len(party) < MaxPartyKeys && budget > 0; next++ {
		at := party[next]
		ls, err := links(at, budget)
		if err != nil {
			return nil, err
		}
		budget -= len(ls)
		if len(ls) > 0 && seen == nil {
			seen = map[DID]bool{k: true}
		}
		var neighbours []DID
		for _, l := range ls {
			n := l.Other(at)
			if l.From != at && l.To != at || seen[n] {
				continue
			}
			ok, err := counts(l)
			if err != nil {
				return nil, err
			}
			if ok {
				seen[n] = true
				neighbours = append(neighbours, n)
			}
		}
		// Public-key byte order is did:key text order: every Ed25519
		// did:key is the same length, and base58's alphabet is in ASCII
		// order (TestPartyNeighbourOrder).
		slices.SortFunc(neighbours, CompareDIDs)
		party = append(party, neighbours[:min(len(neighbours), MaxPartyKeys-len(party))]...)
	}
	return party, nil
}

// CompareLinks orders rotations as a party walk reads them: by the text of
// their IDs, the order of the store's keys (store/SCHEMA.md).
func CompareLinks(a, b Link) int { return strings.Compare(a.Rotation.String(), b.Rotation.String()) }

// CompareDIDs orders DIDs by their public keys, which is the order of
// their did:key text.
func CompareDIDs(a, b DID) int { return bytes.Compare(a.pub[:], b.pub[:]) }

// Parties tells TrustOf which keys are one party (SPEC §4.6). A nil
// Parties leaves every key alone.
type Parties interface {
	// Party returns the party of k, k among its keys.
	Party(k DID) []DID
}

// PartyMap is Parties found beforehand: the party of each key it holds;
// a key it does not hold is alone. TrustOf asks only for the parties of a
// claim's issuer, contributor and publisher.
type PartyMap map[DID][]DID

func (m PartyMap) Party(k DID) []DID {
	if ks, ok := m[k]; ok {
		return ks
	}
	return []DID{k}
}

var _ Parties = PartyMap(nil)

// inParty reports whether d is a key of k's party under ps.
func inParty(ps Parties, k, d DID) bool {
	if k == d {
		return true
	}
	return ps != nil && slices.Contains(ps.Party(k), d)
}

// SameParty reports whether a and b are one party under ps: the party of
// either holds the other (SPEC §4.6). With a nil ps, a key is its own
// party alone.
func SameParty(ps Parties, a, b DID) bool { return inParty(ps, a, b) || inParty(ps, b, a) }

// Rotations are the rotations a node holds, in memory, with the policy
// that decides which count: Parties for a caller without an index.
type Rotations struct {
	byKey   map[DID][]Link
	counts  func(Link) bool
	parties map[DID][]DID
}

// NewParties returns the parties that links make, counting those that
// counts accepts (CountsRotation with the rotation's endorsers, for a
// node). Parties are walked when first asked for, and remembered.
func NewParties(links []Link, counts func(Link) bool) *Rotations {
	r := &Rotations{byKey: map[DID][]Link{}, counts: counts, parties: map[DID][]DID{}}
	for _, l := range links {
		r.byKey[l.From] = append(r.byKey[l.From], l)
		r.byKey[l.To] = append(r.byKey[l.To], l)
	}
	return r
}

func (r *Rotations) Party(k DID) []DID {
	if ks, ok := r.parties[k]; ok {
		return ks
	}
	ks, _ := PartyOf(k,
		func(d DID, limit int) ([]Link, error) {
			ls := slices.SortedFunc(slices.Values(r.byKey[d]), CompareLinks)
			return ls[:min(limit, len(ls))], nil
		},
		func(l Link) (bool, error) { return r.counts(l), nil })
	r.parties[k] = ks
	return ks
}

var _ Parties = (*Rotations)(nil)
