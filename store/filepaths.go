package store

import (
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// LocatePage is DatasetsPage with, for each dataset, its name and at most
// maxPaths of the paths under which it lists the file (maxPaths ≤ 0: all
// of them), in the order of its f/ value: the page that the fetch
// protocol's files answer carries (SPEC.md §7.3), so that a node that
// never saw a dataset can look the file up in its manifest. The datasets
// are those of DatasetsPage, so the two never disagree on which to list.
func (s *Store) LocatePage(d protocol.Digest, after protocol.ID, limit, maxPaths int) (page []Location, more bool, err error) {
	const op = "locate page"
	ids, more, err := s.DatasetsPage(d, after, limit)
	if err != nil {
		return nil, false, err
	}
	page = make([]Location, 0, len(ids))
	err = s.view(func(txn *badger.Txn) error {
		for _, id := range ids {
			val, ok, err := get(txn, []byte(fileKey(d, id)))
			if err != nil {
				return err
			}
			m, okMeta, err := getMeta(txn, id)
			if err != nil {
				return err
			}
			if !ok || !okMeta { // DatasetsPage listed it: nothing is ever deleted
				return protocol.E("", protocol.Other, "dataset %s was listed and is gone", id)
			}
			page = append(page, Location{Dataset: id, Name: m.Name, Paths: splitPaths(string(val), maxPaths)})
		}
		return nil
	})
	if err != nil {
		return nil, false, protocol.E(op, protocol.KindOf(err), "%s: %w", d, err)
	}
	return page, more, nil
}

// splitPaths splits an f/ value into at most max paths (all when max ≤ 0),
// without splitting the rest of a long value.
func splitPaths(val string, max int) []string {
	if max <= 0 {
		return strings.Split(val, "\n")
	}
	paths := strings.SplitN(val, "\n", max+1)
	if len(paths) > max {
		paths = paths[:max]
	}
	return paths
}
