package protocol

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	mh "github.com/multiformats/go-multihash"
)

// Multicodecs that commons IDs use.
const (
	CodecJSON = 0x0200 // an object: the ID of a signed payload
	CodecRaw  = 0x55   // an artifact: a file or model, addressed by its bytes
)

// Digest is a sha2-256 digest. Its text form is "sha256:" followed by 64
// lowercase hex digits.
type Digest [sha256.Size]byte

// SumDigest returns the sha2-256 digest of b.
func SumDigest(b []byte) Digest { return sha256.Sum256(b) }

// ParseDigest parses "sha256:HEX" or bare HEX (64 hex digits).
func ParseDigest(s string) (Digest, error) {
	h := strings.TrimPrefix(s, "sha256:")
	var d Digest
	if len(h) != 2*len(d) {
		return Digest{}, E("parse digest", Invalid, "%q is not a sha256 digest (want 64 hex digits)", clip(s))
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return Digest{}, E("parse digest", Invalid, "%q is not a sha256 digest: %v", clip(s), err)
	}
	return d, nil
}

func (d Digest) String() string { return "sha256:" + hex.EncodeToString(d[:]) }

// Hex returns the digest as 64 lowercase hex digits.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// MarshalText writes "sha256:HEX".
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what ParseDigest reads.
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ID names an object (codec json) or an artifact (codec raw) by a CIDv1 over
// the sha2-256 of its bytes. For an object the bytes are the envelope's
// payload. ID is comparable and usable as a map key; the zero ID names
// nothing.
type ID struct {
	c cid.Cid
}

// ObjectID returns the ID of an object whose payload is payload.
func ObjectID(payload []byte) ID { return idFromDigest(CodecJSON, SumDigest(payload)) }

// ArtifactID returns the ID of an artifact (a file, a model) with digest d.
func ArtifactID(d Digest) ID { return idFromDigest(CodecRaw, d) }

func idFromDigest(codec uint64, d Digest) ID {
	m, err := mh.Encode(d[:], mh.SHA2_256)
	if err != nil {
		panic(err) // unreachable: a 32-byte sha2-256 digest always encodes
	}
	return ID{cid.NewCidV1(codec, m)}
}

// ParseID parses a CIDv1 in any multibase whose multihash is a 32-byte
// sha2-256 and whose codec is json or raw. It also accepts "sha256:HEX",
// which names an artifact. The text must be the one its multibase gives
// the binary CID: base32 with bits set past the last byte, line breaks or
// letters of another case spell the same ID another way, and are refused
// (SPEC.md §4.4), so that one ID has one spelling in each multibase.
func ParseID(s string) (ID, error) {
	const op = "parse id"
	if strings.HasPrefix(s, "sha256:") {
		d, err := ParseDigest(s)
		if err != nil {
			return ID{}, err
		}
		return ArtifactID(d), nil
	}
	if id, err := parseCanonicalID(s); err == nil {
		return id, nil
	}
	c, err := cid.Decode(s)
	if err != nil {
		return ID{}, E(op, Invalid, "%q is not a CID: %v", clip(s), cidReason(err))
	}
	id, err := idFromCid(c)
	if err != nil {
		return ID{}, E(op, Invalid, "%q: %v", clip(s), err)
	}
	if enc, err := cid.ExtractEncoding(s); err != nil || !sameText(c, enc, s) {
		return ID{}, E(op, Invalid, "%q is not in canonical form %s: it spells that ID with bits set past its last byte, a line break or letters in another case", clip(s), id)
	}
	return id, nil
}

// sameText reports whether s is the text of c in the multibase enc.
func sameText(c cid.Cid, enc multibase.Encoding, s string) bool {
	again, err := c.StringOfBase(enc)
	return err == nil && again == s
}

// cidReason is what go-cid says is wrong, without the "invalid cid: "
// each of its layers puts before it.
func cidReason(err error) error {
	for {
		var ic cid.ErrInvalidCid
		if !errors.As(err, &ic) || ic.Err == nil {
			return err
		}
		err = ic.Err
	}
}

// IDFromBytes parses the binary form of an ID, as returned by Bytes.
func IDFromBytes(b []byte) (ID, error) {
	c, err := cid.Cast(b)
	if err != nil {
		return ID{}, E("id from bytes", Invalid, "not a CID: %v", cidReason(err))
	}
	id, err := idFromCid(c)
	if err != nil {
		return ID{}, E("id from bytes", Invalid, "%w", err)
	}
	return id, nil
}

