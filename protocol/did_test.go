package protocol_test

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/mr-tron/base58"
)

func TestDIDRoundTrip(t *testing.T) {
	for _, k := range []*protocol.Key{vectorKey, otherKey, mustKey(make([]byte, 32))} {
		d := k.DID()
		s := d.String()
		got, err := protocol.ParseDID(s)
		if err != nil {
			t.Fatalf("ParseDID(%s): %v", s, err)
		}
		if got != d || got.String() != s {
			t.Errorf("ParseDID(%s) = %s", s, got)
		}
		if !ed25519.PublicKey(k.Private().Public().(ed25519.PublicKey)).Equal(d.PublicKey()) {
			t.Errorf("%s: PublicKey differs from the key's", s)
		}
		fromPub, err := protocol.DIDFromPublicKey(d.PublicKey())
		if err != nil || fromPub != d {
			t.Errorf("DIDFromPublicKey = %s, %v; want %s", fromPub, err, d)
		}
		b, _ := json.Marshal(d)
		var back protocol.DID
		if err := json.Unmarshal(b, &back); err != nil || back != d {
			t.Errorf("JSON round trip of %s = %s, %v", s, back, err)
		}
	}
}

func TestDIDZero(t *testing.T) {
	var d protocol.DID
	if !d.IsZero() || d.String() != "" {
		t.Errorf("zero DID: IsZero %v, String %q", d.IsZero(), d.String())
	}
	if vectorKey.DID().IsZero() {
		t.Error("vector DID is zero")
	}
}

func TestParseDIDRefusals(t *testing.T) {
	secp := "did:key:z" + base58.Encode(append([]byte{0xe7, 0x01}, make([]byte, 33)...))
	short := "did:key:z" + base58.Encode(append([]byte{0xed, 0x01}, make([]byte, 31)...))
	long := "did:key:z" + base58.Encode(append([]byte{0xed, 0x01}, make([]byte, 33)...))
	for _, tc := range []struct{ in, word string }{
		{"", "not a did:key"},
		{"did:web:example.com", "not a did:key"},
		{"did:key:", "not a did:key"},
		{"did:key:u7QE", "not a did:key"}, // multibase other than base58btc
		{"DID:KEY:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd", "not a did:key"},
		{"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvV0", "bad base58btc"}, // 0 is not base58
		{"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVdx", "does not hold an ed25519"},
		{"did:key:z", "bad base58btc"},
		{secp, "does not hold an ed25519"},
		{short, "does not hold an ed25519"},
		{long, "does not hold an ed25519"},
		{"did:key:z1" + vectorDID[len("did:key:z"):], "does not hold an ed25519"}, // leading zero byte
	} {
		_, err := protocol.ParseDID(tc.in)
		wantErr(t, err, protocol.Invalid, tc.word)
	}
}

func TestDIDFromPublicKeyRefusesWrongLength(t *testing.T) {
	_, err := protocol.DIDFromPublicKey(make([]byte, 31))
	wantErr(t, err, protocol.Invalid, "31 bytes")
}

func TestKeyConstructors(t *testing.T) {
	_, err := protocol.KeyFromSeed(make([]byte, 31))
	wantErr(t, err, protocol.Invalid, "seed has 31 bytes")
	_, err = protocol.NewKey(make([]byte, 10))
	wantErr(t, err, protocol.Invalid, "10 bytes")
	k, err := protocol.NewKey(vectorKey.Private())
	if err != nil || k.DID() != vectorKey.DID() {
		t.Errorf("NewKey(vector private) = %v, %v", k, err)
	}
}

func TestSmallOrderKeysRefused(t *testing.T) {
	// An all-zero key signs nothing and verifies for many messages with
	// Go's ed25519.Verify; no DID may name it, with either sign bit.
	for _, signBit := range []byte{0, 0x80} {
		pub := make([]byte, 32)
		pub[0] = 1 // y = 1: the identity
		pub[31] |= signBit
		if _, err := protocol.DIDFromPublicKey(pub); !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "small order") {
			t.Errorf("identity key (sign bit %#x): %v, want a small-order refusal", signBit, err)
		}
		raw := append([]byte{0xed, 0x01}, pub...)
		s := "did:key:z" + base58.Encode(raw)
		if _, err := protocol.ParseDID(s); !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "small order") {
			t.Errorf("ParseDID(%s): %v, want a small-order refusal", s, err)
		}
	}
}
