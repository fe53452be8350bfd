package protocol_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"

	"github.com/commons-p2p/commons/protocol"
)

// Hand-made Ed25519 signatures for the differential tests: the arithmetic
// of signing written out, so that R, S and the key can be bent in the
// ways a hostile signer would bend them.

// torsion holds the eight points of order dividing 8, torsion[i] = [i]T8
// for a point T8 of order 8.
var torsion = func() [8]curve.EdwardsPoint {
	var lm1 scalar.Scalar
	lm1.Sub(scalar.NewFromUint64(0), scalar.NewFromUint64(1))
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		var c curve.CompressedEdwardsY
		var p curve.EdwardsPoint
		if _, err := c.SetBytes(h[:]); err != nil {
			continue
		}
		if _, err := p.SetCompressedY(&c); err != nil {
			continue
		}
		var t curve.EdwardsPoint // [L]P = [L-1]P + P: P's torsion component, times 5
		t.Mul(&p, &lm1)
		t.Add(&t, &p)
		var t4 curve.EdwardsPoint
		t4.Add(&t, &t)
		t4.Add(&t4, &t4)
		if t4.IsIdentity() {
			continue // order < 8
		}
		var out [8]curve.EdwardsPoint
		out[0].Identity()
		for j := 1; j < 8; j++ {
			out[j].Add(&out[j-1], &t)
		}
		return out
	}
}()

func encode(p *curve.EdwardsPoint) []byte {
	var c curve.CompressedEdwardsY
	c.SetEdwardsPoint(p)
	return c[:]
}

// crafter signs like crypto/ed25519 with the key of seed, with R, S and the
// public key bent as told.
type crafter struct {
	a      scalar.Scalar
	prefix []byte
	pub    []byte
	A      curve.EdwardsPoint
}

func newCrafter(seed []byte) *crafter {
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	c := &crafter{prefix: append([]byte(nil), h[32:]...)}
	if _, err := c.a.SetBytesModOrder(h[:32]); err != nil {
		panic(err)
	}
	c.pub = append([]byte(nil), ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)...)
	c.A.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, &c.a)
	return c
}

// bend says how to bend one signature.
type bend struct {
	rTorsion int    // add torsion[rTorsion] to the nonce point R
	rBytes   []byte // use these bytes for R, with a zero nonce
	aTorsion int    // sign for the key A + torsion[aTorsion]
	sPlusL   bool   // add L to S
}

// sign returns the key and signature over msg, bent by b.
func (c *crafter) sign(msg []byte, b bend) (pub, sig []byte) {
	pub = c.pub
	if b.aTorsion != 0 {
		var a2 curve.EdwardsPoint
		a2.Add(&c.A, &torsion[b.aTorsion])
		pub = encode(&a2)
	}
	var r scalar.Scalar
	var rb []byte
	if b.rBytes != nil {
		rb = b.rBytes
	} else {
		hr := sha512.New()
		hr.Write(c.prefix)
		hr.Write(msg)
		if _, err := r.SetBytesModOrderWide(hr.Sum(nil)); err != nil {
			panic(err)
		}
		var R curve.EdwardsPoint
		R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, &r)
		R.Add(&R, &torsion[b.rTorsion])
		rb = encode(&R)
	}
	hk := sha512.New()
	hk.Write(rb)
	hk.Write(pub)
	hk.Write(msg)
	var k, s scalar.Scalar
	if _, err := k.SetBytesModOrderWide(hk.Sum(nil)); err != nil {
		panic(err)
	}
	s.Mul(&k, &c.a)
	s.Add(&s, &r)
	sb := make([]byte, 32)
	if err := s.ToBytes(sb); err != nil {
		panic(err)
	}
	if b.sPlusL {
		addL(sb)
	}
	return pub, append(append([]byte(nil), rb...), sb...)
}

// addL adds the group order L to the little-endian 32-byte s.
func addL(s []byte) {
	l := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	carry := 0
	for i := range s {
		v := int(s[i]) + int(l[i]) + carry
		s[i], carry = byte(v), v>>8
	}
}

// envelopeOf returns the encoded envelope of payload with one signature
// per (pub, sig), in the order given. A pub that names no DID (small
// order) fails t.
func envelopeOf(t testing.TB, payload []byte, sigs ...[2][]byte) []byte {
	t.Helper()
	env := &protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: payload}
	for _, ps := range sigs {
		d, err := protocol.DIDFromPublicKey(ps[0])
		if err != nil {
			t.Fatalf("key %x: %v", ps[0], err)
		}
		env.Signatures = append(env.Signatures, protocol.Signature{KeyID: d, Sig: ps[1]})
	}
	return env.Encode()
}

// pae is the message every signature over payload covers.
func pae(payload []byte) []byte { return protocol.PAE(protocol.PayloadTypeInToto, payload) }

// curvePoint reports whether b decodes to a point of the curve.
func curvePoint(b []byte) bool {
	var c curve.CompressedEdwardsY
	var p curve.EdwardsPoint
	if _, err := c.SetBytes(b); err != nil {
		return false
	}
	_, err := p.SetCompressedY(&c)
	return err == nil
}
