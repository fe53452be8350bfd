package store_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
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

// ref is what a dataset record says of tr's manifest.
func (tr tree) ref() protocol.ManifestRef {
	return protocol.ManifestRef{Root: tr.root.ID.ID(), Count: tr.root.Count, Bytes: tr.root.Bytes}
}

// fileKeysOf returns the f/ keys of dataset.
func fileKeysOf(s *store.Store, dataset protocol.ID) []string {
	var out []string
	for _, k := range s.KeysUnder("f/") {
		if strings.HasSuffix(k, "/"+dataset.String()) {
			out = append(out, k)
		}
	}
	return out
}

// wantLocated fails t unless Locate and DatasetsPage find dataset for the
// entry at path, under that path.
func wantLocated(t *testing.T, s *store.Store, dataset protocol.ID, path string) {
	t.Helper()
	locs, err := s.Locate(entryDigest(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != 1 || locs[0].Dataset != dataset || !slices.Contains(locs[0].Paths, path) {
		t.Errorf("Locate of %s: %+v, want dataset %s with that path", path, locs, dataset)
	}
	ids, more, err := s.DatasetsPage(entryDigest(path), protocol.ID{}, 10)
	if err != nil || more || len(ids) != 1 || ids[0] != dataset {
		t.Errorf("DatasetsPage of %s: %v %v %v, want %s", path, ids, more, err, dataset)
	}
}

// wantNotLocated fails t if anything is located for the entry at path.
func wantNotLocated(t *testing.T, s *store.Store, path string) {
	t.Helper()
	locs, err := s.Locate(entryDigest(path))
	if err != nil || len(locs) != 0 {
		t.Errorf("Locate of %s: %+v %v, want nothing", path, locs, err)
	}
	ids, _, err := s.DatasetsPage(entryDigest(path), protocol.ID{}, 10)
	if err != nil || len(ids) != 0 {
		t.Errorf("DatasetsPage of %s: %v %v, want nothing", path, ids, err)
	}
}

// TestPutIndexesManifest: storing the record of a dataset whose chunks are
// all held indexes every entry; storing it again, or IndexManifest, does
// nothing more.
func TestPutIndexesManifest(t *testing.T) {
	s := storetest.Open(t)
	c := newCast(t)
	tr := buildTree(t, 1000, numbered)
	putChunks(t, s, tr.chunks)
	ds := storetest.NewManifestDataset(t, c.publisher, "tables", tr.ref())
	storetest.MustPut(t, s, ds)
	if whole, err := s.ManifestWhole(ds.ID); err != nil || !whole {
		t.Fatalf("ManifestWhole after Put with every chunk held: %v %v", whole, err)
	}
	for _, i := range []int{0, 1, 500, 999} {
		wantLocated(t, s, ds.ID, numbered(i))
	}
	if n := len(fileKeysOf(s, ds.ID)); n != 1000 {
		t.Errorf("%d f/ entries, want one per entry, 1000", n)
	}
	before := s.Dump()
	root, err := s.IndexManifest(ds.ID)
	if err != nil || root != tr.root {
		t.Fatalf("IndexManifest again: %+v %v, want %+v", root, err, tr.root)
	}
	storetest.MustPut(t, s, ds)
	if after := s.Dump(); !maps.Equal(before, after) {
		t.Error("indexing again changed the store")
	}
	// The record itself lists no file: its subject is the root.
	wantNotLocated(t, s, "root")
	if locs, _ := s.Locate(tr.root.ID.Digest()); len(locs) != 0 {
		t.Errorf("the root chunk's digest is located: %+v", locs)
	}
}

// TestRecordBeforeChunks: a record whose chunks are not held is stored,
// unindexed and located nowhere; IndexManifest names the chunk missing;
// once it arrives, the manifest is indexed.
func TestRecordBeforeChunks(t *testing.T) {
	s := storetest.Open(t)
	c := newCast(t)
	tr := buildTree(t, 600, numbered)
	ds := storetest.NewManifestDataset(t, c.publisher, "tables", tr.ref())
	res := storetest.MustPut(t, s, ds)
	if !res[0].New {
		t.Fatalf("record not stored: %+v", res[0])
	}
	if has, _ := s.Has(ds.ID); !has {
		t.Fatal("record not stored")
	}
	_, err := s.IndexManifest(ds.ID)
	if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), tr.root.ID.String()) {
		t.Fatalf("IndexManifest with no chunk: %v, want not found naming the root %s", err, tr.root.ID)
	}
	// Every chunk but one leaf.
	missing := 3
	putChunks(t, s, append(append([][]byte{}, tr.chunks[:missing]...), tr.chunks[missing+1:]...))
	_, err = s.IndexManifest(ds.ID)
	if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), tr.ids[missing].String()) {
		t.Fatalf("IndexManifest with chunk %s missing: %v, want not found naming it", tr.ids[missing], err)
	}
	if keys := fileKeysOf(s, ds.ID); len(keys) != 0 {
		t.Errorf("a manifest not held whole left %d f/ entries", len(keys))
	}
	if whole, _ := s.ManifestWhole(ds.ID); whole {
		t.Error("ManifestWhole with a chunk missing")
	}
	wantNotLocated(t, s, numbered(0))
	putChunks(t, s, tr.chunks[missing:missing+1])
	// Another copy of the record indexes nothing: the node indexes once it
	// has fetched the chunks, by IndexManifest.
	if res := storetest.MustPut(t, s, ds); res[0].New {
		t.Fatal("the record stored anew")
	}
	if whole, _ := s.ManifestWhole(ds.ID); whole {
		t.Error("a copy of a stored record indexed its manifest")
	}
	root, err := s.IndexManifest(ds.ID)
	if err != nil || root != tr.root {
		t.Fatalf("IndexManifest once whole: %+v %v", root, err)
	}
	wantLocated(t, s, ds.ID, numbered(0))
	wantLocated(t, s, ds.ID, numbered(599))
}

