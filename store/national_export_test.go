package store

import (
	"fmt"
	"sort"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
)

// Test hooks for the measurement of a store of national size
// (national_test.go).

// FamilySize is what one key family holds: keys, and the bytes of their
// keys and of their values.
type FamilySize struct {
	Keys, KeyBytes, ValueBytes int64
}

// FamilySizes reads every key of s, keys only where a value is not needed
// for its length, and sums them by family (the text before the first '/',
// or before the second for x/…).
func (s *Store) FamilySizes() (map[string]FamilySize, error) {
	out := map[string]FamilySize{}
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()
			fam := string(k[:min(1, len(k))])
			if fam == "x" {
				if i := strings.IndexByte(string(k[2:]), '/'); i >= 0 {
					fam = string(k[:2+i])
				} else {
					fam = string(k)
				}
			}
			f := out[fam]
			f.Keys++
			f.KeyBytes += int64(len(k))
			f.ValueBytes += item.ValueSize()
			out[fam] = f
		}
		return nil
	})
	return out, err
}

// TableStats describes Badger's LSM tree: tables per level, keys, bytes on
// disk, of which stale, and the size of the tables' indexes and bloom
// filters.
func (s *Store) TableStats() string {
	type level struct {
		tables                                    int
		keys                                      uint64
		onDisk, stale, uncompressed, index, bloom uint64
	}
	levels := map[int]*level{}
	for _, t := range s.db.Tables() {
		l := levels[t.Level]
		if l == nil {
			l = &level{}
			levels[t.Level] = l
		}
		l.tables++
		l.keys += uint64(t.KeyCount)
		l.onDisk += uint64(t.OnDiskSize)
		l.stale += uint64(t.StaleDataSize)
		l.uncompressed += uint64(t.UncompressedSize)
		l.index += uint64(t.IndexSz)
		l.bloom += uint64(t.BloomFilterSize)
	}
	var ks []int
	for k := range levels {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var b strings.Builder
	for _, k := range ks {
		l := levels[k]
		fmt.Fprintf(&b, "L%d: %d tables, %d keys, %d bytes on disk (%d stale, %d uncompressed), index %d, bloom %d\n",
			k, l.tables, l.keys, l.onDisk, l.stale, l.uncompressed, l.index, l.bloom)
	}
	return b.String()
}
