package store

import (
	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Rotations (SPEC.md §4.6, §5.1): each is indexed under both of its keys,
// r/<key>/<rotation> → the other key, so that a party walk reads the
// rotations of a key in ID order and stops reading where the walk stops,
// and the fetch protocol pages through them by seeking (RotationsPage).

func rotationKey(d protocol.DID, id protocol.ID) string {
	return famRotation + d.String() + "/" + id.String()
}

func rotationsPrefix(d protocol.DID) string { return famRotation + d.String() + "/" }

func (k *keyBuf) rotation(d protocol.DID, id protocol.ID) []byte {
	return k.join(famRotation, k.did(d), "/", k.id(id))
}

// addRotation indexes rotation o under both of its keys.
func (p *pending) addRotation(o *protocol.Object) {
	r := o.Rotation
	p.set(p.keys.rotation(r.From, o.ID), appendDID(nil, r.To))
	p.set(p.keys.rotation(r.To, o.ID), appendDID(nil, r.From))
	p.rotated.add(r.From, r.To)
}

// decodeRotationValue reads the value of an r/ key: the other key of the
// rotation, a did. Any error is of kind Invalid.
func decodeRotationValue(b []byte) (protocol.DID, error) {
	d := decoder{what: "rotation entry", b: b}
	other := d.did()
	if d.err == nil && other.IsZero() {
		d.fail("no other key")
	}
	if err := d.finish(); err != nil {
		return protocol.DID{}, err
	}
	return other, nil
}

// rotationsIn returns the first at most limit rotations of key d in txn,
// in ascending order of their ID text: the order of protocol.PartyOf. Each
// link's From is d and its To the other key, whichever way the rotation
// went: a party walk crosses a rotation either way.
func rotationsIn(txn *badger.Txn, d protocol.DID, limit int) ([]protocol.Link, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(famRotation)})
	defer it.Close()
	return rotationsAt(it, d, limit)
}

// rotationsAt is rotationsIn with it, an iterator over r/ that a query
// moves from key to key: making an iterator costs more than the seek.
func rotationsAt(it *badger.Iterator, d protocol.DID, limit int) ([]protocol.Link, error) {
	prefix := []byte(rotationsPrefix(d))
	var out []protocol.Link
	var scratch idScratch
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
		item := it.Item()
		key := item.Key()
		id, err := idOfKeyScratch(key, &scratch)
		if err != nil {
			return nil, err
		}
		var other protocol.DID
		err = item.Value(func(val []byte) error {
			var err error
			other, err = decodeRotationValue(val)
			return err
		})
		if err != nil {
			return nil, corrupt(key, err)
		}
		out = append(out, protocol.Link{Rotation: id, From: d, To: other})
	}
	return out, nil
}

// RotationsOf returns the IDs of the rotations stored here whose from or
// to is d, in ascending order of their text.
func (s *Store) RotationsOf(d protocol.DID) ([]protocol.ID, error) {
	return s.idsUnder("rotations of", rotationsPrefix(d))
}

// RotationsPage returns up to limit IDs, after after (from the first when
// after is zero) in ascending order of their text, of the rotations
// stored here whose from or to is d, and whether more follow: the IDs of
// RotationsOf(d), paged with one seek.
func (s *Store) RotationsPage(d protocol.DID, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	const op = "rotations page"
	if limit <= 0 {
		return nil, false, protocol.E(op, protocol.Invalid, "limit %d: want at least 1", limit)
	}
	err = s.view(func(txn *badger.Txn) error {
		prefix := []byte(rotationsPrefix(d))
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var scratch idScratch
		for seekAfter(it, prefix, after); it.ValidForPrefix(prefix); it.Next() {
			if len(ids) == limit {
				more = true
				return nil
			}
			id, err := idOfKeyScratch(it.Item().Key(), &scratch)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, false, protocol.E(op, protocol.KindOf(err), "%s: %w", d, err)
	}
	return ids, more, nil
}

// Party returns the party of d under policy p (nil: no stewards and no
// revoked keys), as the rotations stored here make it (SPEC.md §4.6): d
// first, then the keys the walk reached.
func (s *Store) Party(d protocol.DID, p protocol.Policy) ([]protocol.DID, error) {
	if p == nil {
		p = protocol.Stewards(nil)
	}
	var party []protocol.DID
	err := s.view(func(txn *badger.Txn) error {
		r := newPartyReader(txn, p, &s.rotated)
		defer r.close()
		if err := r.find(d); err != nil {
			return err
		}
		party = r.parties.Party(d)
		return nil
	})
	if err != nil {
		return nil, protocol.E("party", protocol.Other, "%s: %w", d, err)
	}
	return party, nil
}

// partyReader finds parties for the claims of one query: the rotations
// held in its snapshot, counted under its policy (protocol.CountsRotation
// with the endorsements of each rotation that are not withdrawn).
type partyReader struct {
	txn     *badger.Txn
	it      *badger.Iterator // over r/; nil when the store holds no rotation
	policy  protocol.Policy
	parties protocol.PartyMap    // nil when the store holds no rotation
	counted map[protocol.ID]bool // by rotation
	rotated *rotatedKeys         // the keys some rotation names; no other has a party to walk
}

func newPartyReader(txn *badger.Txn, p protocol.Policy, rotated *rotatedKeys) *partyReader {
	r := &partyReader{txn: txn, policy: p, rotated: rotated}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(famRotation)})
	if it.Rewind(); !it.Valid() {
		it.Close()
		return r // most stores hold no rotation: then every key is alone
	}
	r.it, r.parties, r.counted = it, protocol.PartyMap{}, map[protocol.ID]bool{}
	return r
}

// close releases the reader's iterator, before its transaction ends.
func (r *partyReader) close() {
	if r.it != nil {
		r.it.Close()
	}
}

// Parties returns what TrustOf needs: nil when the store holds no
// rotation, else the parties found so far.
func (r *partyReader) Parties() protocol.Parties {
	if r.parties == nil {
		return nil
	}
	return r.parties
}

// find walks the parties of the keys ds that are not known yet.
func (r *partyReader) find(ds ...protocol.DID) error {
	if r.parties == nil {
		return nil
	}
	for _, d := range ds {
		if _, ok := r.parties[d]; ok || d.IsZero() || !r.rotated.has(d) {
			continue // a key no rotation names is a party of its own
		}
		party, err := protocol.PartyOf(d, func(k protocol.DID, limit int) ([]protocol.Link, error) {
			return rotationsAt(r.it, k, limit)
		}, r.counts)
		if err != nil {
			return err
		}
		r.parties[d] = party
	}
	return nil
}

func (r *partyReader) counts(l protocol.Link) (bool, error) {
	if c, ok := r.counted[l.Rotation]; ok {
		return c, nil
	}
	var endorsers []protocol.DID
	_, fromRevoked := r.policy.KeyRevokedAt(l.From)
	_, toRevoked := r.policy.KeyRevokedAt(l.To)
	if fromRevoked || toRevoked { // only then do endorsements decide
		err := scan(r.txn, claimsPrefix(l.Rotation), true, func(key, val []byte) error {
			s, err := decodeSummary(val)
			if err != nil {
				return corrupt(key, err)
			}
			if s.Kind == protocol.KindEndorsement && !s.Withdrawn {
				endorsers = append(endorsers, s.Issuer)
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	c := protocol.CountsRotation(l, endorsers, r.policy)
	r.counted[l.Rotation] = c
	return c, nil
}
