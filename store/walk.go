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
// or derivation names, in key order, until f returns false. The entries
// of a dataset with a manifest count once it is indexed whole: a digest
// listed only by a manifest half indexed is not visited.
func (s *Store) EachFile(f func(protocol.Digest) bool) error {
	return s.walkKept("each file", famFile, firstPart, keepFile(), func(part []byte) bool {
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

// keepFile returns the filter of EachFile: an f/ entry is kept unless it
// is of a dataset with a manifest not yet indexed whole. What it learns of
// each dataset it remembers for the walk.
func keepFile() func(txn *badger.Txn, key []byte) (bool, error) {
	seen := map[protocol.ID]bool{}
	var scratch idScratch
	return func(txn *badger.Txn, key []byte) (bool, error) {
		id, err := idOfKeyScratch(key, &scratch)
		if err != nil {
			return true, nil // as the walk without a filter: EachFile skips what it cannot parse
		}
		if keep, ok := seen[id]; ok {
			return keep, nil
		}
		m, ok, err := getMeta(txn, id)
		if err != nil {
			return false, err
		}
		keep := true
		if ok && m.Kind == protocol.KindDataset && !m.About.IsZero() {
			if keep, err = has(txn, wholeKey(id)); err != nil {
				return false, err
			}
		}
		if len(seen) >= walkPage {
			clear(seen) // many datasets: remember the latest ones
		}
		seen[id] = keep
		return keep, nil
	}
}

// walk visits the distinct values part(key without the family prefix)
// under family, a page at a time. After a part A it seeks past every key
// "A/…", so a family of many keys per part costs a seek per part.
func (s *Store) walk(op, family string, part func(rest []byte) ([]byte, bool), f func([]byte) bool) error {
	return s.walkKept(op, family, part, nil, f)
}

// walkKept is walk that visits a part only for a key that keep, when
// given, keeps; the other keys of the part are tried in turn.
func (s *Store) walkKept(op, family string, part func(rest []byte) ([]byte, bool), keep func(txn *badger.Txn, key []byte) (bool, error), f func([]byte) bool) error {
	from := []byte(family)
	for {
		var page [][]byte
		err := s.view(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(family)})
			defer it.Close()
			for it.Seek(from); it.Valid() && len(page) < walkPage; {
				p, ok := part(it.Item().Key()[len(family):])
				if ok && keep != nil {
					var err error
					if ok, err = keep(txn, it.Item().Key()); err != nil {
						return err
					}
				}
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
