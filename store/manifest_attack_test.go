package store_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestChunkRefusedUnlessItDecodes: a peer that sends bytes that are not
// the one encoding of a valid chunk gets each refused alone, with a reason,
// and nothing of it is stored; the valid chunks beside it are stored.
func TestChunkRefusedUnlessItDecodes(t *testing.T) {
	tr := buildTree(t, 40, numbered)
	good := tr.chunks[0]
	bad := map[string][]byte{
		"empty":          {},
		"not a chunk":    []byte(`{"_type":"https://in-toto.io/Statement/v1"}`),
		"wrong magic":    append([]byte("commons/manifest/v2\n"), good[len(manifest.Magic):]...),
		"trailing bytes": append(append([]byte{}, good...), 0),
		"cut short":      good[:len(good)-1],
		"level too high": func() []byte {
			b := append([]byte{}, good...)
			b[len(manifest.Magic)] = manifest.MaxLevel + 1
			return b
		}(),
		"over 1 MiB": append(append([]byte{}, good...), make([]byte, manifest.MaxChunkSize)...),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			s := storetest.Open(t)
			before := s.Dump()
			res, err := s.PutChunks([][]byte{b, good})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Err == nil || res[0].New {
				t.Fatalf("bad chunk accepted: %+v", res[0])
			}
			wantKind := protocol.Invalid
			if len(b) > manifest.MaxChunkSize {
				wantKind = protocol.TooLarge
			}
			if k := protocol.KindOf(res[0].Err); k != wantKind || !strings.Contains(res[0].Err.Error(), res[0].ID.String()) {
				t.Errorf("refusal %v: kind %s, want %s, naming the chunk", res[0].Err, k, wantKind)
			}
			if res[1].Err != nil || !res[1].New {
				t.Errorf("the good chunk beside it: %+v", res[1])
			}
			after := s.Dump()
			delete(after, "k/"+res[1].ID.String())
			delete(after, "x/count/chunk")
			if !maps.Equal(before, after) {
				t.Errorf("the refused chunk left entries: %v", after)
			}
			if _, err := s.Chunk(res[0].ID); protocol.KindOf(err) != protocol.NotFound {
				t.Errorf("Chunk of the refused chunk: %v, want not found", err)
			}
		})
	}
}

// TestManifestDisagreeingWithRecordNotIndexed: a publisher whose record
// says more (or fewer) entries or bytes than its manifest holds gets its
// record stored, since it is signed and valid, but no file of it indexed:
// IndexManifest says why (kind invalid), and no f/ entry is written.
func TestManifestDisagreeingWithRecordNotIndexed(t *testing.T) {
	store.SetIndexBatch(t, 1)
	c := newCast(t)
	tr := buildTree(t, 500, numbered)
	for name, edit := range map[string]func(*protocol.ManifestRef){
		"count one more":            func(m *protocol.ManifestRef) { m.Count++ },
		"count one less":            func(m *protocol.ManifestRef) { m.Count-- },
		"bytes one more":            func(m *protocol.ManifestRef) { m.Bytes++ },
		"bytes one less":            func(m *protocol.ManifestRef) { m.Bytes-- },
		"another tree's":            func(m *protocol.ManifestRef) { m.Count, m.Bytes = 1, 1 },
		"a leaf as root":            func(m *protocol.ManifestRef) { m.Root = tr.ids[0].ID() },
		"a leaf as root, one entry": func(m *protocol.ManifestRef) { m.Root = tr.ids[0].ID(); m.Count = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			s := storetest.Open(t)
			putChunks(t, s, tr.chunks)
			ref := tr.ref()
			edit(&ref)
			if ref.Count < 1 {
				ref.Count = 1
			}
			ds := storetest.NewManifestDataset(t, c.publisher, "lies", ref)
			storetest.MustPut(t, s, ds)
			if has, _ := s.Has(ds.ID); !has {
				t.Fatal("the record, valid and signed, was not stored")
			}
			_, err := s.IndexManifest(ds.ID)
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), ds.ID.String()) {
				t.Fatalf("IndexManifest: %v, want invalid naming the dataset", err)
			}
			if keys := fileKeysOf(s, ds.ID); len(keys) != 0 {
				t.Errorf("%d f/ entries written for a manifest that disagrees with its record", len(keys))
			}
			if whole, _ := s.ManifestWhole(ds.ID); whole {
				t.Error("marked whole")
			}
			wantNotLocated(t, s, numbered(0))
		})
	}
}

