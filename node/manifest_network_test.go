package node

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store/storetest"
)

// netManifest is a manifest built as a publisher builds one, with its
// chunks and entries.
type netManifest struct {
	ref     protocol.ManifestRef
	root    manifest.ChunkID
	chunks  map[manifest.ChunkID][]byte
	all     [][]byte
	entries []manifest.Entry
}

func newNetManifest(t *testing.T, n int) *netManifest {
	t.Helper()
	m := &netManifest{chunks: map[manifest.ChunkID][]byte{}}
	b := manifest.NewBuilder(func(id manifest.ChunkID, c []byte) error {
		m.chunks[id] = c
		m.all = append(m.all, c)
		return nil
	})
	for i := range n {
		p := fmt.Sprintf("archive/year-%04d/record-%07d.xml", 1900+i%120, i)
		e := manifest.Entry{Path: p, Size: int64(100 + i), Digest: protocol.SumDigest([]byte(p))}
		m.entries = append(m.entries, e)
	}
	slices.SortFunc(m.entries, func(a, b manifest.Entry) int {
		switch {
		case a.Key() < b.Key():
			return -1
		case a.Key() > b.Key():
			return 1
		}
		return 0
	})
	for _, e := range m.entries {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	m.root = root.ID
	m.ref = protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes}
	return m
}

// pathTo returns the IDs of the chunks on the path from the root to the
// leaf that holds key, read from the publisher's own chunks.
func (m *netManifest) pathTo(t *testing.T, key string) []manifest.ChunkID {
	t.Helper()
	var path []manifest.ChunkID
	for id := m.root; ; {
		path = append(path, id)
		c, err := manifest.DecodeChunk(m.chunks[id])
		if err != nil {
			t.Fatal(err)
		}
		if c.Level == 0 {
			return path
		}
		i, _ := slices.BinarySearchFunc(c.Children, key, func(ch manifest.Child, k string) int {
			switch {
			case ch.Last < k:
				return -1
			case ch.Last > k:
				return 1
			}
			return 0
		})
		id = c.Children[i].ID
	}
}

// chunkReader reads m through n's swarm, counting the chunks it asks for.
func chunkReader(ctx context.Context, n *netNode, m *netManifest, dataset protocol.ID, asked *[]manifest.ChunkID) *manifest.Reader {
	return manifest.NewReader(m.root, func(id manifest.ChunkID) ([]byte, error) {
		*asked = append(*asked, id)
		got, err := n.net.FetchChunks(ctx, m.root, dataset, []manifest.ChunkID{id})
		if err != nil {
			return nil, err
		}
		b, ok := got[id]
		if !ok {
			return nil, protocol.E("fetch chunk", protocol.NotFound, "no peer gave chunk %s", id)
		}
		return b, nil
	})
}

func providersOf(t *testing.T, n *netNode, m *netManifest) []peer.ID {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []peer.ID
	for ai := range n.net.DHT().FindProvidersAsync(ctx, swarm.ManifestKey(m.root), 20) {
		out = append(out, ai.ID)
	}
	return out
}

// TestFetchChunksOnThePathToOneEntry: one node of a swarm holds a dataset
// with a manifest of 5000 files, whole; it announces the manifest key. A
// node at the other end of the swarm, which never saw the dataset, looks
// one file up in the manifest: it fetches the chunks on the path from the
// root to the file's entry, one per level, each checked, and no other.
func TestFetchChunksOnThePathToOneEntry(t *testing.T) {
	nodes := lineSwarm(t, 4, swarmOptions{})
	holder, asker := nodes[0], nodes[3]
	m := newNetManifest(t, 5000)
	if _, err := holder.store.PutChunks(m.all); err != nil {
		t.Fatal(err)
	}
	ds := storetest.NewManifestDataset(t, storetest.Key(t, "archive"), "national archive", m.ref)
	if _, _, err := holder.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	if whole, err := holder.store.ManifestWhole(ds.ID); err != nil || !whole {
		t.Fatalf("the holder's manifest is not whole: %v, %v", whole, err)
	}
	waitAnnounced(t, holder)
	if p := providersOf(t, asker, m); !slices.Contains(p, holder.Host().ID()) {
		t.Fatalf("providers of the manifest key %v do not include the holder", p)
	}

	want := m.entries[4321]
	path := m.pathTo(t, want.Key())
	if len(path) < 3 {
		t.Fatalf("a tree of %d levels tests little", len(path))
	}
	var asked []manifest.ChunkID
	e, ok, err := chunkReader(t.Context(), asker, m, ds.ID, &asked).Lookup(want.Path)
	if err != nil || !ok || e != want {
		t.Fatalf("lookup through the swarm: %+v, %v, %v; want %+v", e, ok, err, want)
	}
	if !slices.Equal(asked, path) {
		t.Errorf("asked for %d chunks, want the %d on the path to the entry", len(asked), len(path))
	}
	stats, err := asker.store.Stats()
	if err != nil || stats.Chunks != int64(len(path)) {
		t.Errorf("the asker stored %d chunks (%v), want the %d on the path of %d", stats.Chunks, err, len(path), len(m.all))
	}
	for _, id := range path {
		if b, err := asker.store.Chunk(id); err != nil || !slices.Equal(b, m.chunks[id]) {
			t.Errorf("chunk %s on the path is not stored as it is: %v", id, err)
		}
	}

	// A second lookup in the same leaf asks the network nothing: the
	// chunks are held now.
	before := len(asked)
	var again []manifest.ChunkID
	if _, ok, err := chunkReader(t.Context(), asker, m, ds.ID, &again).Lookup(want.Path); err != nil || !ok {
		t.Fatal(err)
	}
	if s, _ := asker.store.Stats(); s.Chunks != int64(before) {
		t.Errorf("a second lookup stored %d chunks, want none more than %d", s.Chunks, before)
	}
}

