package api

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// TestChunkFrames: frames read back as written; an empty frame, one over
// manifest.MaxChunkSize and one cut short are refused, naming the frame.
func TestChunkFrames(t *testing.T) {
	chunks := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 300), bytes.Repeat([]byte("c"), manifest.MaxChunkSize)}
	var frames []byte
	for _, c := range chunks {
		frames = AppendChunkFrame(frames, c)
	}
	var got [][]byte
	if err := ReadChunkFrames(bytes.NewReader(frames), func(i int, c []byte) error {
		got = append(got, c)
		return nil
	}); err != nil || len(got) != 3 || !bytes.Equal(got[1], chunks[1]) || !bytes.Equal(got[2], chunks[2]) {
		t.Fatalf("read back %d chunks, %v", len(got), err)
	}
	for name, tt := range map[string]struct {
		body []byte
		kind protocol.Kind
		want string
	}{
		"empty frame":   {append(AppendChunkFrame(nil, []byte("x")), 0), protocol.TooLarge, "frame 1"},
		"over the size": {AppendChunkFrame(nil, make([]byte, manifest.MaxChunkSize+1)), protocol.TooLarge, "frame 0"},
		"cut short":     {frames[:len(frames)-1], protocol.Invalid, "frame 2 is cut short"},
		"length cut":    {[]byte{0x80}, protocol.Invalid, "frame 0"},
	} {
		err := ReadChunkFrames(bytes.NewReader(tt.body), func(int, []byte) error { return nil })
		if !protocol.IsKind(err, tt.kind) || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
			t.Errorf("%s: %v, want %v naming %q", name, err, tt.kind, tt.want)
		}
	}
}

// FuzzReadChunkFrames: whatever the body, the reader hands on chunks of 1
// to MaxChunkSize bytes that the body holds, in its order, or ends with an
// error.
func FuzzReadChunkFrames(f *testing.F) {
	f.Add(AppendChunkFrame(AppendChunkFrame(nil, []byte("one")), []byte("two")))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Add([]byte{0x05, 'a'})
	f.Fuzz(func(t *testing.T, body []byte) {
		rest := body
		ReadChunkFrames(bytes.NewReader(body), func(_ int, c []byte) error {
			if len(c) == 0 || len(c) > manifest.MaxChunkSize {
				t.Fatalf("a chunk of %d bytes handed on", len(c))
			}
			n, k := binary.Uvarint(rest)
			if k <= 0 || n != uint64(len(c)) || !bytes.Equal(rest[k:k+len(c)], c) {
				t.Fatalf("chunk %x is not the next frame of the body", c)
			}
			rest = rest[k+len(c):]
			return nil
		})
	})
}
