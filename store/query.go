package store

import (
	"errors"
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// CheckPut judges o as Put would, without writing: the error Put would
// refuse it with for a rule of the store (SPEC.md §5.6), or nil when Put
// would store or merge it. A gossip validator calls it, so that nothing is
// forwarded that the store — this node's or another's — will refuse.
// o comes from protocol.VerifyObject.
func (s *Store) CheckPut(o *protocol.Object) error {
	if err := checkShape(o); err != nil {
		return err
	}
	if o.Kind != protocol.KindRevocation {
		return nil
	}
	var refused error
	err := s.view(func(txn *badger.Txn) error {
		switch _, err := txn.Get([]byte(objectKey(o.ID))); {
		case err == nil:
			return nil // stored: Put merges signatures and judges nothing again
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		target, ok, err := getMeta(txn, o.About)
		if err != nil {
			return err
		}
		refused = judgeRevocation(o, target, ok)
		return nil
	})
	if err != nil {
		return protocol.E("check object", protocol.KindOf(err), "%s: %w", o.ID, err)
	}
	return refused
}

// Locate returns the datasets stored here that hold a file with digest d,
// with the paths under which each lists it, in dataset ID order: those
// that list it as a subject, and those with a manifest indexed whole
// (IndexManifest) that list it as an entry (at most maxManifestPaths
// paths each). Derivations that made an artifact with digest d are not
// locations.
func (s *Store) Locate(d protocol.Digest) ([]Location, error) {
	const op = "locate"
	out := []Location{}
	err := s.view(func(txn *badger.Txn) error {
		type hit struct {
			id    protocol.ID
			paths []string
		}
		var hits []hit
		err := scan(txn, filePrefix(d), true, func(key, val []byte) error {
			id, err := idOfKey(key)
			if err != nil {
				return err
			}
			hits = append(hits, hit{id, strings.Split(string(val), "\n")})
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range hits {
			m, ok, err := getMeta(txn, h.id)
			if err != nil {
				return err
			}
			if !ok { // the rest of a large dataset has not committed
				continue
			}
			if ok, err = located(txn, h.id, m); err != nil {
				return err
			}
			if ok { // !ok: a derivation, or a manifest not yet indexed whole
				out = append(out, Location{Dataset: h.id, Name: m.Name, Paths: h.paths})
			}
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E(op, protocol.Other, "%s: %w", d, err)
	}
	return out, nil
}

// Datasets returns every dataset stored here, oldest first (by created,
// then by ID).
func (s *Store) Datasets() ([]*protocol.Object, error) {
	out := []*protocol.Object{}
	err := s.view(func(txn *badger.Txn) error {
		var ids []protocol.ID
		err := scan(txn, famDataset, false, func(key, _ []byte) error {
			id, err := idOfKey(key)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			o, err := s.loadObject(txn, id)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("list datasets", protocol.Other, "%w", err)
	}
	// The d/ keys come in the order of the IDs' text: a stable sort by
	// created alone leaves datasets created at once in ID order, without
	// spelling out two IDs at each comparison.
	slices.SortStableFunc(out, func(a, b *protocol.Object) int {
		return a.Dataset.Created.Compare(b.Dataset.Created)
	})
	return out, nil
}

// Parents returns what id derives from, as far as the index knows: a
// dataset's parents, a derivation's inputs. IDs are in key order.
func (s *Store) Parents(id protocol.ID) ([]protocol.ID, error) {
	return s.idsUnder("parents", famLineage+id.String()+"/")
}

// Children returns the stored datasets and derivations that name id as a
// parent or input.
func (s *Store) Children(id protocol.ID) ([]protocol.ID, error) {
	return s.idsUnder("children", famChild+id.String()+"/")
}

// ClaimsAbout returns the attributions, endorsements and revocations
// stored here whose subject is subject.
func (s *Store) ClaimsAbout(subject protocol.ID) ([]protocol.ID, error) {
	return s.idsUnder("claims about", claimsPrefix(subject))
}

// BySigner returns the objects that d signed, first or as a co-signer.
func (s *Store) BySigner(d protocol.DID) ([]protocol.ID, error) {
	return s.idsUnder("by signer", famSigner+d.String()+"/")
}

// ByContributor returns the attributions that name d as contributor.
func (s *Store) ByContributor(d protocol.DID) ([]protocol.ID, error) {
	return s.idsUnder("by contributor", famContributor+d.String()+"/")
}

// Stats are counts for metrics.
type Stats struct {
	Objects int64                         // objects stored
	ByKind  map[protocol.ObjectKind]int64 // objects stored, by kind
	Chunks  int64                         // manifest chunks stored (not objects)
	LSMSize int64                         // bytes of Badger's LSM tree (0 in memory)
	LogSize int64                         // bytes of Badger's value log (0 in memory)
}

// Stats counts what is stored. It reads a handful of keys.
func (s *Store) Stats() (Stats, error) {
	st := Stats{ByKind: make(map[protocol.ObjectKind]int64)}
	err := s.view(func(txn *badger.Txn) error {
		for k := protocol.KindDataset; k <= lastKind; k++ {
			b, ok, err := get(txn, []byte(countKey(k)))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n, err := decodeCount(b)
			if err != nil {
				return corrupt([]byte(countKey(k)), err)
			}
			st.ByKind[k] = n
			st.Objects += n
		}
		n, err := readCount(txn, []byte(keyChunkCount))
		st.Chunks = n
		return err
	})
	if err != nil {
		return Stats{}, protocol.E("stats", protocol.Other, "%w", err)
	}
	st.LSMSize, st.LogSize = s.dbSize()
	return st, nil
}
