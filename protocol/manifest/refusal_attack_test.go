package manifest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// rawItem is an item of a chunk written by hand, prefix included, so that
// tests can write what Encode never would.
type rawItem struct {
	shared int
	rest   string
	nums   []uint64 // size; or count, bytes
	digest []byte   // 32 bytes unless a test cuts it
}

func rawChunk(level byte, n uint64, items ...rawItem) []byte {
	b := []byte(manifest.Magic)
	b = append(b, level)
	b = binary.AppendUvarint(b, n)
	for _, it := range items {
		b = binary.AppendUvarint(b, uint64(it.shared))
		b = binary.AppendUvarint(b, uint64(len(it.rest)))
		b = append(b, it.rest...)
		for _, v := range it.nums {
			b = binary.AppendUvarint(b, v)
		}
		if it.digest == nil {
			it.digest = make([]byte, 32)
		}
		b = append(b, it.digest...)
	}
	return b
}

func leaf(path string, size uint64) rawItem { return rawItem{rest: path, nums: []uint64{size}} }

// keyWhere returns the first key "prefix<n>" for which IsBoundary(key,
// level) is want.
func keyWhere(prefix string, level int, want bool) string {
	for n := 0; ; n++ {
		k := fmt.Sprintf("%s%d", prefix, n)
		if manifest.IsBoundary(k, level) == want {
			return k
		}
	}
}

