package store

import (
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Test hooks for the external tests (package store_test).

// Dump returns every key of s with its value, for tests that check that a
// refused write changed nothing.
func (s *Store) Dump() map[string]string {
	out := map[string]string{}
	err := s.db.View(func(txn *badger.Txn) error {
		return scan(txn, "", true, func(key, val []byte) error {
			out[string(key)] = string(val)
			return nil
		})
	})
	if err != nil {
		panic(err)
	}
	return out
}

// KeysUnder returns the keys of s under prefix, in order.
func (s *Store) KeysUnder(prefix string) []string {
	var keys []string
	for k := range s.Dump() {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Summary is the exported view of a claim summary, for tests.
type Summary struct {
	Kind      protocol.ObjectKind
	Withdrawn bool
	Signers   []protocol.DID
	Endorsers []protocol.DID
}

// SummaryOf returns the summary of claim about subject; ok is false when
// there is none.
func (s *Store) SummaryOf(subject, claim protocol.ID) (Summary, bool) {
	v, ok := s.Dump()[claimKey(subject, claim)]
	if !ok {
		return Summary{}, false
	}
	sum, err := decodeSummary([]byte(v))
	if err != nil {
		panic(err)
	}
	return Summary{sum.Kind, sum.Withdrawn, sum.Signers, sum.Endorsers}, true
}

// KnownReady waits until Open's filter of known IDs is built (or given
// up) and reports whether the writer uses it.
func (s *Store) KnownReady() bool {
	<-s.knownBuilt
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.known.filter != nil
}

// SetIndexBatch makes IndexManifest write the f/ entries of a manifest n
// entries at a time, until the test ends, so that a test sees what an
// index of many batches does with a small tree.
func SetIndexBatch(tb interface{ Cleanup(func()) }, n int) {
	old := indexBatch
	indexBatch = n
	tb.Cleanup(func() { indexBatch = old })
}
