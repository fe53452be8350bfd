package protocol

import (
	"crypto/ed25519"

	"strings"

	"github.com/mr-tron/base58"
)

// didKeyPrefix begins every did:key; the multibase prefix 'z' is base58btc.
const didKeyPrefix = "did:key:z"

// ed25519PubMulticodec is the varint of multicodec 0xed (ed25519-pub).
var ed25519PubMulticodec = [2]byte{0xed, 0x01}

// DID is an Ed25519 identity written as a did:key. It is a comparable value
// and can be used as a map key. The zero DID names no one.
type DID struct {
	pub [ed25519.PublicKeySize]byte
}

// DIDFromPublicKey returns the DID of an Ed25519 public key.
func DIDFromPublicKey(pub ed25519.PublicKey) (DID, error) {
	if len(pub) != ed25519.PublicKeySize {
		return DID{}, E("did from key", Invalid, "ed25519 public key has %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if smallOrder(pub) {
		return DID{}, E("did from key", Invalid, "ed25519 public key is a point of small order, whose signatures anyone can forge")
	}
	var d DID
	copy(d.pub[:], pub)
	return d, nil
}

// ParseDID parses a did:key naming an Ed25519 key.
func ParseDID(s string) (DID, error) {
	const op = "parse did"
	if !strings.HasPrefix(s, didKeyPrefix) {
		return DID{}, E(op, Invalid, "%q is not a did:key with a base58btc key (want prefix %q)", clip(s), didKeyPrefix)
	}
	raw, err := base58.Decode(s[len(didKeyPrefix):])
	if err != nil {
		return DID{}, E(op, Invalid, "%q: bad base58btc: %v", clip(s), err)
	}
	if len(raw) != 2+ed25519.PublicKeySize || raw[0] != ed25519PubMulticodec[0] || raw[1] != ed25519PubMulticodec[1] {
		return DID{}, E(op, Invalid, "%q does not hold an ed25519 public key (want multicodec 0xed and 32 bytes)", clip(s))
	}
	if smallOrder(raw[2:]) {
		return DID{}, E(op, Invalid, "%q names a point of small order, whose signatures anyone can forge", clip(s))
	}
	var d DID
	copy(d.pub[:], raw[2:])
	return d, nil
}

// MustParseDID is ParseDID for constants in tests; it panics on error.
func MustParseDID(s string) DID {
	d, err := ParseDID(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the did:key form, "did:key:z6Mk…".
func (d DID) String() string {
	if d.IsZero() {
		return ""
	}
	var raw [2 + ed25519.PublicKeySize]byte
	copy(raw[:2], ed25519PubMulticodec[:])
	copy(raw[2:], d.pub[:])
	return didKeyPrefix + base58.Encode(raw[:])
}

// IsZero reports whether d names no one.
func (d DID) IsZero() bool { return d == DID{} }

// PublicKey returns the Ed25519 public key that d names.
func (d DID) PublicKey() ed25519.PublicKey { return append(ed25519.PublicKey(nil), d.pub[:]...) }

// MarshalText implements encoding.TextMarshaler.
func (d DID) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *DID) UnmarshalText(b []byte) error {
	p, err := ParseDID(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// clip shortens a value quoted in an error message so that a hostile input
// cannot make logs huge.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// smallOrderY are the y-coordinates, sign bit cleared, of the Ed25519
// points of order dividing 8 (and the non-canonical spellings p and p+1 of
// y = 0 and y = 1). A signature by such a key verifies for many messages, so
// no such key names anyone. The list is libsodium's; each entry was checked
// to give 8·P = identity.
var smallOrderY = [7][32]byte{
	{0x00},
	{0x01},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

func smallOrder(pub []byte) bool {
	var y [32]byte
	copy(y[:], pub)
	y[31] &= 0x7f
	for _, bad := range smallOrderY {
		if y == bad {
			return true
		}
	}
	return false
}
