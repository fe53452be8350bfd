package swarm

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// testManifest builds the manifest of n files and returns its record's
// reference, its chunks, and its entries' digests.
func testManifest(tb testing.TB, n int, salt string) (protocol.ManifestRef, [][]byte, []protocol.Digest) {
	tb.Helper()
	var chunks [][]byte
	b := manifest.NewBuilder(func(_ manifest.ChunkID, c []byte) error {
		chunks = append(chunks, c)
		return nil
	})
	var digests []protocol.Digest
	for i := range n {
		d := protocol.SumDigest(fmt.Appendf(nil, "%s %d", salt, i))
		digests = append(digests, d)
		if err := b.Add(manifest.Entry{Path: fmt.Sprintf("box/%06d.txt", i), Size: int64(i), Digest: d}); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		tb.Fatal(err)
	}
	return protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes}, chunks, digests
}

func putChunks(tb testing.TB, st *store.Store, chunks [][]byte) {
	tb.Helper()
	res, err := st.PutChunks(chunks)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			tb.Fatal(r.Err)
		}
	}
}

// TestAnnounceKeysOfManifests: a round announces the manifest key of a
// dataset whose manifest is whole here, and the file key of each of its
// entries; of a dataset whose manifest is not held, the record's key
// alone.
func TestAnnounceKeysOfManifests(t *testing.T) {
	st := storetest.Open(t)
	pub := storetest.Key(t, "publisher")
	wholeRef, chunks, digests := testManifest(t, 300, "whole")
	putChunks(t, st, chunks)
	whole := storetest.NewManifestDataset(t, pub, "held whole", wholeRef)
	partRef, _, partDigests := testManifest(t, 50, "absent")
	part := storetest.NewManifestDataset(t, pub, "chunks absent", partRef)
	storetest.MustPut(t, st, whole, part)
	if ok, err := st.ManifestWhole(whole.ID); err != nil || !ok {
		t.Fatalf("the manifest held is not whole: %v, %v", ok, err)
	}

	s := &Swarm{cfg: Config{Store: st}, log: slog.New(slog.DiscardHandler)}
	keys := map[cid.Cid]bool{}
	if err := s.announceKeys(func(k cid.Cid) bool { keys[k] = true; return true }); err != nil {
		t.Fatal(err)
	}
	wholeRoot := manifest.ChunkIDFromDigest(wholeRef.Root.Digest())
	partRoot := manifest.ChunkIDFromDigest(partRef.Root.Digest())
	for name, k := range map[string]cid.Cid{
		"the whole manifest's key":       ManifestKey(wholeRoot),
		"the record held whole":          protocol.ObjectKey(whole.ID),
		"the record whose chunks absent": protocol.ObjectKey(part.ID),
	} {
		if !keys[k] {
			t.Errorf("%s, %s, is not announced", name, k)
		}
	}
	for _, d := range digests {
		if !keys[protocol.FileKey(d)] {
			t.Fatalf("the file key of entry %s of the whole manifest is not announced", d)
		}
	}
	if keys[ManifestKey(partRoot)] {
		t.Errorf("the key of a manifest not held is announced")
	}
	for _, d := range partDigests {
		if keys[protocol.FileKey(d)] {
			t.Fatalf("the file key of entry %s of a manifest not held is announced", d)
		}
	}
	if ManifestKey(wholeRoot) != wholeRef.Root.Cid() {
		t.Errorf("the manifest key is not the root's ID")
	}
}
