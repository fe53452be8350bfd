package manifest

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
	"golang.org/x/text/unicode/norm"
)

// The bytes of a chunk (SPEC.md §3.8):
//
//	chunk  = Magic ‖ level (1 byte) ‖ uvarint(n) ‖ item × n
//	leaf   item = uvarint(shared) ‖ uvarint(len(rest)) ‖ rest ‖ uvarint(size) ‖ sha256 (32 bytes)
//	branch item = uvarint(shared) ‖ uvarint(len(rest)) ‖ rest ‖ uvarint(count) ‖ uvarint(bytes) ‖ child ID digest (32 bytes)
//
// An item's text (a leaf's path, a branch's last key) is the first shared
// bytes of the previous item's text followed by rest; shared is exactly
// the length of the longest common prefix of the two (0 for the first
// item), so each list of items has one encoding. Every uvarint is minimal.

// Encode returns the bytes of c. It does not check c: Builder makes only
// valid chunks, and DecodeChunk checks what arrives.
func (c *Chunk) Encode() []byte {
	b := make([]byte, 0, 64+c.Len()*64)
	b = append(b, Magic...)
	b = append(b, byte(c.Level))
	b = binary.AppendUvarint(b, uint64(c.Len()))
	prev := ""
	for i := range c.Len() {
		if c.Level == 0 {
			e := c.Entries[i]
			b = appendText(b, prev, e.Path)
			b = binary.AppendUvarint(b, uint64(e.Size))
			b = append(b, e.Digest[:]...)
			prev = e.Path
			continue
		}
		ch := c.Children[i]
		b = appendText(b, prev, ch.Last)
		b = binary.AppendUvarint(b, uint64(ch.Count))
		b = binary.AppendUvarint(b, uint64(ch.Bytes))
		d := ch.ID.Digest()
		b = append(b, d[:]...)
		prev = ch.Last
	}
	return b
}