// TestLocateInManifestAcrossNodes: a node that never saw a dataset with a
// manifest locates one of its files: the holder lists the dataset with
// the file's path, and the asker checks the path in the manifest,
// fetching only the chunks on the way to the entry, before it stores the
// record and answers.
func TestLocateInManifestAcrossNodes(t *testing.T) {
	nodes := lineSwarm(t, 4, swarmOptions{})
	holder, asker := nodes[0], nodes[3]
	m := newNetManifest(t, 1500)
	if _, err := holder.store.PutChunks(m.all); err != nil {
		t.Fatal(err)
	}
	ds := storetest.NewManifestDataset(t, storetest.Key(t, "archive"), "national archive", m.ref)
	if _, _, err := holder.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, holder)

	want := m.entries[777]
	got, err := asker.Locate(t.Context(), want.Digest, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Datasets) != 1 || got.Datasets[0].ID != ds.ID || got.Datasets[0].Path != want.Path || got.Datasets[0].Name != "national archive" {
		t.Fatalf("locate on a node that never saw the dataset: %+v; want %s at %s", got.Datasets, ds.ID, want.Path)
	}
	if held, err := asker.store.Has(ds.ID); err != nil || !held {
		t.Errorf("the record found is not stored: %v", err)
	}
	path := m.pathTo(t, want.Key())
	if s, err := asker.store.Stats(); err != nil || s.Chunks != int64(len(path)) {
		t.Errorf("the asker stored %d chunks (%v), want the %d on the path of %d", s.Chunks, err, len(path), len(m.all))
	}
	if p := asker.scoreOf(holder.Host().ID()); p < 0 {
		t.Errorf("the honest holder was penalised: score %v", p)
	}

	// Asked again, the asker holds the record and the path, not the
	// whole manifest: it finds the file again, and another one through
	// the chunks it lacks.
	other := m.entries[1400]
	for _, e := range []manifest.Entry{want, other} {
		got, err := asker.Locate(t.Context(), e.Digest, api.QueryOptions{Timeout: 10 * time.Second})
		if err != nil || len(got.Datasets) != 1 || got.Datasets[0].ID != ds.ID || got.Datasets[0].Path != e.Path {
			t.Fatalf("locate of %s with the record held: %+v, %v", e.Path, got.Datasets, err)
		}
	}
}

// TestFetchWholeManifest: a node fetches every chunk of a manifest, more
// than one request holds, from the one node that holds it; with the
// record it then holds the manifest whole, indexes it, and becomes a
// provider of its key in turn.
func TestFetchWholeManifest(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{})
	holder, asker := nodes[0], nodes[2]
	m := newNetManifest(t, 6000)
	if len(m.all) <= fetch.MaxIDs {
		t.Fatalf("%d chunks fit one request", len(m.all))
	}
	if _, err := holder.store.PutChunks(m.all); err != nil {
		t.Fatal(err)
	}
	ds := storetest.NewManifestDataset(t, storetest.Key(t, "archive"), "national archive", m.ref)
	if _, _, err := holder.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	// The manifest key goes out before the entries' file keys.
	waitFor(t, "the holder provides the manifest key", func() bool {
		return slices.Contains(providersOf(t, asker, m), holder.Host().ID())
	})

	ids := make([]manifest.ChunkID, 0, len(m.chunks))
	for id := range m.chunks {
		ids = append(ids, id)
	}
	got, err := asker.net.FetchChunks(t.Context(), m.root, ds.ID, ids)
	if err != nil || len(got) != len(m.chunks) {
		t.Fatalf("fetched %d of %d chunks: %v", len(got), len(m.chunks), err)
	}
	for id, b := range got {
		if !slices.Equal(b, m.chunks[id]) {
			t.Fatalf("chunk %s is not the holder's", id)
		}
	}
	if _, _, err := asker.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	if whole, err := asker.store.ManifestWhole(ds.ID); err != nil || !whole {
		t.Fatalf("the manifest fetched is not whole: %v, %v", whole, err)
	}
	waitFor(t, "the node that fetched the manifest provides its key", func() bool {
		return slices.Contains(providersOf(t, holder, m), asker.Host().ID())
	})
}
