package store

import (
	"github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// A read trims a stored envelope in two cases: an earlier version of the
// store merged every signature of every copy and wrote it over the limits
// of SPEC.md §2.1; or it holds co-signatures that the roles, judged again
// now that the claim's subject is held here, no longer give meaning to.
// The reader serves it trimmed (decodeStored) and queues its ID here; one
// goroutine rewrites each queued envelope trimmed, through the writer, so
// that it is trimmed once. Readers never wait for it: a full queue drops
// the ID, and the next read queues it again.

// repairQueue is how many IDs wait to be rewritten.
const repairQueue = 64

// queueRepair asks for the envelope of id to be rewritten trimmed.
func (s *Store) queueRepair(id protocol.ID) {
	select {
	case s.repairs <- id:
	default:
	}
}

// repairLoop rewrites the queued envelopes until Close.
func (s *Store) repairLoop() {
	defer close(s.repairDone)
	for {
		select {
		case <-s.stop:
			return
		case id := <-s.repairs:
			if err := s.repair(id); err != nil {
				s.log.Warn("rewrite of a trimmed envelope failed", "id", id, "err", err)
			}
		}
	}
}

// repair stores the trimmed envelope of id as a copy of the object: the
// merge of it into the stored one keeps only what the trimmed one holds,
// and rewrites the envelope, the signer index and a claim's summary.
func (s *Store) repair(id protocol.ID) error {
	var o *protocol.Object
	err := s.view(func(txn *badger.Txn) error {
		env, trimmed, err := readEnvelope(txn, id)
		if err != nil || !trimmed {
			return err
		}
		o, err = protocol.ParseObject(env)
		return err
	})
	if err != nil || o == nil {
		return err
	}
	_, err = s.Put(o)
	return err
}
