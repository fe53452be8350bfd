package store

import (
	"errors"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Envelope returns the stored envelope of id, with every signature
// received so far that carries meaning. An absent object is an error of
// kind NotFound.
func (s *Store) Envelope(id protocol.ID) (*protocol.Envelope, error) {
	var env *protocol.Envelope
	err := s.view(func(txn *badger.Txn) error {
		var err error
		env, err = s.loadEnvelope(txn, id)
		return err
	})
	return env, err
}

// Object returns the stored object id with the meaning of its payload. It
// was verified when it was stored; its signatures are not checked again.
func (s *Store) Object(id protocol.ID) (*protocol.Object, error) {
	var o *protocol.Object
	err := s.view(func(txn *badger.Txn) error {
		var err error
		o, err = s.loadObject(txn, id)
		return err
	})
	return o, err
}

// Has reports whether object id is stored.
func (s *Store) Has(id protocol.ID) (bool, error) {
	var ok bool
	err := s.view(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(objectKey(id)))
		switch {
		case err == nil:
			ok = true
		case errors.Is(err, badger.ErrKeyNotFound):
			err = nil
		}
		return err
	})
	if err != nil {
		return false, protocol.E("has object", protocol.Other, "%s: %w", id, err)
	}
	return ok, nil
}

func notStored(op string, id protocol.ID) error {
	return protocol.E(op, protocol.NotFound, "object %s is not stored here", id)
}

// loadEnvelope reads the envelope of id. One that holds signatures without
// meaning, or that an earlier version of the store wrote over the limits
// of SPEC.md §2.1, is returned trimmed (decodeStored) and queued to be
// rewritten so (repair.go).
func (s *Store) loadEnvelope(txn *badger.Txn, id protocol.ID) (*protocol.Envelope, error) {
	env, trimmed, err := readEnvelope(txn, id)
	if trimmed {
		s.queueRepair(id)
	}
	return env, err
}

func readEnvelope(txn *badger.Txn, id protocol.ID) (env *protocol.Envelope, trimmed bool, err error) {
	const op = "get envelope"
	key := []byte(objectKey(id))
	b, ok, err := get(txn, key)
	if err != nil {
		return nil, false, protocol.E(op, protocol.Other, "%s: %w", id, err)
	}
	if !ok {
		return nil, false, notStored(op, id)
	}
	env, trimmed, err = decodeStored(readRoles{txn}, key, b, &names{})
	if err != nil && isStoreFailure(err) {
		err = protocol.E(op, protocol.Other, "%s: %w", id, err)
	}
	return env, trimmed, err
}

func (s *Store) loadObject(txn *badger.Txn, id protocol.ID) (*protocol.Object, error) {
	env, err := s.loadEnvelope(txn, id)
	if err != nil {
		return nil, err
	}
	o, err := protocol.ParseObject(env)
	if err != nil {
		return nil, corrupt([]byte(objectKey(id)), err)
	}
	return o, nil
}

// get returns a copy of the value at key; ok is false when there is none.
func get(txn *badger.Txn, key []byte) (val []byte, ok bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	val, err = item.ValueCopy(nil)
	return val, err == nil, err
}

// getMeta reads the meta record of id; ok is false when id is not stored.
func getMeta(txn *badger.Txn, id protocol.ID) (m meta, ok bool, err error) {
	key := []byte(metaKey(id))
	b, ok, err := get(txn, key)
	if err != nil || !ok {
		return meta{}, false, err
	}
	m, err = decodeMeta(b)
	if err != nil {
		return meta{}, false, corrupt(key, err)
	}
	return m, true, nil
}

// scan calls fn for every key under prefix, in key order. val is nil
// unless withValues, and both are valid only during the call. Values are
// read one at a time, not prefetched: the values scanned are small and
// stored inline in the LSM tree, and prefetching would copy each.
func scan(txn *badger.Txn, prefix string, withValues bool, fn func(key, val []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		var err error
		if withValues {
			err = item.Value(func(val []byte) error { return fn(item.Key(), val) })
		} else {
			err = fn(item.Key(), nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// idsUnder returns the IDs that end the keys under prefix, in key order.
func (s *Store) idsUnder(op, prefix string) ([]protocol.ID, error) {
	ids := []protocol.ID{}
	err := s.view(func(txn *badger.Txn) error {
		return scan(txn, prefix, false, func(key, _ []byte) error {
			id, err := idOfKey(key)
			if err == nil {
				ids = append(ids, id)
			}
			return err
		})
	})
	if err != nil {
		return nil, protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	return ids, nil
}
