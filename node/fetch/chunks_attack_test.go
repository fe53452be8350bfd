package fetch

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// TestClientRefusesHostileChunks: a hostile peer answers a chunks request
// with chunks that are not the ones asked for, too large, too many, or
// not chunks at all. Each is refused as a violation before anything of it
// is handed out, the chunks checked before it are kept, and the peer is
// penalised.
func TestClientRefusesHostileChunks(t *testing.T) {
	m := newManifest(t, 200)
	a, b, c := m.ids[0], m.ids[1], m.ids[2]
	chunk := func(id manifest.ChunkID) []byte { return chunkFrame(m.chunks[id]) }
	// garbage is bytes that are no chunk; the client asks for them by
	// their hash, as a hostile manifest's branch would name them.
	garbage := []byte(manifest.Magic + "\x00\x00not a chunk")
	junk := manifest.SumChunk(garbage)
	// big is a chunk-sized answer of the right hash: over MaxChunkSize,
	// refused by its length before its body is read.
	big := make([]byte, MaxChunkSize+1)
	bigID := manifest.SumChunk(big)
	cases := []struct {
		name     string
		ask      []manifest.ChunkID
		response []byte
		want     string
		kept     []manifest.ChunkID // the chunks returned with the error
	}{
		{"a chunk not asked for", []manifest.ChunkID{a, b}, frames(chunk(c), chunk(b), endFrame), "not asked for there", nil},
		{"chunks out of order", []manifest.ChunkID{a, b}, frames(chunk(b), chunk(a), endFrame), "not asked for there", nil},
		{"good then unsolicited", []manifest.ChunkID{a, b}, frames(chunk(a), chunk(c), endFrame), "not asked for there", []manifest.ChunkID{a}},
		{"bytes that hash to nothing asked", []manifest.ChunkID{a}, frames(chunkFrame(append(slices.Clone(m.chunks[a]), 0)), endFrame), "not asked for there", nil},
		{"over the chunk limit", []manifest.ChunkID{bigID}, frames(chunkFrame(big), endFrame), "over the limit of 1048576", nil},
		{"not a chunk", []manifest.ChunkID{a, junk}, frames(chunk(a), chunkFrame(garbage), endFrame), "decode manifest chunk", []manifest.ChunkID{a}},
		{"one more chunk than asked", []manifest.ChunkID{a, b}, frames(chunk(a), chunk(b), chunk(c), endFrame), "unexpected frame type 0x14", []manifest.ChunkID{a, b}},
		{"the answer twice", []manifest.ChunkID{a}, frames(chunk(a), chunk(a), endFrame), "unexpected frame type 0x14", []manifest.ChunkID{a}},
		{"an object frame", []manifest.ChunkID{a}, frames(appendFrame(nil, frameObject, m.chunks[a]), endFrame), "unexpected frame type 0x10", nil},
		{"not-found for another chunk", []manifest.ChunkID{a}, frames(notFoundFrame(b.ID()), endFrame), "not-found for something other", nil},
		{"no end", []manifest.ChunkID{a}, chunk(a), "stream ends where a frame should begin", []manifest.ChunkID{a}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := hostileServer(t, func(r *Request) []byte {
				if r.Op != OpChunks {
					t.Errorf("the client asked with op %q", r.Op)
				}
				return tc.response
			}, false)
			cli := newHost(t)
			connect(t, cli, srv)
			pen := &penalties{}
			got, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Chunks(context.Background(), srv.ID(), tc.ask)
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.ID().String()) {
				t.Fatalf("got %v; want an invalid error naming the peer and %q", err, tc.want)
			}
			if len(got) != len(tc.kept) {
				t.Errorf("returned %d chunks with the error, want the %d checked before it", len(got), len(tc.kept))
			}
			for _, id := range tc.kept {
				if !slices.Equal(got[id], m.chunks[id]) {
					t.Errorf("chunk %s not returned as it is", id)
				}
			}
			pen.wait(t, srv.ID(), tc.want)
		})
	}
}

// TestClientRefusesHostileDatasetLists: a files answer whose paths break
// the frame's form is a violation like a bad ID list.
func TestClientRefusesHostileDatasetLists(t *testing.T) {
	id := manyIDs(1)[0]
	item := func(paths ...string) []byte {
		b := []byte{0}
		b = appendUvarint(b, uint64(len(id.Bytes())))
		b = append(b, id.Bytes()...)
		b = appendUvarint(b, uint64(len(paths)))
		for _, p := range paths {
			b = appendUvarint(b, uint64(len(p)))
			b = append(b, p...)
		}
		return frames(appendFrame(nil, frameDatasets, b), endFrame)
	}
	tooMany := make([]string, MaxPaths+1)
	for i := range tooMany {
		tooMany[i] = "p"
	}
	cases := []struct {
		name     string
		response []byte
		want     string
	}{
		{"no path", item(), "no path"},
		{"too many paths", item(tooMany...), "number of paths 17, over 16"},
		{"an empty path", item(""), "path 0 of length 0"},
		{"a path too long", item(strings.Repeat("x", protocol.MaxPathLen+1)), "path 0 length 1025, over 1024"},
		{"a path not UTF-8", item("a\xffb"), "path 0 is not UTF-8"},
		{"a path past the frame's end", frames(appendFrame(nil, frameDatasets, append(append(append([]byte{0, byte(len(id.Bytes()))}, id.Bytes()...), 1, 10), "abc"...)), endFrame), "path 0: cut short"},
		{"a non-minimal count", frames(appendFrame(nil, frameDatasets, append(append(append([]byte{0, byte(len(id.Bytes()))}, id.Bytes()...), 0x81, 0x00), 1, 'p')), endFrame), "not a minimal varint"},
		{"an ID list instead", frames(appendFrame(nil, frameIDList, appendIDList(nil, []protocol.ID{id}, false)), endFrame), "unexpected frame type 0x12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := hostileServer(t, func(*Request) []byte { return tc.response }, false)
			cli := newHost(t)
			connect(t, cli, srv)
			pen := &penalties{}
			found, _, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Datasets(context.Background(), srv.ID(), protocol.SumDigest([]byte("f")), protocol.ID{}, 0)
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), tc.want) || found != nil {
				t.Fatalf("got %v, %v; want nothing and an invalid error with %q", found, err, tc.want)
			}
			pen.wait(t, srv.ID(), tc.want)
		})
	}
}
