package store

import (
	"bytes"
	"math"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Rotations (SPEC.md §4.6, §5.1): each is indexed under both of its keys,
// r/<key>/<other key>/<rotation>, so that a party walk reads the
// rotations of a key in the order it visits them (the other key's did:key
// text, then the rotation's ID) and stops reading where the walk stops.

func rotationKey(d, other protocol.DID, id protocol.ID) string {
	return famRotation + d.String() + "/" + other.String() + "/" + id.String()
}

func rotationsPrefix(d protocol.DID) string { return famRotation + d.String() + "/" }

func (k *keyBuf) rotation(d, other protocol.DID, id protocol.ID) []byte {
	return k.join(famRotation, k.did(d), "/", k.did(other), "/", k.id(id))
}

// addRotation indexes rotation o under both of its keys.
func (p *pending) addRotation(o *protocol.Object) {
	r := o.Rotation
	p.set(p.keys.rotation(r.From, r.To, o.ID), nil)
	p.set(p.keys.rotation(r.To, r.From, o.ID), nil)
}

// rotationsIn returns the first at most limit rotations of key d in txn,
// in key order: the order of protocol.PartyOf. Each link's From is d and
// its To the other key, whichever way the rotation went: a party walk
// crosses a rotation either way.
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
	for it.Seek(prefix); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
		key := it.Item().Key()
		other, id, err := parseRotationKey(key[len(prefix):])
		if err != nil {
			return nil, corrupt(key, err)
		}
		out = append(out, protocol.Link{Rotation: id, From: d, To: other})
	}
	return out, nil
}

// parseRotationKey reads "<other>/<id>", the end of an r/ key.
func parseRotationKey(rest []byte) (protocol.DID, protocol.ID, error) {
	slash := bytes.IndexByte(rest, '/')
	if slash < 0 {
		return protocol.DID{}, protocol.ID{}, errRotationKey
	}
	other, err := protocol.ParseDID(string(rest[:slash]))
	if err != nil {
		return protocol.DID{}, protocol.ID{}, err
	}
	id, err := protocol.ParseID(string(rest[slash+1:]))
	if err != nil {
		return protocol.DID{}, protocol.ID{}, err
	}
	if !id.IsObject() {
		return protocol.DID{}, protocol.ID{}, errRotationID
	}
	return other, id, nil
}

var (
	errRotationKey = protocol.E("", protocol.Invalid, "no rotation ID after the other key")
	errRotationID  = protocol.E("", protocol.Invalid, "the rotation ID is not an object ID")
)

// Rotations returns the rotations stored here that join d to another
// key, either way, in the order a party walk reads them (SPEC.md §4.6).
func (s *Store) Rotations(d protocol.DID) ([]protocol.Link, error) {
	var out []protocol.Link
	err := s.view(func(txn *badger.Txn) error {
		var err error
		out, err = rotationsIn(txn, d, math.MaxInt)
		return err
	})
	if err != nil {
		return nil, protocol.E("rotations", protocol.Other, "%s: %w", d, err)
	}
	return out, nil
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
		r := newPartyReader(txn, p)
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
}

func newPartyReader(txn *badger.Txn, p protocol.Policy) *partyReader {
	r := &partyReader{txn: txn, policy: p}
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
		if _, ok := r.parties[d]; ok || d.IsZero() {
			continue
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
