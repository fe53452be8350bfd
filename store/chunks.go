package store

import (
	"errors"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Manifest chunks (SPEC.md §3.8) are data, not claims: no signature, no
// issuer, no time. The store keeps each under k/<chunk id>, by the hash of
// its bytes, so a chunk is stored once whatever number of datasets and
// versions share it, and the bytes served are the bytes stored.

// ChunkResult is what storing one chunk came to: its ID (the SHA-256 of
// the bytes given, whether or not they were stored) and, when the chunk
// was refused, why.
type ChunkResult struct {
	ID  manifest.ChunkID
	New bool // the chunk was not stored before
	Err error
}

// PutChunks stores manifest chunks, each refused alone, with nothing stored
// for it, unless its bytes are the one encoding of a valid chunk
// (manifest.DecodeChunk: the checks that need no parent); each is filed
// under its ID, manifest.SumChunk of its bytes. Storing a chunk already
// held changes nothing. The chunks are committed in as few transactions as
// Badger's transaction size allows, each checked for disk space first and
// synced (unless Options.NoSync) before PutChunks returns. The error
// returned is a failure of the store itself: the chunks of the
// transactions committed before it are stored, the others carry the error
// in their results.
func (s *Store) PutChunks(chunks [][]byte) ([]ChunkResult, error) {
	results := make([]ChunkResult, len(chunks))
	for i, b := range chunks {
		results[i].ID = manifest.SumChunk(b)
		if _, err := manifest.DecodeChunk(b); err != nil {
			results[i].Err = protocol.E("put chunk", protocol.KindOf(err), "chunk %s: %w", results[i].ID, err)
		}
	}
	for i := 0; i < len(chunks); {
		n, err := s.commitChunks(chunks[i:], results[i:])
		if err != nil {
			for j := i; j < len(chunks); j++ {
				if results[j].Err == nil {
					results[j].Err = err
				}
			}
			return results, err
		}
		i += n
	}
	return results, nil
}

// commitChunks stores, in one transaction, as many of chunks as fit (at
// least one) and reports how many it went through. results holds each
// chunk's ID and, for a chunk refused already, its Err.
func (s *Store) commitChunks(chunks [][]byte, results []ChunkResult) (int, error) {
	const op = "put chunks"
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.roomToWrite(op); err != nil {
		return 0, err
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	countSize := entrySize(len(keyChunkCount), 8, valueThreshold)
	maxSize := s.db.MaxBatchSize() - txnMarkerSize - countSize
	maxCount := s.db.MaxBatchCount() - 2
	threshold := s.db.Opts().ValueThreshold
	var size, count, added int64
	inTxn := map[manifest.ChunkID]bool{}
	n := 0
	for ; n < len(chunks); n++ {
		r := &results[n]
		if r.Err != nil || inTxn[r.ID] {
			continue
		}
		key := chunkKey(r.ID)
		switch _, err := txn.Get(key); {
		case err == nil:
			continue // held: the same bytes, by their hash
		case !errors.Is(err, badger.ErrKeyNotFound):
			return 0, writeError(op, err)
		}
		if s.maxValue > 0 && len(chunks[n]) > s.maxValue {
			r.Err = protocol.E(op, protocol.TooLarge, "chunk %s is %d bytes, over the %d an in-memory store holds", r.ID, len(chunks[n]), s.maxValue)
			continue
		}
		sz := entrySize(len(key), len(chunks[n]), threshold)
		if (size+sz >= maxSize || count+1 >= maxCount) && added > 0 {
			break // this chunk begins the next transaction
		}
		if err := txn.Set(key, chunks[n]); err != nil {
			return 0, writeError(op, err)
		}
		inTxn[r.ID] = true
		r.New = true
		size, count, added = size+sz, count+1, added+1
	}
	if added > 0 {
		total, err := readCount(txn, []byte(keyChunkCount))
		if err != nil {
			return 0, err
		}
		if err := txn.Set([]byte(keyChunkCount), encodeCount(total+added)); err != nil {
			return 0, writeError(op, err)
		}
		if err := txn.Commit(); err != nil {
			return 0, writeError(op, err)
		}
	}
	return n, nil
}

// Chunk returns the bytes of the chunk id. An absent chunk is an error of
// kind NotFound.
func (s *Store) Chunk(id manifest.ChunkID) ([]byte, error) {
	const op = "get chunk"
	var b []byte
	err := s.view(func(txn *badger.Txn) error {
		var ok bool
		var err error
		b, ok, err = get(txn, chunkKey(id))
		if err == nil && !ok {
			err = protocol.E(op, protocol.NotFound, "chunk %s is not stored here", id)
		}
		return err
	})
	if err != nil && isStoreFailure(err) {
		err = protocol.E(op, protocol.Other, "chunk %s: %w", id, err)
	}
	return b, err
}

// readCount reads a count under key, 0 when there is none.
func readCount(txn *badger.Txn, key []byte) (int64, error) {
	b, ok, err := get(txn, key)
	if err != nil || !ok {
		return 0, err
	}
	n, err := decodeCount(b)
	if err != nil {
		return 0, corrupt(key, err)
	}
	return n, nil
}
