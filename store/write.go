package store

import (
	"errors"
	"syscall"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Writes are serialised by Store.writeMu. A writing transaction reads what
// it is about to change (a stored envelope, a claim's summary) and also
// scans for claims that arrived before the object they name; Badger's
// conflict detection would cover the keys read, but not a key that a scan
// did not find because another transaction was adding it at that moment.
// One writer at a time closes that gap, and makes conflict detection
// useless: Open turns it off. Readers are never blocked.

// maxConflictRetries bounds the retries of a commit that Badger refuses
// with ErrConflict, which it does not do with conflict detection off; the
// retries stay in case it is turned back on.
const maxConflictRetries = 16

// txnMarkerSize is what Badger counts for a transaction's commit marker
// before anything is set (Txn.size in DB.newTransaction).
const txnMarkerSize = int64(len("!badger!txn") + 10)

// Put stores one verified object, or merges its signatures into the stored
// copy, and updates every index, in one transaction committed (and, unless
// Options.NoSync, synced) before Put returns. An object that breaks a rule
// of the store is refused, with nothing stored: a revocation of a stored
// claim by anyone but the claim's issuer (kind Forbidden), a revocation of
// a stored object that cannot be revoked (kind Invalid).
func (s *Store) Put(o *protocol.Object) (PutResult, error) {
	res, err := s.PutBatch([]*protocol.Object{o})
	if err != nil {
		var r PutResult
		if o != nil {
			r.ID, r.Kind = o.ID, o.Kind
		}
		return r, err
	}
	return res[0], res[0].Err
}

// PutBatch stores objs in order, as Put would one by one, in as few
// transactions as Badger's transaction size allows, each synced once: bulk
// ingest is not capped by the disk's fsync rate. An object may repeat or
// name an object before it in the batch. A refused object gets its reason
// in its result's Err and does not stop the others, whatever the reason:
// it breaks a rule, it would break a limit, or an entry of the store it
// touches cannot be read. An error returned is a failure of the store
// itself (Badger's): the objects of the transactions committed before it
// are stored (their results are filled in), the others are not (their
// results carry the error), and storing the same batch again is safe.
//
// A dataset with a manifest is stored whether or not its chunks are held;
// once stored for the first time, its manifest is indexed (IndexManifest)
// if every chunk is held, and otherwise waits for a later IndexManifest.
func (s *Store) PutBatch(objs []*protocol.Object) ([]PutResult, error) {
	results := make([]PutResult, len(objs))
	for i := 0; i < len(objs); {
		n, err := s.commitChunk(objs[i:], results[i:])
		if err != nil {
			for j := i; j < len(objs); j++ {
				results[j] = PutResult{Err: err}
				if objs[j] != nil {
					results[j].ID, results[j].Kind = objs[j].ID, objs[j].Kind
				}
			}
			return results, err
		}
		i += n
	}
	s.indexStored(objs, results)
	return results, nil
}

// commitChunk stores as many of objs as fit in one transaction (at least
// one) and reports how many.
func (s *Store) commitChunk(objs []*protocol.Object, results []PutResult) (int, error) {
	const op = "put objects"
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.roomToWrite(op); err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		n, err := s.tryChunk(objs, results)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, badger.ErrConflict) && attempt < maxConflictRetries:
			continue
		case errors.Is(err, badger.ErrConflict):
			return 0, protocol.E(op, protocol.Transient, "%w", err)
		}
		return 0, writeError(op, err)
	}
}

// writeError gives a failed write its kind: a refusal keeps its own; the
// filesystem's "no space left" (from a file Badger writes plainly, such as
// the manifest or a table) is NoSpace, like the guard's refusal, so that
// the API answers 507 whichever saw the full disk first; anything else is
// Other.
func writeError(op string, err error) error {
	var pe *protocol.Error
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, syscall.ENOSPC):
		return protocol.E(op, protocol.NoSpace, "disk full: %w", err)
	}
	return protocol.E(op, protocol.Other, "%w", err)
}

func (s *Store) tryChunk(objs []*protocol.Object, results []PutResult) (int, error) {
	ts := newTxnState(s.db, &s.known, &s.rotated)
	defer ts.discard()
	// A new Badger transaction already counts one entry and some bytes, for
	// the marker that its commit adds; the counts of objects by kind are
	// written last.
	countsSize, countsCount := countsSize()
	maxSize := s.db.MaxBatchSize() - txnMarkerSize - countsSize
	maxCount := s.db.MaxBatchCount() - 1 - countsCount
	threshold := s.db.Opts().ValueThreshold
	var size, count int64
	p := newPending(ts)
	n := 0
	for n < len(objs) {
		res, refused, err := p.put(objs[n])
		if err != nil && !isStoreFailure(err) {
			refused, err = err, nil // an entry this object touches cannot be read: it alone fails
		}
		if err != nil {
			return 0, err
		}
		if refused == nil {
			refused = s.checkValueSizes(p, res)
		}
		if refused != nil {
			res.Err = refused
			results[n] = res
			n++
			continue
		}
		sz, c := p.estimate(threshold)
		if size+sz >= maxSize || count+c >= maxCount {
			if n > 0 {
				break // commit what we have; this object begins the next transaction
			}
			if err := s.spillFiles(p); err != nil {
				return 0, err
			}
			if sz, c = p.estimate(threshold); sz >= maxSize || c >= maxCount {
				res.Err = protocol.E("put object", protocol.TooLarge, "%s %s needs %d index bytes in %d entries besides its files, over one transaction (%d bytes, %d entries)", res.Kind, res.ID, sz, c, maxSize, maxCount)
				results[n] = res
				n++
				continue
			}
		}
		if err := p.apply(); err != nil {
			return 0, err
		}
		size, count = size+sz, count+c
		results[n] = res
		n++
	}
	if err := ts.flushCounts(); err != nil {
		return 0, err
	}
	return n, ts.txn.Commit()
}

// isStoreFailure reports whether an error of indexing one object is a
// failure of the store (Badger's, not a *protocol.Error) rather than a
// reason to refuse that object: a corrupt entry is reported as a
// *protocol.Error (corrupt) and refuses only the objects that touch it.
func isStoreFailure(err error) bool {
	var pe *protocol.Error
	return !errors.As(err, &pe)
}

// spillFiles writes the file index of an object too large for one
// transaction in batches of its own, before the transaction that stores
// the object. Until that commits, the entries name an object that is not
// stored, and readers skip them (Locate checks m/); writing them again is
// harmless.
func (s *Store) spillFiles(p *pending) error {
	files := p.takeFiles()
	if len(files) == 0 {
		return nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, f := range files {
		if err := wb.Set(f.key, f.val); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// checkValueSizes refuses an object with a value over what Badger takes in
// memory (see MaxInMemoryValue).
func (s *Store) checkValueSizes(p *pending, res PutResult) error {
	if s.maxValue == 0 {
		return nil
	}
	for _, w := range p.writes {
		if n := len(w.val); n > s.maxValue {
			return protocol.E("put object", protocol.TooLarge, "%s %s: %q is %d bytes, over the %d an in-memory store holds", res.Kind, res.ID, clipKey(w.key), n, s.maxValue)
		}
	}
	return nil
}