// TestChunkRefusals: every way a chunk's bytes can break SPEC §3.8 is
// refused by DecodeChunk with an error that names it, and nothing else is.
func TestChunkRefusals(t *testing.T) {
	plain := keyWhere("p", 0, false)
	ends := keyWhere("e", 0, true)
	nonMinimal := append([]byte(manifest.Magic), 0, 0x81, 0x00)
	overflow := append([]byte(manifest.Magic), 0)
	overflow = append(overflow, bytes.Repeat([]byte{0xff}, 10)...)
	overflow = append(overflow, 0x01)
	tests := []struct {
		name string
		b    []byte
		kind protocol.Kind
		want string
	}{
		{"too large", append(rawChunk(0, 1, leaf("a", 1)), make([]byte, manifest.MaxChunkSize)...), protocol.TooLarge, "over 1048576"},
		{"wrong magic", append([]byte("commons/manifest/v2\n"), 0, 1), protocol.Invalid, "does not begin with"},
		{"no level", []byte(manifest.Magic), protocol.Invalid, "ends before its level"},
		{"depth beyond the bound", rawChunk(manifest.MaxLevel+1, 1), protocol.Invalid, "level 11, over 10"},
		{"no items", rawChunk(0, 0), protocol.Invalid, "holds 0 items"},
		{"too many items", rawChunk(0, manifest.MaxLeafEntries+1), protocol.Invalid, "holds 257 items, want 1 to 256"},
		{"non-minimal uvarint", nonMinimal, protocol.Invalid, "item count is not a minimal uvarint"},
		{"overflowing uvarint", overflow, protocol.Invalid, "item count overflows 64 bits"},
		{"truncated text", rawChunk(0, 1, leaf("abc", 1))[:len(manifest.Magic)+5], protocol.Invalid, "ends inside its text"},
		{"truncated digest", rawChunk(0, 1, rawItem{rest: "a", nums: []uint64{1}, digest: make([]byte, 31)}), protocol.Invalid, "ends inside a digest"},
		{"missing item", rawChunk(0, 2, leaf(plain, 1)), protocol.Invalid, "item 1: chunk ends inside its prefix length"},
		{"trailing bytes", append(rawChunk(0, 1, leaf("a", 1)), 0), protocol.Invalid, "1 bytes after the last item"},
		{"prefix shorter than shared", rawChunk(0, 2, leaf(plain, 1), leaf(plain+"x", 1)), protocol.Invalid, fmt.Sprintf("shares %d bytes with the text before it, but says 0", len(plain))},
		{"prefix longer than the text before", rawChunk(0, 2, leaf(plain, 1), rawItem{shared: 50, rest: "x", nums: []uint64{1}}), protocol.Invalid, "shares 50 bytes with a text of"},
		{"absolute path", rawChunk(0, 1, leaf("/etc/passwd", 1)), protocol.Invalid, "is absolute"},
		{"dot-dot segment", rawChunk(0, 1, leaf("a/../../b", 1)), protocol.Invalid, "empty, . or .. segment"},
		{"control character", rawChunk(0, 1, leaf("a\x1b[2Jb", 1)), protocol.Invalid, "contains"},
		{"bidi override", rawChunk(0, 1, leaf("txt.\u202eexe", 1)), protocol.Invalid, "contains"},
		{"not UTF-8", rawChunk(0, 1, leaf("a\xffb", 1)), protocol.Invalid, "not UTF-8"},
		{"path too long", rawChunk(0, 1, leaf(strings.Repeat("a", protocol.MaxPathLen+1), 1)), protocol.Invalid, "over 1024"},
		{"unsorted paths", rawChunk(0, 2, leaf("q"+plain, 1), leaf(plain, 1)), protocol.Invalid, "is not after the key before it"},
		{"duplicate path", rawChunk(0, 2, leaf(plain, 1), rawItem{shared: len(plain), nums: []uint64{1}}), protocol.Invalid, "appears twice"},
		{"one file after NFC", rawChunk(0, 2, leaf("caf\u00e9", 1), rawItem{shared: 3, rest: "e\u0301", nums: []uint64{1}}), protocol.Invalid, `appears twice (paths "caf\u00e9" and "cafe\u0301" are one file)`},
		{"file and directory", rawChunk(0, 2, leaf(plain, 1), rawItem{shared: len(plain), rest: "/b", nums: []uint64{1}}), protocol.Invalid, "is a file, and a directory of path"},
		{"boundary before the end", rawChunk(0, 2, leaf(ends, 1), leaf("z", 1)), protocol.Invalid, "ends a chunk of level 0, but items follow it"},
		{"size over MaxSize", rawChunk(0, 1, leaf("a", 1<<63)), protocol.Invalid, "size 9223372036854775808 is over"},
		{"sizes overflow", rawChunk(0, 2, leaf(plain, 1<<62), leaf("z", 1<<62)), protocol.Invalid, "sizes add up to more than"},
		{"branch key not NFC", rawChunk(1, 1, rawItem{rest: "e\u0301", nums: []uint64{1, 1}}), protocol.Invalid, "is not in NFC"},
		{"branch key empty", rawChunk(1, 1, rawItem{nums: []uint64{1, 1}}), protocol.Invalid, "empty key"},
		{"branch key too long", rawChunk(1, 1, rawItem{rest: strings.Repeat("a", manifest.MaxKeyLen+1), nums: []uint64{1, 1}}), protocol.Invalid, "over 3072"},
		{"child without entries", rawChunk(1, 1, rawItem{rest: "a", nums: []uint64{0, 0}}), protocol.Invalid, "a child with no entries"},
		{"branch keys unsorted", rawChunk(1, 2, rawItem{rest: "b", nums: []uint64{1, 1}}, rawItem{rest: "a", nums: []uint64{1, 1}}), protocol.Invalid, "is not after the key before it"},
		{"branch too many children", rawChunk(1, manifest.MaxBranchEntries+1), protocol.Invalid, "holds 257 items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := manifest.DecodeChunk(tt.b)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", c)
			}
			if got := protocol.KindOf(err); got != tt.kind {
				t.Errorf("kind %v, want %v (%v)", got, tt.kind, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "decode manifest chunk: ") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
	// the same bytes, made valid, decode: each refusal is of what its name says
	for _, ok := range [][]byte{
		rawChunk(0, 1, leaf("a", 1)),
		rawChunk(0, 2, leaf(plain, 1), rawItem{shared: len(plain), rest: "x", nums: []uint64{1}}),
		rawChunk(0, 2, leaf("caf\u00e9", 1), rawItem{shared: 5, rest: "x", nums: []uint64{1}}),
		rawChunk(0, 2, leaf(plain, 1<<62), leaf("z", 1<<62-1)),
		rawChunk(1, 1, rawItem{rest: "\u00e9", nums: []uint64{1, 1}}),
	} {
		if _, err := manifest.DecodeChunk(ok); err != nil {
			t.Errorf("a valid chunk refused: %v", err)
		}
	}
}

// TestTreeRefusals: a Reader refuses a chunk that is not the one its
// parent names, or that its parent describes otherwise, so a hostile peer
// cannot make a reader see another file list than the signed root's.
func TestTreeRefusals(t *testing.T) {
	ends := func(prefix string) string { return keyWhere(prefix, 0, true) }
	plain := keyWhere("p", 0, false)
	leafOf := func(paths ...string) *manifest.Chunk {
		c := &manifest.Chunk{}
		for _, p := range paths {
			c.Entries = append(c.Entries, manifest.Entry{Path: p, Size: 1})
		}
		return c
	}
	a, b := ends("a"), "b"+plain // a ends a leaf; b is the rightmost leaf
	tests := []struct {
		name string
		// make returns the root and the store holding the tree
		make func(s *chunks) manifest.ChunkID
		want string
	}{
		{"bytes that are another chunk", func(s *chunks) manifest.ChunkID {
			id := manifest.SumChunk(leafOf(a).Encode())
			s.m[id] = leafOf(b).Encode()
			return id
		}, "the bytes fetched are chunk"},
		{"child of another level", func(s *chunks) manifest.ChunkID {
			la, lb := put(s, leafOf(a)), put(s, leafOf(b))
			inner := put(s, branch(1, child(a, 1, 1, la), child(b, 1, 1, lb)))
			return put(s, branch(1, child(a, 1, 1, la), child(b, 2, 2, inner)))
		}, "chunk of level 1 where its parent says 0"},
		{"last key other than the parent says", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(a, 1, 1, put(s, leafOf(a))), child(b+"z", 1, 1, put(s, leafOf(b)))))
		}, "where its parent says"},
		{"count other than the parent says", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(a, 1, 1, put(s, leafOf(a))), child(b, 5, 1, put(s, leafOf(b)))))
		}, "holds 1 entries of 1 bytes where its parent says 5 of 1"},
		{"bytes other than the parent says", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(a, 1, 7, put(s, leafOf(a))), child(b, 1, 1, put(s, leafOf(b)))))
		}, "where its parent says 1 of 7"},
		{"keys before the child's range", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(a, 1, 1, put(s, leafOf(a))), child(b, 2, 2, put(s, leafOf("a", b)))))
		}, "where the chunk's range begins"},
		{"root of one child", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(b, 1, 1, put(s, leafOf(b)))))
		}, "a root of level 1 with one child"},
		{"a leaf that ends where no boundary is", func(s *chunks) manifest.ChunkID {
			return put(s, branch(1, child(plain, 1, 1, put(s, leafOf(plain))), child("z"+plain, 1, 1, put(s, leafOf("z"+plain)))))
		}, "which ends no chunk of level 0, and is neither full nor the last of its level"},
		{"chunk missing", func(s *chunks) manifest.ChunkID {
			return manifest.SumChunk([]byte("nothing"))
		}, "no chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newChunks()
			root := tt.make(s)
			r := manifest.NewReader(root, s.fetch)
			_, _, err := r.Page("", 100)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Page: %v, want an error saying %q", err, tt.want)
			}
			if err := r.Walk(func(manifest.Entry) bool { return true }); err == nil {
				t.Fatal("Walk read the tree")
			}
			if err := manifest.Diff(root, put(s, leafOf("x")), s.fetch, func(manifest.Change) bool { return true }); err == nil {
				t.Fatal("Diff read the tree")
			}
		})
	}
}