// TestIndexManifestRefusesOthers: IndexManifest of something that is not
// a stored dataset with a manifest says so.
func TestIndexManifestRefusesOthers(t *testing.T) {
	s := storetest.Open(t)
	c := newCast(t)
	plain := storetest.NewDataset(t, c.publisher, "plain")
	storetest.MustPut(t, s, plain)
	if _, err := s.IndexManifest(plain.ID); !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "is not a dataset with a manifest") {
		t.Errorf("IndexManifest of a dataset without a manifest: %v", err)
	}
	absent := protocol.ObjectID([]byte("absent"))
	if _, err := s.IndexManifest(absent); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("IndexManifest of a record not stored: %v, want not found", err)
	}
	// A dataset without a manifest is located as soon as it is stored.
	locs, err := s.Locate(plain.Files[0].Digest)
	if err != nil || len(locs) != 1 {
		t.Errorf("Locate of a plain dataset's file: %+v %v", locs, err)
	}
}

// TestManifestShared: two datasets (two versions) that share chunks are
// each indexed; a file of both is located in both.
func TestManifestShared(t *testing.T) {
	s := storetest.Open(t)
	c := newCast(t)
	v1 := buildTree(t, 2000, numbered)
	v2 := buildTree(t, 2001, numbered) // one file more
	putChunks(t, s, v1.chunks)
	res := putChunks(t, s, v2.chunks)
	fresh := 0
	for _, r := range res {
		if r.New {
			fresh++
		}
	}
	if fresh == 0 || fresh > 4 {
		t.Errorf("the second version added %d chunks of %d; want the few on the path to the new entry", fresh, len(v2.chunks))
	}
	d1 := storetest.NewManifestDataset(t, c.publisher, "v1", v1.ref())
	d2 := storetest.NewManifestDataset(t, c.publisher, "v2", v2.ref())
	d3 := storetest.NewManifestDataset(t, c.publisher, "chunks not held", buildTree(t, 5, numbered).ref())
	storetest.MustPut(t, s, d1, d2, d3)
	var whole []protocol.ID
	if err := s.EachWholeManifest(func(id protocol.ID) bool { whole = append(whole, id); return true }); err != nil {
		t.Fatal(err)
	}
	want := []protocol.ID{d1.ID, d2.ID}
	slices.SortFunc(want, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(whole, want) {
		t.Errorf("EachWholeManifest: %v, want %v", whole, want)
	}
	locs, err := s.Locate(entryDigest(numbered(7)))
	if err != nil || len(locs) != 2 {
		t.Fatalf("Locate of a file of both versions: %+v %v", locs, err)
	}
	wantLocated(t, s, d2.ID, numbered(2000))
}

// TestLargeManifestIndexed: a manifest of 100,000 entries is indexed from
// an on-disk store (in many transactions: its f/ entries are many times
// what one Badger transaction takes), every sampled entry is located, and
// it stays so after the store is reopened.
func TestLargeManifestIndexed(t *testing.T) {
	const n = 100_000
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	c := newCast(t)
	tr := buildTree(t, n, numbered)
	putChunks(t, s, tr.chunks)
	ds := storetest.NewManifestDataset(t, c.publisher, "national archive", tr.ref())
	storetest.MustPut(t, s, ds)
	if whole, err := s.ManifestWhole(ds.ID); err != nil || !whole {
		_, err := s.IndexManifest(ds.ID)
		t.Fatalf("a 100,000-entry manifest not indexed: %v", err)
	}
	for _, i := range []int{0, 1, 4095, 4096, 50_000, n - 1} {
		wantLocated(t, s, ds.ID, numbered(i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.OpenDir(t, dir)
	if whole, err := s.ManifestWhole(ds.ID); err != nil || !whole {
		t.Fatalf("ManifestWhole after reopen: %v %v", whole, err)
	}
	for _, i := range []int{0, 77_777, n - 1} {
		wantLocated(t, s, ds.ID, numbered(i))
	}
	ids, more, err := s.DatasetsPage(entryDigest(numbered(3)), protocol.ID{}, 1)
	if err != nil || more || len(ids) != 1 {
		t.Errorf("DatasetsPage after reopen: %v %v %v", ids, more, err)
	}
}
