package store

import (
	"sync"

	"github.com/commons-p2p/commons/protocol"
)

// rotatedKeys are the keys that some stored rotation names, held in
// memory so that an attribution walks the parties (SPEC.md §4.6) of those
// keys alone: nearly every key of a query has no rotation, and a seek
// into r/ for each would cost a query a third more than the rest of its
// work (BenchmarkAttribution10kClaimsRotated). Open fills the set from
// r/; the writer adds a rotation's keys before the transaction that
// stores it commits, so a reader whose snapshot holds the rotation finds
// its keys here. A transaction that then fails leaves keys in the set,
// which costs a seek and nothing else.
type rotatedKeys struct {
	mu sync.RWMutex
	m  map[protocol.DID]struct{}
}

func (r *rotatedKeys) has(d protocol.DID) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.m[d]
	return ok
}

func (r *rotatedKeys) add(ds ...protocol.DID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[protocol.DID]struct{})
	}
	for _, d := range ds {
		r.m[d] = struct{}{}
	}
}

// loadRotated fills s.rotated from the r/ family.
func (s *Store) loadRotated() error {
	return s.EachRotatedKey(func(d protocol.DID) bool {
		s.rotated.add(d)
		return true
	})
}

// HasRotations reports whether some stored rotation names d, from memory.
func (s *Store) HasRotations(d protocol.DID) bool { return s.rotated.has(d) }