func put(s *chunks, c *manifest.Chunk) manifest.ChunkID {
	b := c.Encode()
	id := manifest.SumChunk(b)
	s.m[id] = b
	return id
}

func branch(level int, children ...manifest.Child) *manifest.Chunk {
	return &manifest.Chunk{Level: level, Children: children}
}

func child(last string, count, size int64, id manifest.ChunkID) manifest.Child {
	return manifest.Child{Last: last, Count: count, Bytes: size, ID: id}
}

// TestWalkRefusesDirectoryAcrossChunks: a file that is a directory of a
// path in another chunk, which no single chunk shows, is refused by Walk.
func TestWalkRefusesDirectoryAcrossChunks(t *testing.T) {
	s := newChunks()
	d := keyWhere("d", 0, true)
	l1 := put(s, &manifest.Chunk{Entries: []manifest.Entry{{Path: d, Size: 1}}})
	l2 := put(s, &manifest.Chunk{Entries: []manifest.Entry{{Path: d + "/x", Size: 1}}})
	root := put(s, branch(1, child(d, 1, 1, l1), child(d+"/x", 1, 1, l2)))
	err := manifest.NewReader(root, s.fetch).Walk(func(manifest.Entry) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "is a file, and a directory of path") {
		t.Fatalf("Walk: %v, want the directory refused", err)
	}
}

