package store_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
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
