package store

import (
	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Makers returns the IDs of the derivations stored here that made an
// artifact with digest d, withdrawn or not, in key order: every object
// that Attribution reads to judge the artifact's publisher and name.
func (s *Store) Makers(d protocol.Digest) ([]protocol.ID, error) {
	var out []protocol.ID
	err := s.view(func(txn *badger.Txn) error {
		var ids []protocol.ID
		err := scan(txn, filePrefix(d), false, func(key, _ []byte) error {
			id, err := idOfKey(key)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, ok, err := getMeta(txn, id)
			if err != nil {
				return err
			}
			if ok && m.Kind == protocol.KindDerivation {
				out = append(out, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("makers", protocol.Other, "%s: %w", d, err)
	}
	return out, nil
}
