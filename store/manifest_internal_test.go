package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// manifestRecord stores, in a new store in memory, the chunks of a
// manifest of n entries and the record of a dataset naming it with count
// entries, unindexed: the record is put before its chunks.
func manifestRecord(t *testing.T, n int, count int64) (*Store, *protocol.Object, []manifest.Entry) {
	t.Helper()
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var chunks [][]byte
	var entries []manifest.Entry
	b := manifest.NewBuilder(func(_ manifest.ChunkID, c []byte) error { chunks = append(chunks, c); return nil })
	for i := range n {
		e := manifest.Entry{Path: fmt.Sprintf("e/%05d", i), Size: 1, Digest: protocol.SumDigest(fmt.Appendf(nil, "entry %d", i))}
		entries = append(entries, e)
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	key, err := protocol.KeyFromSeed(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	m := protocol.ManifestRef{Root: root.ID.ID(), Count: count, Bytes: root.Bytes}
	env, err := protocol.NewEnvelope(protocol.KindDataset, protocol.ReferenceSubject(m.Root), protocol.Dataset{
		Name: "d", License: "MIT", Publisher: key.DID(), Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Manifest: &m,
	})
	if err != nil {
		t.Fatal(err)
	}
	key.Sign(env)
	o, err := protocol.VerifyObject(env.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(o); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutChunks(chunks); err != nil {
		t.Fatal(err)
	}
	return s, o, entries
}

// TestHalfIndexedManifestNotLocated: the f/ entries that an interrupted
// IndexManifest committed, without its w/ marker, are located nowhere; the
// next call completes the index without writing a path twice.
func TestHalfIndexedManifestNotLocated(t *testing.T) {
	s, o, entries := manifestRecord(t, 300, 300)
	half := entries[:150]
	ix := fileIndexer{s: s, dataset: o.ID, paths: map[protocol.Digest][]string{}}
	for _, e := range half {
		ix.add(e)
	}
	if err := ix.flush(); err != nil {
		t.Fatal(err)
	}
	locs, err := s.Locate(half[0].Digest)
	if err != nil || len(locs) != 0 {
		t.Fatalf("an entry of a half-indexed manifest is located: %+v %v", locs, err)
	}
	ids, _, err := s.DatasetsPage(half[0].Digest, protocol.ID{}, 10)
	if err != nil || len(ids) != 0 {
		t.Fatalf("an entry of a half-indexed manifest is paged: %v %v", ids, err)
	}
	files := func() map[protocol.Digest]bool {
		out := map[protocol.Digest]bool{}
		if err := s.EachFile(func(d protocol.Digest) bool { out[d] = true; return true }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := files(); len(got) != 0 {
		t.Errorf("EachFile visits %d digests of a half-indexed manifest", len(got))
	}
	if _, err := s.IndexManifest(o.ID); err != nil {
		t.Fatal(err)
	}
	if got := files(); len(got) != len(entries) {
		t.Errorf("EachFile visits %d digests of a manifest of %d entries indexed whole", len(got), len(entries))
	}
	for _, e := range []manifest.Entry{half[0], entries[299]} {
		locs, err := s.Locate(e.Digest)
		if err != nil || len(locs) != 1 || len(locs[0].Paths) != 1 || locs[0].Paths[0] != e.Path {
			t.Errorf("Locate of %s once indexed: %+v %v", e.Path, locs, err)
		}
	}
}

// TestInvalidManifestRemembered: a manifest found invalid is not walked
// again: the second call answers from memory, with the same reason.
func TestInvalidManifestRemembered(t *testing.T) {
	s, o, _ := manifestRecord(t, 300, 301)
	_, first := s.IndexManifest(o.ID)
	if !protocol.IsKind(first, protocol.Invalid) {
		t.Fatalf("IndexManifest of a record that says 301 of 300 entries: %v", first)
	}
	if _, ok := s.badManifests.get(o.ID); !ok {
		t.Fatal("the invalid manifest is not remembered")
	}
	// Without its chunks, a second walk would fail otherwise (not found):
	// the answer comes from memory, without reading a chunk.
	if err := s.db.DropPrefix([]byte(famChunk)); err != nil {
		t.Fatal(err)
	}
	if _, again := s.IndexManifest(o.ID); again == nil || again.Error() != first.Error() {
		t.Errorf("second call: %v, want %v", again, first)
	}
	// A manifest merely not held whole is not remembered: its chunks may come.
	s2, o2, _ := manifestRecord(t, 10, 10)
	if err := s2.db.DropPrefix([]byte(famChunk)); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.IndexManifest(o2.ID); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("a manifest with chunks missing: %v, want not found", err)
	} else if bad, ok := s2.badManifests.get(o2.ID); ok {
		t.Errorf("a manifest with chunks missing remembered as invalid: %v", bad)
	}
}
