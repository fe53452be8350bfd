package node

import (
	"encoding/binary"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestHostileManifestProvider: a hostile node announces a manifest's key
// and answers every request for its chunks with a chunk of the manifest
// that was not asked for. A node that looks a file up in the manifest
// refuses each such answer before storing anything of it, penalises the
// hostile node, and gets the chunks on the path from an honest node that
// holds the dataset's record and the chunks: it stores those and no
// other.
func TestHostileManifestProvider(t *testing.T) {
	nodes := lineSwarm(t, 4, swarmOptions{})
	honest, hostile, asker := nodes[0], nodes[1], nodes[3]
	m := newNetManifest(t, 3000)
	ds := storetest.NewManifestDataset(t, storetest.Key(t, "archive"), "national archive", m.ref)
	// The record first: the honest node provides its object key, not the
	// manifest key, so the hostile provider of the manifest key is asked
	// first.
	if _, _, err := honest.Ingest(ds.Envelope.Encode()); err != nil {
		t.Fatal(err)
	}
	if _, err := honest.store.PutChunks(m.all); err != nil {
		t.Fatal(err)
	}
	if whole, _ := honest.store.ManifestWhole(ds.ID); whole {
		t.Fatal("the honest node indexed the manifest: it would provide its key")
	}
	waitAnnounced(t, honest)

	wrong := m.all[0] // a leaf: never the first chunk asked for, the root
	hostile.Host().SetStreamHandler(fetch.ProtocolID, func(st network.Stream) {
		defer st.Close()
		io.Copy(io.Discard, st) // the request, up to the client's half-close
		frame := binary.AppendUvarint(nil, uint64(1+len(wrong)))
		frame = append(append(frame, 0x14), wrong...)
		st.Write(append(frame, 0x01, 0x00))
	})
	if err := hostile.net.DHT().Provide(t.Context(), swarm.ManifestKey(m.root), true); err != nil {
		t.Fatal(err)
	}
	if p := providersOf(t, asker, m); !slices.Equal(p, []peer.ID{hostile.Host().ID()}) {
		t.Fatalf("providers of the manifest key: %v, want the hostile node alone", p)
	}

	want := m.entries[1777]
	path := m.pathTo(t, want.Key())
	var asked []manifest.ChunkID
	e, ok, err := chunkReader(t.Context(), asker, m, ds.ID, &asked).Lookup(want.Path)
	if err != nil || !ok || e != want {
		t.Fatalf("lookup past a hostile provider: %+v, %v, %v; want %+v", e, ok, err, want)
	}
	waitFor(t, "the hostile provider's score drops", func() bool { return asker.scoreOf(hostile.Host().ID()) < 0 })
	if s := asker.scoreOf(honest.Host().ID()); s < 0 {
		t.Errorf("the honest node's score is %v", s)
	}
	stats, err := asker.store.Stats()
	if err != nil || stats.Chunks != int64(len(path)) {
		t.Errorf("the asker stored %d chunks (%v), want the %d on the path", stats.Chunks, err, len(path))
	}
	if _, err := asker.store.Chunk(manifest.SumChunk(wrong)); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("the chunk the hostile node pushed is stored: %v", err)
	}
}

// TestHostileListerOfManifest: a hostile node announces a file's key and,
// asked for the datasets that name the file, lists a real dataset with a
// manifest under the path of another of its files. The asker looks the
// path up in the manifest (the chunks the hostile node serves are the
// real ones: they must hash to what the signed root names), finds another
// digest there, stores nothing of the listing, answers that no dataset
// holds the file, and penalises the hostile node.
func TestHostileListerOfManifest(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{})
	hostile, asker := nodes[0], nodes[2]
	m := newNetManifest(t, 800)
	ds := storetest.NewManifestDataset(t, storetest.Key(t, "archive"), "national archive", m.ref)
	target, decoy := m.entries[10], m.entries[500]

	hostile.Host().SetStreamHandler(fetch.ProtocolID, func(st network.Stream) {
		defer st.Close()
		raw, _ := io.ReadAll(st)
		n, k := binary.Uvarint(raw)
		if k <= 0 || len(raw) < k+int(n) || n < 1 {
			st.Reset()
			return
		}
		req, err := fetch.DecodeRequest(raw[k+1 : k+int(n)])
		if err != nil {
			st.Reset()
			return
		}
		frame := func(out []byte, typ byte, body []byte) []byte {
			out = binary.AppendUvarint(out, uint64(1+len(body)))
			return append(append(out, typ), body...)
		}
		var out []byte
		switch req.Op {
		case fetch.OpFiles:
			body := append([]byte{0, byte(len(ds.ID.Bytes()))}, ds.ID.Bytes()...)
			body = append(append(append(body, 1), byte(len(decoy.Path))), decoy.Path...)
			out = frame(out, 0x15, body)
		case fetch.OpObjects, fetch.OpChunks:
			for _, id := range req.IDs {
				switch c, ok := m.chunks[manifest.ChunkIDFromDigest(id.Digest())]; {
				case id == ds.ID:
					out = frame(out, 0x10, ds.Envelope.Encode())
				case ok && req.Op == fetch.OpChunks:
					out = frame(out, 0x14, c)
				default:
					out = frame(out, 0x11, id.Bytes())
				}
			}
		}
		st.Write(frame(out, 0x00, nil))
	})
	if err := hostile.net.DHT().Provide(t.Context(), protocol.FileKey(target.Digest), true); err != nil {
		t.Fatal(err)
	}

	got, err := asker.Locate(t.Context(), target.Digest, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil || len(got.Datasets) != 0 {
		t.Fatalf("locate past a hostile lister: %+v, %v; want no dataset", got.Datasets, err)
	}
	if held, err := asker.store.Has(ds.ID); err != nil || held {
		t.Errorf("the dataset listed falsely is stored: %v, %v", held, err)
	}
	waitFor(t, "the hostile lister's score drops", func() bool { return asker.scoreOf(hostile.Host().ID()) < 0 })
}
