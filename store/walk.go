package store

import (
	"bytes"

	"github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// walkPage is how many keys one read transaction of a walk collects. A walk
// hands them to its caller with no transaction open, so that a slow caller
// (an announcer paced by the network) never pins old versions of the store.
const walkPage = 1024

// EachObject calls f with the ID of every stored object, in key order,
// until f returns false.
func (s *Store) EachObject(f func(protocol.ID) bool) error {
	return s.walk("each object", famObject, func(rest []byte) ([]byte, bool) { return rest, true }, func(k []byte) bool {
		id, err := idOfKey(k)
		return err != nil || f(id)
	})
}

// EachFile calls f once with each digest of a file that a stored dataset
// or derivation names, in key order, until f returns false.
func (s *Store) EachFile(f func(protocol.Digest) bool) error {
	return s.walk("each file", famFile, firstPart, func(part []byte) bool {
		d, err := protocol.ParseDigest(string(part))
		return err != nil || f(d)
	})
}

// EachWholeManifest calls f with the ID of every dataset whose manifest is
// held whole and indexed here (ManifestWhole), in key order, until f
// returns false.
func (s *Store) EachWholeManifest(f func(protocol.ID) bool) error {
	return s.walk("each whole manifest", famWhole, func(rest []byte) ([]byte, bool) { return rest, true }, func(k []byte) bool {
		id, err := protocol.ParseID(string(k))
		return err != nil || f(id)
	})
}

// EachSubject calls f once with each subject this store holds claims about
// (attributions, endorsements, revocations), in key order, until f returns
// false.
func (s *Store) EachSubject(f func(protocol.ID) bool) error {
	return s.walk("each subject", famSubject, firstPart, func(part []byte) bool {
		id, err := protocol.ParseID(string(part))
		return err != nil || f(id)
	})
}

// EachRotatedKey calls f once with each key that a stored rotation names
// as from or to, in key order, until f returns false.
func (s *Store) EachRotatedKey(f func(protocol.DID) bool) error {
	return s.walk("each rotated key", famRotation, firstPart, func(part []byte) bool {
		d, err := protocol.ParseDID(string(part))
		return err != nil || f(d)
	})
}

// firstPart cuts "A/B" to "A": the first part of a key under a family.
func firstPart(rest []byte) ([]byte, bool) {
	i := bytes.IndexByte(rest, '/')
	if i < 0 {
		return nil, false
	}
	return rest[:i], true
}

// walk visits the distinct values part(key without the family prefix)
// under family, a page at a time. After a part A it seeks past every key
// "A/…", so a family of many keys per part costs a seek per part.
func (s *Store) walk(op, family string, part func(rest []byte) ([]byte, bool), f func([]byte) bool) error {
	from := []byte(family)
	for {
		var page [][]byte
		err := s.view(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(family)})
			defer it.Close()
			for it.Seek(from); it.Valid() && len(page) < walkPage; {
				p, ok := part(it.Item().Key()[len(family):])
				if !ok {
					it.Next()
					continue
				}
				p = bytes.Clone(p)
				page = append(page, p)
				// Past every key that starts with family+p, and past
				// family+p itself when p is the whole key.
				from = append(append([]byte(family), p...), 0)
				if len(p) < len(it.Item().Key())-len(family) {
					from = append(append([]byte(family), p...), '/'+1)
				}
				it.Seek(from)
			}
			return nil
		})
		if err != nil {
			return protocol.E(op, protocol.KindOf(err), "%w", err)
		}
		for _, p := range page {
			if !f(p) {
				return nil
			}
		}
		if len(page) < walkPage {
			return nil
		}
	}
}
