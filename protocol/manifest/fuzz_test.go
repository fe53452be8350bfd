package manifest_test

import (
	"bytes"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// FuzzDecodeChunk: DecodeChunk never panics, refuses with kind invalid or
// too large, and what it accepts is the one encoding of what it decoded.
func FuzzDecodeChunk(f *testing.F) {
	s := newChunks()
	build(f, s, synthetic(300))
	for _, b := range s.m {
		f.Add(b)
	}
	f.Add(rawChunk(0, 2, leaf("a", 1), rawItem{shared: 1, rest: "b", nums: []uint64{2}}))
	f.Add(rawChunk(1, 1, rawItem{rest: "x", nums: []uint64{1, 1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := manifest.DecodeChunk(b)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("kind %v: %v", k, err)
			}
			return
		}
		if again := c.Encode(); !bytes.Equal(again, b) {
			t.Fatalf("decoded and encoded again differ:\n%q\n%q", b, again)
		}
	})
}

// FuzzReader: a Reader over a tree whose chunks a peer chose never
// panics, and whatever it returns came from chunks that passed its checks:
// the entries Page lists are strictly ascending and each is found by
// Lookup.
func FuzzReader(f *testing.F) {
	s := newChunks()
	root := build(f, s, synthetic(40))
	var leafBytes []byte
	for _, b := range s.m {
		leafBytes = b
		break
	}
	f.Add(s.m[root.ID], leafBytes, leafBytes)
	f.Fuzz(func(t *testing.T, rootBytes, c1, c2 []byte) {
		st := newChunks()
		for _, b := range [][]byte{rootBytes, c1, c2} {
			st.m[manifest.SumChunk(b)] = b
		}
		r := manifest.NewReader(manifest.SumChunk(rootBytes), st.fetch)
		page, _, err := r.Page("", 1000)
		if err != nil {
			return
		}
		for i, e := range page {
			if i > 0 && page[i-1].Key() >= e.Key() {
				t.Fatalf("entries out of order: %q then %q", page[i-1].Path, e.Path)
			}
			if g, ok, err := r.Lookup(e.Path); err != nil || !ok || g != e {
				t.Fatalf("Lookup(%q) = %+v, %v, %v", e.Path, g, ok, err)
			}
		}
	})
}

// FuzzParseChunkID: a chunk ID's text reads back to the ID it spells.
func FuzzParseChunkID(f *testing.F) {
	f.Add(manifest.SumChunk([]byte("x")).String())
	f.Add("bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := manifest.ParseChunkID(s)
		if err != nil {
			return
		}
		again, err := manifest.ParseChunkID(id.String())
		if err != nil || again != id {
			t.Fatalf("%q reads as %s, which reads as %s, %v", s, id, again, err)
		}
	})
}