func appendText(b []byte, prev, s string) []byte {
	n := commonPrefix(prev, s)
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.AppendUvarint(b, uint64(len(s)-n))
	return append(b, s[n:]...)
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// DecodeChunk reads the bytes of a chunk and refuses (kind invalid, or too
// large for a chunk over MaxChunkSize) any that is not the one encoding of
// a valid chunk: a wrong magic or level, a count of items out of range, a
// non-minimal or overflowing uvarint, a prefix that is not the longest
// common one, a path that breaks SPEC.md §3.3, keys not strictly
// ascending (which refuses duplicate paths, and two paths that are one
// file after NFC), a path that is a directory of another, a key that ends
// a chunk before the last item, sizes over protocol.MaxSize, or bytes after
// the last item. What DecodeChunk cannot judge alone — that the bytes are
// the chunk an ID names, and what the parent says of the chunk — Reader
// checks (checkChunk).
func DecodeChunk(b []byte) (*Chunk, error) {
	c, err := decodeChunk(b)
	if err != nil {
		return nil, protocol.E("decode manifest chunk", protocol.KindOf(err), "%w", err)
	}
	return c, nil
}

func invalid(format string, args ...any) error {
	return protocol.E("", protocol.Invalid, format, args...)
}

func decodeChunk(b []byte) (*Chunk, error) {
	if len(b) > MaxChunkSize {
		return nil, protocol.E("", protocol.TooLarge, "chunk is %d bytes, over %d", len(b), MaxChunkSize)
	}
	if !bytes.HasPrefix(b, []byte(Magic)) {
		return nil, invalid("chunk does not begin with %q", Magic)
	}
	r := reader{b: b, off: len(Magic)}
	lv, err := r.byte("level")
	if err != nil {
		return nil, err
	}
	if int(lv) > MaxLevel {
		return nil, invalid("chunk level %d, over %d", lv, MaxLevel)
	}
	c := &Chunk{Level: int(lv)}
	n, err := r.uvarint("item count")
	if err != nil {
		return nil, err
	}
	if n == 0 || n > uint64(maxEntries(c.Level)) {
		return nil, invalid("chunk of level %d holds %d items, want 1 to %d", c.Level, n, maxEntries(c.Level))
	}
	var (
		prevText, prevKey string
		total, count      int64
		dirs              dirCheck
	)
	for i := range int(n) {
		text, err := r.text(prevText, i)
		if err != nil {
			return nil, err
		}
		key := text
		if c.Level == 0 {
			if err := protocol.CheckPath(text); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			key = Key(text)
		} else if err := checkKey(text); err != nil {
			return nil, invalid("item %d: %w", i, err)
		}
		if i > 0 && key <= prevKey {
			if key == prevKey {
				return nil, invalid("item %d: key %q appears twice (paths %+q and %+q are one file)", i, clip(key), clip(prevText), clip(text))
			}
			return nil, invalid("item %d: key %q is not after the key before it, %q", i, clip(key), clip(prevKey))
		}
		if i < int(n)-1 && IsBoundary(key, c.Level) {
			return nil, invalid("item %d: key %q ends a chunk of level %d, but items follow it", i, clip(key), c.Level)
		}
		if c.Level == 0 {
			if err := dirs.add(text, key); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			size, err := r.size("size")
			if err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			if total, err = addSize(total, size); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			e := Entry{Path: text, Size: size}
			if err := r.digest(e.Digest[:]); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			c.Entries = append(c.Entries, e)
		} else {
			ch := Child{Last: text}
			if ch.Count, err = r.size("count"); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			if ch.Count == 0 {
				return nil, invalid("item %d: a child with no entries", i)
			}
			if count, err = addSize(count, ch.Count); err != nil {
				return nil, invalid("item %d: entry count: %w", i, err)
			}
			if ch.Bytes, err = r.size("bytes"); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			if total, err = addSize(total, ch.Bytes); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			var d protocol.Digest
			if err := r.digest(d[:]); err != nil {
				return nil, invalid("item %d: %w", i, err)
			}
			ch.ID = ChunkID{d}
			c.Children = append(c.Children, ch)
		}
		prevText, prevKey = text, key
	}
	if r.off != len(b) {
		return nil, invalid("%d bytes after the last item", len(b)-r.off)
	}
	return c, nil
}

// checkKey refuses a branch key that no entry could have: not UTF-8,
// empty, longer than MaxKeyLen, or not in NFC.
func checkKey(k string) error {
	switch {
	case k == "":
		return invalid("empty key")
	case len(k) > MaxKeyLen:
		return invalid("key is %d bytes, over %d", len(k), MaxKeyLen)
	case !utf8.ValidString(k):
		return invalid("key %q is not UTF-8", clip(k))
	case !norm.NFC.IsNormalString(k):
		return invalid("key %q is not in NFC", clip(k))
	}
	return nil
}

func addSize(total, n int64) (int64, error) {
	if n > protocol.MaxSize-total {
		return 0, invalid("sizes add up to more than %d", int64(protocol.MaxSize))
	}
	return total + n, nil
}

// reader reads the fields of a chunk, refusing truncation and
// non-minimal uvarints.
type reader struct {
	b   []byte
	off int
}

func (r *reader) byte(what string) (byte, error) {
	if r.off >= len(r.b) {
		return 0, invalid("chunk ends before its %s", what)
	}
	r.off++
	return r.b[r.off-1], nil
}

func (r *reader) uvarint(what string) (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		return 0, invalid("chunk ends inside its %s", what)
	case n < 0:
		return 0, invalid("%s overflows 64 bits", what)
	case n > 1 && r.b[r.off+n-1] == 0:
		return 0, invalid("%s is not a minimal uvarint", what)
	}
	r.off += n
	return v, nil
}

// size reads a uvarint that must fit an int64.
func (r *reader) size(what string) (int64, error) {
	v, err := r.uvarint(what)
	if err != nil {
		return 0, err
	}
	if v > uint64(protocol.MaxSize) {
		return 0, invalid("%s %d is over %d", what, v, int64(protocol.MaxSize))
	}
	return int64(v), nil
}

// text reads the shared-prefix encoding of an item's text.
func (r *reader) text(prev string, i int) (string, error) {
	shared, err := r.uvarint("prefix length")
	if err != nil {
		return "", invalid("item %d: %w", i, err)
	}
	rest, err := r.uvarint("text length")
	if err != nil {
		return "", invalid("item %d: %w", i, err)
	}
	if shared > uint64(len(prev)) {
		return "", invalid("item %d: shares %d bytes with a text of %d", i, shared, len(prev))
	}
	if shared+rest > MaxKeyLen {
		return "", invalid("item %d: text of %d bytes, over %d", i, shared+rest, MaxKeyLen)
	}
	if rest > uint64(len(r.b)-r.off) {
		return "", invalid("item %d: chunk ends inside its text", i)
	}
	s := prev[:shared] + string(r.b[r.off:r.off+int(rest)])
	r.off += int(rest)
	if n := commonPrefix(prev, s); uint64(n) != shared {
		return "", invalid("item %d: shares %d bytes with the text before it, but says %d", i, n, shared)
	}
	return s, nil
}

func (r *reader) digest(d []byte) error {
	if len(r.b)-r.off < len(d) {
		return invalid("chunk ends inside a digest")
	}
	r.off += copy(d, r.b[r.off:])
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s[:max] + "…"
}
