package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// testManifest is a manifest tree and its chunks, built as a publisher
// builds one.
type testManifest struct {
	root   manifest.Root
	ids    []manifest.ChunkID // in the order the builder made them: leaves first, the root last
	chunks map[manifest.ChunkID][]byte
	paths  []string
}

// newManifest builds the manifest of n files.
func newManifest(tb testing.TB, n int) *testManifest {
	tb.Helper()
	m := &testManifest{chunks: map[manifest.ChunkID][]byte{}}
	b := manifest.NewBuilder(func(id manifest.ChunkID, chunk []byte) error {
		m.ids = append(m.ids, id)
		m.chunks[id] = chunk
		return nil
	})
	for i := range n {
		p := fmt.Sprintf("archive/box-%03d/item-%06d.tif", i/1000, i)
		m.paths = append(m.paths, p)
		if err := b.Add(manifest.Entry{Path: p, Size: int64(i), Digest: protocol.SumDigest([]byte(p))}); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		tb.Fatal(err)
	}
	m.root = root
	return m
}

func chunkFrame(b []byte) []byte { return appendFrame(nil, frameChunk, b) }

// TestChunksFetched: a server answers the chunks it holds from its store
// and not-found for the rest; a client reads a manifest it never saw
// through them, one chunk per level.
func TestChunksFetched(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	m := newManifest(t, 3000)
	var all [][]byte
	for _, id := range m.ids {
		all = append(all, m.chunks[id])
	}
	if _, err := f.store.PutChunks(all); err != nil {
		t.Fatal(err)
	}
	absent := manifest.SumChunk([]byte("a chunk nobody holds"))
	asked := append(slices.Clone(m.ids[:5]), absent, m.ids[5], m.ids[0]) // a repeat is asked once
	got, err := f.fetch.Chunks(context.Background(), f.server.ID(), asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Errorf("got %d chunks, want the 6 held", len(got))
	}
	for _, id := range m.ids[:6] {
		if !slices.Equal(got[id], m.chunks[id]) {
			t.Errorf("chunk %s: got %d bytes, want the chunk's %d", id, len(got[id]), len(m.chunks[id]))
		}
	}
	if _, ok := got[absent]; ok {
		t.Errorf("a chunk the server does not hold is in the answer")
	}

	fetched := 0
	r := manifest.NewReader(m.root.ID, func(id manifest.ChunkID) ([]byte, error) {
		fetched++
		got, err := f.fetch.Chunks(context.Background(), f.server.ID(), []manifest.ChunkID{id})
		if err != nil {
			return nil, err
		}
		b, ok := got[id]
		if !ok {
			return nil, protocol.E("fetch chunk", protocol.NotFound, "%s", id)
		}
		return b, nil
	})
	e, ok, err := r.Lookup(m.paths[1234])
	if err != nil || !ok || e.Digest != protocol.SumDigest([]byte(m.paths[1234])) {
		t.Fatalf("lookup through the network: %+v, %v, %v", e, ok, err)
	}
	levels := 0 // every leaf is as deep as the first
	for c := m.chunks[m.root.ID]; ; levels++ {
		d, err := manifest.DecodeChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		if d.Level == 0 {
			break
		}
		c = m.chunks[d.Children[0].ID]
	}
	if fetched != levels+1 {
		t.Errorf("the lookup fetched %d chunks; the tree has %d levels", fetched, levels+1)
	}
	if p := append(f.srvPen.all(), f.cliPen.all()...); len(p) != 0 {
		t.Errorf("penalties on a clean exchange: %q", p)
	}
}

// TestChunksNotHeld: a storeless peer answers not-found, and the
// answer is an empty map, not an error.
func TestChunksNotHeld(t *testing.T) {
	srv, cli := newHost(t), newHost(t)
	NewServer(testNetwork, &fakeSource{}, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	got, err := NewClient(cli, testNetwork, ClientOptions{}).Chunks(context.Background(), srv.ID(), []manifest.ChunkID{manifest.SumChunk([]byte("x"))})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %d chunks, %v; want none and no error", len(got), err)
	}
}

// TestChunkOverLimitNotServed: a source that gives a chunk over
// MaxChunkSize fails the answer with a server error: the server sends
// nothing a client must refuse.
func TestChunkOverLimitNotServed(t *testing.T) {
	srv, cli := newHost(t), newHost(t)
	NewServer(testNetwork, &fakeSource{chunk: func(manifest.ChunkID) ([]byte, error) {
		return make([]byte, MaxChunkSize+1), nil
	}}, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	pen := &penalties{}
	_, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Chunks(context.Background(), srv.ID(), []manifest.ChunkID{manifest.SumChunk([]byte("x"))})
	var re *RemoteError
	if !protocol.IsKind(err, protocol.Transient) || !errors.As(err, &re) || re.Code != CodeServerError {
		t.Fatalf("got %v; want a server error", err)
	}
	if len(pen.all()) != 0 {
		t.Errorf("penalised: %q", pen.all())
	}
}
