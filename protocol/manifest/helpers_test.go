package manifest_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// chunks is a chunk store in memory that counts its reads.
type chunks struct {
	m     map[manifest.ChunkID][]byte
	reads int
}

func newChunks() *chunks { return &chunks{m: map[manifest.ChunkID][]byte{}} }

func (s *chunks) put(id manifest.ChunkID, b []byte) error {
	s.m[id] = b
	return nil
}

func (s *chunks) fetch(id manifest.ChunkID) ([]byte, error) {
	s.reads++
	b, ok := s.m[id]
	if !ok {
		return nil, protocol.E("fetch", protocol.NotFound, "no chunk %s", id)
	}
	return b, nil
}

// build builds the tree of entries (sorted here) into s.
func build(t testing.TB, s *chunks, entries []manifest.Entry) manifest.Root {
	t.Helper()
	b := manifest.NewBuilder(s.put)
	for _, e := range sorted(entries) {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sorted returns entries in key order.
func sorted(entries []manifest.Entry) []manifest.Entry {
	out := slices.Clone(entries)
	slices.SortFunc(out, func(a, b manifest.Entry) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

func digestOf(s string) protocol.Digest { return protocol.SumDigest([]byte(s)) }

// entry makes the entry of the n-th file of a synthetic tree: paths spread
// over directories as a real archive's are.
func entry(n int, version int) manifest.Entry {
	p := fmt.Sprintf("collection-%02d/year-%04d/item-%07d.xml", n%37, 1900+n%113, n)
	var seed [16]byte
	binary.BigEndian.PutUint64(seed[:], uint64(n))
	binary.BigEndian.PutUint64(seed[8:], uint64(version))
	return manifest.Entry{Path: p, Size: int64(n%100000) * 7, Digest: sha256.Sum256(seed[:])}
}

func synthetic(n int) []manifest.Entry {
	out := make([]manifest.Entry, n)
	for i := range out {
		out[i] = entry(i, 0)
	}
	return out
}

// randomEntries makes n entries with random paths of a few segments.
func randomEntries(r *rand.Rand, n int) []manifest.Entry {
	seen := map[string]bool{}
	var out []manifest.Entry
	for len(out) < n {
		p := randomPath(r)
		if seen[manifest.Key(p)] {
			continue
		}
		seen[manifest.Key(p)] = true
		out = append(out, manifest.Entry{Path: p, Size: r.Int64N(1 << 40), Digest: digestOf(p)})
	}
	return dropDirConflicts(sorted(out))
}

// dropDirConflicts drops, from sorted entries, each whose path has a file
// of the list as a directory.
func dropDirConflicts(out []manifest.Entry) []manifest.Entry {
	keep := out[:0]
	files := map[string]bool{}
	for _, e := range out {
		dir := false
		k := e.Key()
		for i := range len(k) {
			if k[i] == '/' && files[k[:i]] {
				dir = true
			}
		}
		if !dir {
			files[k] = true
			keep = append(keep, e)
		}
	}
	return keep
}

func randomPath(r *rand.Rand) string {
	segs := 1 + r.IntN(3)
	parts := make([]string, segs)
	for i := range parts {
		parts[i] = fmt.Sprintf("%s%d", []string{"a", "b", "data", "img", "é", "e\u0301x"}[r.IntN(6)], r.IntN(2000))
	}
	return strings.Join(parts, "/")
}
