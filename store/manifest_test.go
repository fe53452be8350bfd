package store_test

import (
	"fmt"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// tree is a manifest built in memory: its root and its chunks, children
// before parents, as the Builder made them.
type tree struct {
	root   manifest.Root
	chunks [][]byte
	ids    []manifest.ChunkID
}

// buildTree builds the manifest of n entries named by name(i), which must
// come in ascending key order, each of i+1 bytes with the digest of its
// name and content.
func buildTree(tb testing.TB, n int, name func(i int) string) tree {
	tb.Helper()
	var tr tree
	b := manifest.NewBuilder(func(id manifest.ChunkID, c []byte) error {
		tr.chunks = append(tr.chunks, c)
		tr.ids = append(tr.ids, id)
		return nil
	})
	for i := range n {
		p := name(i)
		if err := b.Add(manifest.Entry{Path: p, Size: int64(i + 1), Digest: entryDigest(p)}); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		tb.Fatal(err)
	}
	tr.root = root
	return tr
}

// entryDigest is the digest the entries of buildTree give path.
func entryDigest(path string) protocol.Digest { return protocol.SumDigest([]byte("file " + path)) }

// numbered names entries f/0000000, f/0000001, …
func numbered(i int) string { return fmt.Sprintf("f/%07d", i) }

func putChunks(tb testing.TB, s *store.Store, chunks [][]byte) []store.ChunkResult {
	tb.Helper()
	res, err := s.PutChunks(chunks)
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			tb.Fatalf("chunk %d (%s): %v", i, r.ID, r.Err)
		}
	}
	return res
}

func TestPutChunks(t *testing.T) {
	s := storetest.Open(t)
	tr := buildTree(t, 1000, numbered)
	if len(tr.chunks) < 10 {
		t.Fatalf("a tree of 1000 entries in %d chunks: the test wants several", len(tr.chunks))
	}
	res := putChunks(t, s, tr.chunks)
	for i, r := range res {
		if r.ID != tr.ids[i] || !r.New {
			t.Errorf("chunk %d: result %s new=%v, want %s new", i, r.ID, r.New, tr.ids[i])
		}
		b, err := s.Chunk(tr.ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(tr.chunks[i]) {
			t.Errorf("chunk %s reads back other bytes", tr.ids[i])
		}
	}
	// Again, and twice in one call: nothing new, nothing counted twice.
	again := append(append([][]byte{}, tr.chunks...), tr.chunks[0])
	for i, r := range putChunks(t, s, again) {
		if r.New {
			t.Errorf("chunk %d stored anew", i)
		}
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Chunks != int64(len(tr.chunks)) || st.Objects != 0 {
		t.Errorf("stats: %d chunks, %d objects; want %d chunks, no object", st.Chunks, st.Objects, len(tr.chunks))
	}
	// A chunk repeated within one call is stored once.
	s2 := storetest.Open(t)
	res = putChunks(t, s2, [][]byte{tr.chunks[1], tr.chunks[1]})
	if !res[0].New || res[1].New {
		t.Errorf("one chunk given twice: new = %v, %v; want true, false", res[0].New, res[1].New)
	}
}

func TestChunkNotFound(t *testing.T) {
	s := storetest.Open(t)
	id := manifest.SumChunk([]byte("nothing"))
	_, err := s.Chunk(id)
	if protocol.KindOf(err) != protocol.NotFound {
		t.Fatalf("Chunk of an absent chunk: %v, want kind not found", err)
	}
}

func TestChunksReopen(t *testing.T) {
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	tr := buildTree(t, 300, numbered)
	putChunks(t, s, tr.chunks)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.OpenDir(t, dir)
	for i, id := range tr.ids {
		b, err := s.Chunk(id)
		if err != nil || string(b) != string(tr.chunks[i]) {
			t.Fatalf("chunk %s after reopen: %v", id, err)
		}
	}
}
