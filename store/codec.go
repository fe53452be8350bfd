package store

import (
	"crypto/ed25519"
	"encoding/binary"
	"math"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The binary values of the index (meta records and claim summaries) are
// built from a few field types, each written the same way everywhere:
//
//	u8      one byte
//	time    i64 seconds since the Unix epoch, then u32 nanoseconds (< 1e9), big-endian
//	did     32 bytes: the Ed25519 public key; 32 zero bytes for no one
//	f64     IEEE 754 bits, big-endian
//	string  uvarint byte length, then the bytes
//	dids    uvarint count, then count × did

const didSize = ed25519.PublicKeySize

// Times run from the zero time.Time (year 1, "none") to the end of year
// 9999, the last that RFC 3339 can write.
var (
	minSeconds = time.Time{}.Unix()
	maxSeconds = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

func appendTime(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

func appendDID(b []byte, d protocol.DID) []byte {
	if d.IsZero() {
		return append(b, make([]byte, didSize)...)
	}
	return append(b, d.PublicKey()...)
}

func appendDIDs(b []byte, ds []protocol.DID) []byte {
	b = binary.AppendUvarint(b, uint64(len(ds)))
	for _, d := range ds {
		b = appendDID(b, d)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

// decoder reads fields from a value. The first failure sticks: later reads
// return zero values, and err says what went wrong first.
type decoder struct {
	what string // "summary", "meta record": for error messages
	b    []byte
	off  int
	err  error
	// strs, when set, interns the strings read: a query that decodes
	// thousands of summaries reads the same few roles again and again.
	strs map[string]string
}

// maxInterned bounds decoder.strs: notes are mostly unique.
const maxInterned = 256

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = protocol.E("decode "+d.what, protocol.Invalid, "at byte %d: "+format, append([]any{d.off}, args...)...)
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("want %d bytes, %d left", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) time() time.Time {
	p := d.take(12)
	if p == nil {
		return time.Time{}
	}
	sec := int64(binary.BigEndian.Uint64(p))
	nsec := binary.BigEndian.Uint32(p[8:])
	if sec < minSeconds || sec > maxSeconds || nsec >= 1e9 {
		d.fail("time %d s %d ns out of range", sec, nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) did() protocol.DID {
	p := d.take(didSize)
	if p == nil || [didSize]byte(p) == [didSize]byte{} {
		return protocol.DID{} // no one
	}
	did, err := protocol.DIDFromPublicKey(p)
	if err != nil {
		d.fail("%v", err)
	}
	return did
}

// count reads a uvarint count of items of at least size bytes each, and
// refuses one that the bytes left cannot hold (so that no hostile length
// makes us allocate).
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if left := uint64(len(d.b) - d.off); n > left/uint64(size) {
		d.fail("count %d does not fit in %d bytes", n, left)
		return 0
	}
	return int(n)
}

func (d *decoder) dids() []protocol.DID {
	n := d.count(didSize)
	out := make([]protocol.DID, 0, n)
	for range n {
		out = append(out, d.did())
	}
	return out
}

func (d *decoder) string() string {
	p := d.take(d.count(1))
	if d.strs == nil || len(p) == 0 {
		return string(p)
	}
	if s, ok := d.strs[string(p)]; ok {
		return s
	}
	s := string(p)
	if len(d.strs) < maxInterned {
		d.strs[s] = s
	}
	return s
}

func (d *decoder) float() float64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(p))
}

// finish refuses trailing bytes and returns the first error.
func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
