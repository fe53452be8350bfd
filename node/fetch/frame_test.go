package fetch

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
)

func TestReadLength(t *testing.T) {
	cases := []struct {
		in   []byte
		want int
		err  string
	}{
		{[]byte{0x00}, 0, ""},
		{[]byte{0x7f}, 127, ""},
		{[]byte{0x80, 0x01}, 128, ""},
		{appendUvarint(nil, maxFrameLen), maxFrameLen, ""},
		{appendUvarint(nil, maxFrameLen+1), 0, "over the limit"},
		{appendUvarint(nil, 1<<40), 0, "over the limit"},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, 0, "over the limit"},
		{[]byte{0x81, 0x00}, 0, "not a minimal varint"},
		{[]byte{0x80}, 0, "inside a frame"},
		{nil, 0, "where a frame should begin"},
	}
	for _, c := range cases {
		got, err := readLength(bytes.NewReader(c.in))
		if c.err == "" && (err != nil || got != c.want) {
			t.Errorf("readLength(% x) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if c.err != "" && (!protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("readLength(% x) = %d, %v; want an invalid error with %q", c.in, got, err, c.err)
		}
	}
}

// allocated returns the bytes allocated while fn runs.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestFrameReaderAllocatesOnlyWhatArrives(t *testing.T) {
	any := func(byte) (int, bool) { return MaxNodeSize, true }
	cases := []struct {
		name string
		in   []byte
	}{
		{"a 1 GiB frame", append(appendUvarint(nil, 1<<30), frameObject, 'x')},
		{"a frame just over the limit", append(appendUvarint(nil, maxFrameLen+1), frameObject, 'x')},
		{"a 4 MiB frame with 10 bytes sent", append(appendUvarint(nil, maxFrameLen), frameObject, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
	}
	for _, c := range cases {
		var err error
		n := allocated(func() { _, _, err = newFrameReader(bytes.NewReader(c.in)).next(any) })
		if !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: %v, want an invalid error", c.name, err)
		}
		if n > 256<<10 {
			t.Errorf("%s: allocated %d bytes", c.name, n)
		}
	}
	// A frame over a type's own limit is refused before its body is read.
	in := append(appendUvarint(nil, 2+maxErrorLen), frameError)
	_, _, err := newFrameReader(io.MultiReader(bytes.NewReader(in), failingReader{})).next(endLimit)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "over the limit of 1025") {
		t.Errorf("error frame over its limit: %v", err)
	}
}

// failingReader fails the test's reader if anything reads it.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { panic("read past a refused frame header") }

func TestFrameRoundTrip(t *testing.T) {
	bodies := [][]byte{nil, []byte("x"), bytes.Repeat([]byte("y"), 127), bytes.Repeat([]byte("z"), readChunk+5)}
	var buf bytes.Buffer
	for i, b := range bodies {
		if err := writeFrame(&buf, byte(0x10+i), b); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(buf.Bytes()[:2], appendFrame(nil, 0x10, nil)) {
		t.Errorf("writeFrame and appendFrame differ")
	}
	fr := newFrameReader(&buf)
	for i, want := range bodies {
		typ, got, err := fr.next(func(byte) (int, bool) { return MaxNodeSize, true })
		if err != nil || typ != byte(0x10+i) || !bytes.Equal(got, want) {
			t.Errorf("frame %d: type 0x%02x, %d bytes, %v", i, typ, len(got), err)
		}
	}
}

func TestIDList(t *testing.T) {
	a, b := protocol.ObjectID([]byte("a")), protocol.ArtifactID(protocol.SumDigest([]byte("b")))
	ids, more, err := decodeIDList(appendIDList(nil, []protocol.ID{a, b}, true), 2)
	if err != nil || !more || len(ids) != 2 || ids[0] != a || ids[1] != b {
		t.Fatalf("round trip: %v, %v, %v", ids, more, err)
	}
	nonCanonical := append([]byte{0, 38}, append([]byte{0x01, 0x80, 0x84, 0x00}, a.Bytes()[3:]...)...)
	bad := map[string][]byte{
		"empty":          {},
		"flag 2":         {2},
		"zero length":    {0, 0},
		"length 65":      append([]byte{0, 65}, make([]byte, 65)...),
		"cut short":      append([]byte{0, 37}, a.Bytes()[:10]...),
		"not a cid":      {0, 3, 1, 2, 3},
		"non-canonical":  nonCanonical,
		"over the limit": appendIDList(nil, []protocol.ID{a, b}, false),
	}
	for name, body := range bad {
		if _, _, err := decodeIDList(body, 1); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestErrorBody(t *testing.T) {
	long := strings.Repeat("é", MaxErrorMessage) // 2 bytes each
	body := errorBody(CodeBusy, long)
	if len(body) > 1+MaxErrorMessage || !utf8.Valid(body[1:]) || body[0] != byte(CodeBusy) {
		t.Errorf("error body of %d bytes, valid UTF-8 %v", len(body), utf8.Valid(body[1:]))
	}
	if err := decodeError(body); !protocol.IsKind(err, protocol.Transient) {
		t.Errorf("busy decodes to %v", err)
	}
	for _, b := range [][]byte{{}, {byte(CodeBusy), 0xc3}} {
		if err := decodeError(b); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("decodeError(% x) = %v, want invalid", b, err)
		}
	}
}
