package store

import (
	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Contributors returns, for each of ids, the attribution claims about it
// with their trust under policy p (nil means no stewards and no revoked
// keys), as Attribution gives those of an ancestor: the publisher is the
// one its record names. It reads no lineage, and reads all of ids in one
// snapshot: a caller that walks a lineage of its own pays for each
// subject once.
func (s *Store) Contributors(p protocol.Policy, ids ...protocol.ID) ([][]Contributor, error) {
	if p == nil {
		p = protocol.Stewards(nil)
	}
	out := make([][]Contributor, len(ids))
	err := s.view(func(txn *badger.Txn) error {
		q := attributionQuery{txn: txn, policy: p, parties: newPartyReader(txn, p, &s.rotated)}
		defer q.parties.close()
		for i, id := range ids {
			a, err := q.ancestor(id, protocol.ID{}, 0)
			if err != nil {
				return err
			}
			out[i] = a.Contributors
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("contributors", protocol.Other, "%w", err)
	}
	return out, nil
}
