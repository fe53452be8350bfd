package store

import (
	"bytes"
	"errors"

	"github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Governance updates (SPEC.md §8) are kept under g/<id> as their encoded
// envelopes, byte for byte as they arrived. The store does not read them:
// the node decodes, verifies and folds them, and keeps the state in memory.
// They are few (thousands), small (at most 64 KiB) and never change.

// errStopWalk ends a scan early, without error.
var errStopWalk = errors.New("stop")

func govKey(id protocol.ID) string { return famGovernance + id.String() }

// PutGovUpdate stores the encoded update id, synced. It reports whether it
// was new; storing an update again changes nothing.
func (s *Store) PutGovUpdate(id protocol.ID, raw []byte) (bool, error) {
	const op = "put governance update"
	if id.IsZero() || len(raw) == 0 {
		return false, protocol.E(op, protocol.Invalid, "no ID or no bytes")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.roomToWrite(op); err != nil {
		return false, err
	}
	key := []byte(govKey(id))
	fresh := false
	err := s.db.Update(func(txn *badger.Txn) error {
		old, ok, err := get(txn, key)
		if err != nil {
			return err
		}
		if ok {
			if !bytes.Equal(old, raw) {
				return protocol.E(op, protocol.Exists, "%s is stored with other bytes", id)
			}
			return nil
		}
		fresh = true
		return txn.Set(key, bytes.Clone(raw))
	})
	if err != nil {
		return false, protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	return fresh, nil
}

// GovUpdate returns the encoded update id, or an error of kind NotFound.
func (s *Store) GovUpdate(id protocol.ID) ([]byte, error) {
	var out []byte
	err := s.view(func(txn *badger.Txn) error {
		v, ok, err := get(txn, []byte(govKey(id)))
		if err != nil {
			return err
		}
		if !ok {
			return protocol.E("get governance update", protocol.NotFound, "%s is not stored here", id)
		}
		out = v
		return nil
	})
	if err != nil && !protocol.IsKind(err, protocol.NotFound) {
		return nil, protocol.E("get governance update", protocol.Other, "%s: %w", id, err)
	}
	return out, err
}

// EachGovUpdate calls f with every stored update, in key order, until f
// returns false. f must not keep raw past its return.
func (s *Store) EachGovUpdate(f func(id protocol.ID, raw []byte) bool) error {
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, famGovernance, true, func(key, val []byte) error {
			id, err := idOfKey(key)
			if err != nil {
				return err
			}
			if !f(id, val) {
				return errStopWalk
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return protocol.E("each governance update", protocol.KindOf(err), "%w", err)
	}
	return nil
}

// DropGovUpdates deletes every stored governance update and returns how
// many there were: what a repo leaves behind when it moves from the
// commons of one it founded into another network (node.Join),
// whose updates would name the old network.
func (s *Store) DropGovUpdates() (int, error) {
	const op = "drop governance updates"
	var keys [][]byte
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, famGovernance, false, func(key, _ []byte) error {
			keys = append(keys, bytes.Clone(key))
			return nil
		})
	})
	if err != nil {
		return 0, protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return 0, protocol.E(op, protocol.Other, "%w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, protocol.E(op, protocol.Other, "%w", err)
	}
	return len(keys), nil
}
