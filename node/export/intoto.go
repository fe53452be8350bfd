package export

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// InToto writes the in-toto bundle (.intoto.jsonl) of every object behind
// the attribution answer for id: one DSSE envelope a line, as stored here
// with its signatures merged (SPEC.md §2.8), in ID order. Every commons
// object is already a DSSE envelope of an in-toto Statement v1 (§3.1), so
// any DSSE verifier checks its signatures by the did:key of each keyid.
//
// The objects are: the subject and every ancestor and derivation of the
// lineage held here; every claim about them (attributions, endorsements,
// revocations) and every claim about those claims; and the rotations that
// join the keys that signed any of these, and their successors, into
// parties (§4.6).
func InToto(src Source, id protocol.ID) ([]byte, error) {
	l, err := collect(src, id)
	if err != nil {
		return nil, err
	}
	ids, err := l.behind()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, x := range ids {
		env, err := src.Store.Envelope(x)
		if err != nil {
			return nil, err
		}
		b.Write(env.Encode())
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// behind lists, in ID order, the objects held here that the attribution
// answer is made of (see InToto).
func (l *lineage) behind() ([]protocol.ID, error) {
	s := l.src.Store
	set := map[protocol.ID]bool{}
	var claims []protocol.ID
	for _, n := range l.nodes {
		if l.objects[n] != nil {
			set[n] = true
		}
		about, err := s.ClaimsAbout(n)
		if err != nil {
			return nil, err
		}
		claims = append(claims, about...)
	}
	for len(claims) > 0 {
		c := claims[0]
		claims = claims[1:]
		if set[c] {
			continue
		}
		set[c] = true
		about, err := s.ClaimsAbout(c)
		if err != nil {
			return nil, err
		}
		claims = append(claims, about...)
	}
	// The rotations of every key that signed or is named, and of the keys
	// they join, until no new key appears.
	keys := map[protocol.DID]bool{}
	var queue []protocol.DID
	addKey := func(d protocol.DID) {
		if !d.IsZero() && !keys[d] {
			keys[d] = true
			queue = append(queue, d)
		}
	}
	for x := range set {
		env, err := s.Envelope(x)
		if err != nil {
			return nil, err
		}
		for _, d := range env.Signers() {
			addKey(d)
		}
	}
	for _, d := range l.agents() {
		addKey(d)
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		rots, err := s.RotationsOf(d)
		if err != nil {
			return nil, err
		}
		for _, r := range rots {
			if set[r] {
				continue
			}
			o, err := s.Object(r)
			if err != nil {
				return nil, err
			}
			set[r] = true
			addKey(o.Rotation.From)
			addKey(o.Rotation.To)
		}
	}
	out := make([]protocol.ID, 0, len(set))
	for x := range set {
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b protocol.ID) int { return cmp.Compare(a.String(), b.String()) })
	return out, nil
}