// TestBuilderRefusals: the Builder refuses what no tree may hold, naming
// the entry.
func TestBuilderRefusals(t *testing.T) {
	tests := []struct {
		name    string
		entries []manifest.Entry
		want    string
	}{
		{"unsorted", []manifest.Entry{{Path: "b"}, {Path: "a"}}, `entry 1: path "a" is not after the path before it`},
		{"duplicate", []manifest.Entry{{Path: "a"}, {Path: "a"}}, `entry 1: path "a" is the file of the entry before it`},
		{"one file after NFC", []manifest.Entry{{Path: "caf\u00e9"}, {Path: "cafe\u0301"}}, "same path after NFC"},
		{"file and directory", []manifest.Entry{{Path: "a"}, {Path: "a.txt"}, {Path: "a/b"}}, `path "a" is a file, and a directory of path "a/b"`},
		{"bad path", []manifest.Entry{{Path: "../x"}}, "entry 0: path \"../x\" has an empty, . or .. segment"},
		{"negative size", []manifest.Entry{{Path: "a", Size: -1}}, "has size -1"},
		{"sizes overflow", []manifest.Entry{{Path: "a", Size: protocol.MaxSize}, {Path: "b", Size: 1}}, "sizes add up to more than"},
		{"no entries", nil, "at least one entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := manifest.NewBuilder(newChunks().put)
			var err error
			for _, e := range tt.entries {
				if err = b.Add(e); err != nil {
					break
				}
			}
			if err == nil {
				_, err = b.Root()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("got %v, want an invalid error saying %q", err, tt.want)
			}
		})
	}
}

// TestParseChunkIDRefusesObjects: a chunk ID is never an object's: the
// codec json marks signed objects, and a chunk is asked for by raw CID.
func TestParseChunkIDRefusesObjects(t *testing.T) {
	obj := "bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq"
	if _, err := manifest.ParseChunkID(obj); err == nil || !strings.Contains(err.Error(), "is an object ID (codec json), want a chunk ID (codec raw)") {
		t.Errorf("ParseChunkID(%s) = %v, want the object ID refused", obj, err)
	}
	id := manifest.SumChunk([]byte(manifest.Magic))
	got, err := manifest.ParseChunkID(id.String())
	if err != nil || got != id || !strings.HasPrefix(id.String(), "bafkrei") {
		t.Errorf("ParseChunkID(%s) = %v, %v", id, got, err)
	}
}