func idFromCid(c cid.Cid) (ID, error) {
	if c.Version() != 1 {
		return ID{}, E("", Invalid, "CID version %d, want 1", c.Version())
	}
	if codec := c.Type(); codec != CodecJSON && codec != CodecRaw {
		return ID{}, E("", Invalid, "CID codec 0x%x, want json (0x200) or raw (0x55)", codec)
	}
	dm, err := mh.Decode(c.Hash())
	if err != nil {
		return ID{}, E("", Invalid, "bad multihash: %v", err)
	}
	if dm.Code != mh.SHA2_256 || len(dm.Digest) != sha256.Size {
		return ID{}, E("", Invalid, "multihash is %s/%d bytes, want sha2-256/32", mh.Codes[dm.Code], len(dm.Digest))
	}
	return ID{c}, nil
}

// MustParseID is ParseID for constants in tests; it panics on error.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// String returns the CID in base32 ("bagaaiera…" for objects, "bafkrei…"
// for artifacts), or "" for the zero ID.
func (id ID) String() string {
	if !id.c.Defined() {
		return ""
	}
	return id.c.String()
}

// Bytes returns the binary CID.
func (id ID) Bytes() []byte { return id.c.Bytes() }

// Cid returns the ID as a go-cid value.
func (id ID) Cid() cid.Cid { return id.c }

// IsZero reports whether id names nothing.
func (id ID) IsZero() bool { return !id.c.Defined() }

// IsObject reports whether id names a signed object (codec json).
func (id ID) IsObject() bool { return id.c.Defined() && id.c.Type() == CodecJSON }

// Digest returns the sha2-256 digest inside the ID: of the payload for an
// object, of the bytes for an artifact.
func (id ID) Digest() Digest {
	var d Digest
	if h := id.c.Hash(); len(h) >= sha256.Size {
		copy(d[:], h[len(h)-sha256.Size:])
	}
	return d
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// parseCanonicalID parses an ID that must be in canonical text form, as IDs
// inside payloads are (SPEC.md §4.3), and is what reads them on the fast
// paths. There are only two binary prefixes, one per codec, so it decodes
// the base32 itself instead of going through multibase and CID parsing.
// Its error does not say why: callers that word refusals use ParseID and
// checkIDText.
func parseCanonicalID[T ~string | ~[]byte](text T) (ID, error) {
	prefix, codec := objectIDPrefix, uint64(CodecJSON)
	switch len(text) {
	case objectIDTextLen:
	case artifactIDTextLen:
		prefix, codec = artifactIDPrefix, CodecRaw
	default:
		return ID{}, errNotCanonical
	}
	var t [objectIDTextLen]byte
	n := copy(t[:], text)
	var bin [len(objectIDPrefix) + sha256.Size]byte
	m, err := base32Lower.Decode(bin[:], t[1:n])
	if t[0] != 'b' || err != nil || m != len(prefix)+sha256.Size || string(bin[:len(prefix)]) != prefix {
		return ID{}, errNotCanonical
	}
	// Base32 ignores the bits after the last byte and skips line breaks:
	// only the text that encoding gives back is canonical.
	var again [objectIDTextLen - 1]byte
	base32Lower.Encode(again[:], bin[:m])
	if string(again[:n-1]) != string(t[1:n]) {
		return ID{}, errNotCanonical
	}
	return idFromDigest(codec, Digest(bin[len(prefix):m])), nil
}

// The binary prefixes of the two kinds of ID (CID version 1, the codec,
// sha2-256 and its length: SPEC.md §4.2), and the lengths of their
// canonical text: "b" and unpadded base32.
const (
	objectIDPrefix    = "\x01\x80\x04\x12\x20"
	artifactIDPrefix  = "\x01\x55\x12\x20"
	objectIDTextLen   = 1 + ((len(objectIDPrefix)+sha256.Size)*8+4)/5
	artifactIDTextLen = 1 + ((len(artifactIDPrefix)+sha256.Size)*8+4)/5
)

var (
	base32Lower     = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	errNotCanonical = errors.New("not an ID in canonical form")
)