// TestManifestDirectoryClashNotIndexed: a tree whose every chunk is valid
// alone, but in which a path of one leaf ("d") is a directory of a path of
// another ("d/f") — what only reading the whole tree shows (Walk) — is
// never indexed: not one f/ entry, not even of the entries before the
// clash.
func TestManifestDirectoryClashNotIndexed(t *testing.T) {
	store.SetIndexBatch(t, 1) // an indexer that wrote as it read would have written "a"
	s := storetest.Open(t)
	c := newCast(t)
	// A key that ends a leaf but not a branch of level 1, so that the
	// first leaf may end with it and the root may list it before its last
	// child.
	var dir string
	for n := 0; ; n++ {
		dir = fmt.Sprintf("d%d", n)
		if manifest.IsBoundary(dir, 0) && !manifest.IsBoundary(dir, 1) {
			break
		}
	}
	first := manifest.Chunk{Level: 0, Entries: []manifest.Entry{
		{Path: "a", Size: 1, Digest: entryDigest("a")},
		{Path: dir, Size: 2, Digest: entryDigest(dir)},
	}}
	second := manifest.Chunk{Level: 0, Entries: []manifest.Entry{{Path: dir + "/f", Size: 3, Digest: entryDigest(dir + "/f")}}}
	b1, b2 := first.Encode(), second.Encode()
	root := manifest.Chunk{Level: 1, Children: []manifest.Child{
		{Last: dir, Count: 2, Bytes: 3, ID: manifest.SumChunk(b1)},
		{Last: dir + "/f", Count: 1, Bytes: 3, ID: manifest.SumChunk(b2)},
	}}
	br := root.Encode()
	putChunks(t, s, [][]byte{b1, b2, br}) // each chunk is valid alone
	ref := protocol.ManifestRef{Root: manifest.SumChunk(br).ID(), Count: 3, Bytes: 6}
	ds := storetest.NewManifestDataset(t, c.publisher, "clash", ref)
	storetest.MustPut(t, s, ds)
	_, err := s.IndexManifest(ds.ID)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "is a file, and a directory of path") {
		t.Fatalf("IndexManifest of a tree with a directory clash: %v, want invalid saying so", err)
	}
	if keys := fileKeysOf(s, ds.ID); len(keys) != 0 {
		t.Errorf("f/ entries written for a tree with a clash: %v", keys)
	}
	if whole, _ := s.ManifestWhole(ds.ID); whole {
		t.Error("marked whole")
	}
	wantNotLocated(t, s, "a")
}

// TestManifestOneDigestManyPaths: a manifest that lists one digest under
// 20,000 paths indexes it in one f/ entry of bounded size, not one that
// grows with every path and is rewritten with each batch.
func TestManifestOneDigestManyPaths(t *testing.T) {
	s := storetest.Open(t)
	c := newCast(t)
	const n = 20_000
	empty := protocol.SumDigest(nil)
	var chunks [][]byte
	b := manifest.NewBuilder(func(_ manifest.ChunkID, c []byte) error { chunks = append(chunks, c); return nil })
	for i := range n {
		if err := b.Add(manifest.Entry{Path: numbered(i), Size: 0, Digest: empty}); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	putChunks(t, s, chunks)
	ds := storetest.NewManifestDataset(t, c.publisher, "empties", protocol.ManifestRef{Root: root.ID.ID(), Count: n, Bytes: 0})
	storetest.MustPut(t, s, ds)
	locs, err := s.Locate(empty)
	if err != nil || len(locs) != 1 {
		t.Fatalf("Locate: %+v %v", locs, err)
	}
	if p := locs[0].Paths; len(p) == 0 || len(p) > 64 || p[0] != numbered(0) {
		t.Errorf("%d paths kept for one digest (first %q), want the first ones in key order, at most 64", len(p), p[0])
	}
	if keys := fileKeysOf(s, ds.ID); len(keys) != 1 {
		t.Errorf("%d f/ entries for one digest", len(keys))
	}
}

// TestManifestWritesNeedHeadroom: storing chunks and indexing a manifest
// are writes like any other: on a filesystem below the store's headroom
// each is refused (kind no space) with nothing written, instead of letting
// Badger grow a memory-mapped file into a full disk; once space is freed
// they go through.
func TestManifestWritesNeedHeadroom(t *testing.T) {
	mnt := storetest.SmallFilesystem(t)
	s := storetest.OpenDir(t, filepath.Join(mnt, "store"))
	c := newCast(t)
	tr := buildTree(t, 3000, numbered)
	putChunks(t, s, tr.chunks[:1])
	ds := storetest.NewManifestDataset(t, c.publisher, "full", tr.ref())
	storetest.MustPut(t, s, ds)
	free, _, err := store.FreeSpace(mnt)
	if err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(mnt, "ballast")
	storetest.Ballast(t, ballast, int64(free)-store.Headroom+(1<<20))

	res, err := s.PutChunks(tr.chunks[1:])
	if !protocol.IsKind(err, protocol.NoSpace) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("PutChunks on a full disk: %v, want no space", err)
	}
	for _, r := range res {
		if r.New || !protocol.IsKind(r.Err, protocol.NoSpace) {
			t.Fatalf("chunk result on a full disk: %+v", r)
		}
	}
	if _, err := s.Chunk(tr.ids[1]); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("a chunk refused for lack of space is stored: %v", err)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	putChunks(t, s, tr.chunks[1:])
	free, _, _ = store.FreeSpace(mnt)
	storetest.Ballast(t, ballast, int64(free)-store.Headroom+(1<<20))
	if _, err := s.IndexManifest(ds.ID); !protocol.IsKind(err, protocol.NoSpace) {
		t.Fatalf("IndexManifest on a full disk: %v, want no space", err)
	}
	if keys := fileKeysOf(s, ds.ID); len(keys) != 0 {
		t.Errorf("%d f/ entries written on a full disk", len(keys))
	}
	if whole, _ := s.ManifestWhole(ds.ID); whole {
		t.Error("marked whole on a full disk")
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IndexManifest(ds.ID); err != nil {
		t.Fatalf("IndexManifest once space is back: %v", err)
	}
	wantLocated(t, s, ds.ID, numbered(2999))
}
