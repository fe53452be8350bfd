package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// Every envelope must get crypto/ed25519's answer (SPEC.md §2.6), whether
// it comes alone (VerifyObject) or among others (VerifyObjects), and
// whichever implementation checks its signatures. A signature made to
// satisfy a cofactored equation and not the stdlib's cofactorless one, or
// spelled so that two readings of it differ, is the attack these tests
// stand against.

// sameAsStdlib fails t unless VerifyObjects(raws) gives each raw what
// VerifyObject gives it — the same object, or an error of the same kind
// and message — and VerifyObject refuses a raw for a signature exactly
// when crypto/ed25519 refuses one of its signatures. It returns how many
// were accepted.
func sameAsStdlib(t testing.TB, raws [][]byte) int {
	t.Helper()
	objs, errs := protocol.VerifyObjects(raws)
	if len(objs) != len(raws) || len(errs) != len(raws) {
		t.Fatalf("VerifyObjects gave %d objects and %d errors for %d inputs", len(objs), len(errs), len(raws))
	}
	accepted := 0
	for i, raw := range raws {
		want, wantErr := protocol.VerifyObject(raw)
		if env, err := protocol.DecodeEnvelope(raw); err == nil && len(env.Signatures) > 0 {
			msg := protocol.PAE(env.PayloadType, env.Payload)
			std := true
			for _, s := range env.Signatures {
				std = std && ed25519.Verify(s.KeyID.PublicKey(), msg, s.Sig)
			}
			if sigErr := wantErr != nil && strings.Contains(wantErr.Error(), "does not verify over the payload"); std == sigErr {
				t.Fatalf("input %d: crypto/ed25519 accepts every signature: %v; VerifyObject says %v", i, std, wantErr)
			}
		}
		got, gotErr := objs[i], errs[i]
		switch {
		case (wantErr == nil) != (gotErr == nil):
			t.Fatalf("input %d: batch says %v, one by one says %v", i, gotErr, wantErr)
		case wantErr != nil:
			if gotErr.Error() != wantErr.Error() || protocol.KindOf(gotErr) != protocol.KindOf(wantErr) {
				t.Fatalf("input %d: batch error %q (%s), one by one %q (%s)", i, gotErr, protocol.KindOf(gotErr), wantErr, protocol.KindOf(wantErr))
			}
			if got != nil {
				t.Fatalf("input %d: an object beside the error %v", i, gotErr)
			}
		default:
			if got.ID != want.ID || !bytes.Equal(got.Envelope.Encode(), want.Envelope.Encode()) {
				t.Fatalf("input %d: batch gives %s %s, one by one %s %s", i, got.ID, got.Envelope.Encode(), want.ID, want.Envelope.Encode())
			}
			accepted++
		}
	}
	return accepted
}

// variants are dataset payloads that differ by name, so that each gives
// other hashes k = H(R, A, M).
var variants = sync.OnceValue(func() [][]byte {
	base := vectorByName("dataset").Payload
	out := make([][]byte, 64)
	for i := range out {
		out[i] = edit(&testing.T{}, base, func(st map[string]any) { pred(st)["name"] = fmt.Sprintf("variant %d", i) })
	}
	return out
})

// honest returns n valid envelopes signed by the vector key, issuer of
// the variants.
func honest(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = signed(variants()[i%len(variants())], vectorKey)
	}
	return out
}

// crafters are the vector key's and the other key's.
var crafters = sync.OnceValues(func() (*crafter, *crafter) { return newCrafter(seq(0x00)), newCrafter(seq(0x20)) })

// bent returns the envelope of payload signed honestly by the vector key
// (its issuer) and, bent by b, by the other key: the envelope stands or
// falls with the bent signature.
func bent(t testing.TB, payload []byte, b bend) []byte {
	t.Helper()
	issuer, other := crafters()
	m := pae(payload)
	ipub, isig := issuer.sign(m, bend{})
	opub, osig := other.sign(m, b)
	return envelopeOf(t, payload, [2][]byte{ipub, isig}, [2][]byte{opub, osig})
}

// within returns raws with x at position at.
func within(raws [][]byte, at int, x []byte) [][]byte {
	out := append([][]byte(nil), raws[:at]...)
	out = append(out, x)
	return append(out, raws[at:]...)
}

func TestBatchEmpty(t *testing.T) {
	objs, errs := protocol.VerifyObjects(nil)
	if len(objs) != 0 || len(errs) != 0 {
		t.Fatalf("got %d objects, %d errors for no input", len(objs), len(errs))
	}
}

// TestBatchVectors: the vectors of SPEC §9 pass the batch path, alone and
// together.
func TestBatchVectors(t *testing.T) {
	var all [][]byte
	for _, v := range vectors() {
		raw := v.env.Encode()
		if n := sameAsStdlib(t, [][]byte{raw}); n != 1 {
			t.Fatalf("vector %s refused", v.name)
		}
		all = append(all, raw)
	}
	if n := sameAsStdlib(t, all); n != len(all) {
		t.Fatalf("%d of %d vectors accepted together", n, len(all))
	}
}

// TestBatchSameKeyManyTimes: one key over many objects, more than one
// batch of them.
func TestBatchSameKeyManyTimes(t *testing.T) {
	raws := honest(300)
	if n := sameAsStdlib(t, raws); n != len(raws) {
		t.Fatalf("%d of %d accepted", n, len(raws))
	}
}

// TestBatchAdversarialSignatures crafts signatures on which the cofactored
// batch equation and the stdlib's cofactorless check disagree, and others
// both refuse, and checks each alone (a batch of one) and among honest
// envelopes, at the start, inside and at the end of a batch.
func TestBatchAdversarialSignatures(t *testing.T) {
	p := variants()[0]
	identity := encode(&torsion[0])
	negIdentity := append([]byte(nil), identity...) // x = 0 with the sign bit: identity, spelled non-canonically
	negIdentity[31] |= 0x80
	yPlusP := []byte{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f} // y = p + 1: identity again
	type tc struct {
		name   string
		raw    []byte
		accept bool // what crypto/ed25519 says
	}
	cases := []tc{
		{"honest", bent(t, p, bend{}), true},
		{"R is the identity (nonce 0)", bent(t, p, bend{rBytes: identity}), true},
		{"R the identity with the sign bit set", bent(t, p, bend{rBytes: negIdentity}), false},
		{"R the identity as y = p+1", bent(t, p, bend{rBytes: yPlusP}), false},
		{"S plus L", bent(t, p, bend{sPlusL: true}), false},
	}
	for i := 1; i < 8; i++ {
		cases = append(cases,
			tc{fmt.Sprintf("R plus a torsion point %d", i), bent(t, p, bend{rTorsion: i}), false},
			tc{fmt.Sprintf("R a point of small order %d", i), bent(t, p, bend{rBytes: encode(&torsion[i])}), false})
	}
	// R plus a point of order 2 over many messages, so over many k.
	for i, v := range variants()[:16] {
		cases = append(cases, tc{fmt.Sprintf("R plus a torsion point 4, variant %d", i), bent(t, v, bend{rTorsion: 4}), false})
	}
	// A key with a torsion component: the stdlib accepts exactly when
	// [k]T = 0, which depends on the message. Find one of each.
	for _, at := range []int{4, 2, 1} { // orders 2, 4, 8
		found := map[bool]bool{}
		for _, v := range variants() {
			raw := bent(t, v, bend{aTorsion: at})
			_, err := protocol.VerifyObject(raw)
			if ok := err == nil; !found[ok] {
				found[ok] = true
				cases = append(cases, tc{fmt.Sprintf("key plus a torsion point %d, stdlib accepts %v", at, ok), raw, ok})
			}
		}
		if !found[true] || !found[false] {
			t.Fatalf("torsion %d: no message found for both outcomes: %v", at, found)
		}
	}
	// A key that is no point of the curve, and one spelled non-canonically.
	for _, pub := range offCurveAndNonCanonicalKeys(t) {
		_, sig := newCrafter(seq(0x20)).sign(pae(p), bend{})
		_, isig := newCrafter(seq(0x00)).sign(pae(p), bend{})
		cases = append(cases, tc{fmt.Sprintf("key %x", pub[:4]), envelopeOf(t, p, [2][]byte{vectorKey.DID().PublicKey(), isig}, [2][]byte{pub, sig}), false})
	}
	good := honest(130)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := protocol.VerifyObject(c.raw); (err == nil) != c.accept {
				t.Fatalf("crypto/ed25519 says %v, the case was made for accept=%v", err, c.accept)
			}
			if n := sameAsStdlib(t, [][]byte{c.raw}); (n == 1) != c.accept {
				t.Fatalf("alone: accepted %d", n)
			}
			for _, at := range []int{0, 37, len(good)} {
				sameAsStdlib(t, within(good, at, c.raw))
			}
		})
	}
}

// offCurveAndNonCanonicalKeys returns 32-byte keys that name a DID but are
// no point of the curve, or a point spelled with y ≥ p.
func offCurveAndNonCanonicalKeys(t *testing.T) [][]byte {
	var out [][]byte
	var offCurve, nonCanonical bool
	for y := byte(2); y < 19 && !(offCurve && nonCanonical); y++ {
		small := make([]byte, 32)
		small[0] = y
		big := []byte{0xed + y, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f} // p + y
		onCurve := curvePoint(small)
		if !onCurve && !offCurve {
			out, offCurve = append(out, small), true
		}
		if onCurve && !nonCanonical {
			out, nonCanonical = append(out, big), true
		}
	}
	if !offCurve || !nonCanonical {
		t.Fatal("no key found off the curve or spelled non-canonically")
	}
	return out
}

// TestBatchMixedGoodAndBad: bad envelopes of several kinds scattered
// among good ones, several keys, several signatures per envelope; only the
// bad are refused, each with its one-by-one error.
func TestBatchMixedGoodAndBad(t *testing.T) {
	raws := honest(200)
	for i := 0; i < len(raws); i += 23 {
		switch (i / 23) % 4 {
		case 0:
			raws[i] = bent(t, variants()[i%64], bend{rTorsion: 4})
		case 1:
			b := append([]byte(nil), raws[i]...)
			j := bytes.Index(b, []byte(`"sig":"`)) + 10
			b[j] ^= 1 // one base64 digit of the signature
			raws[i] = b
		case 2:
			raws[i] = bent(t, variants()[i%64], bend{})
		case 3:
			raws[i] = []byte(`{"payloadType":"x"}`)
		}
	}
	for i := 5; i < len(raws); i += 31 {
		raws[i] = signed(variants()[i%64], vectorKey, otherKey)
	}
	if n := sameAsStdlib(t, raws); n == 0 || n == len(raws) {
		t.Fatalf("accepted %d of %d: want some of each", n, len(raws))
	}
}

// FuzzBatchMatchesStdlib: a batch of envelopes, crafted by plan from the
// bends above and raw as given, gets exactly the one-by-one answers.
func FuzzBatchMatchesStdlib(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, vectorByName("attribution").Encode())
	f.Add([]byte{17, 33, 49, 65, 81, 97, 113, 129, 145, 161, 177, 193}, []byte(`{}`))
	f.Add(bytes.Repeat([]byte{0}, 70), vectorByName("rotation").Encode())
	f.Fuzz(func(t *testing.T, plan []byte, raw []byte) {
		if len(plan) > 100 {
			plan = plan[:100]
		}
		raws := [][]byte{raw}
		for i, c := range plan {
			raws = append(raws, fromPlan(t, c, i))
		}
		sameAsStdlib(t, raws)
	})
}

// fromPlan makes one envelope from one byte of a fuzz plan.
func fromPlan(t testing.TB, c byte, i int) []byte {
	p := variants()[(int(c)+i)%len(variants())]
	tor := int(c>>4) % 8
	switch c % 11 {
	case 0, 1:
		return signed(p, vectorKey)
	case 2:
		return bent(t, p, bend{rTorsion: max(tor, 1)})
	case 3:
		return bent(t, p, bend{rBytes: encode(&torsion[tor])})
	case 4:
		return bent(t, p, bend{aTorsion: max(tor, 1)})
	case 5:
		return bent(t, p, bend{sPlusL: true})
	case 6:
		return signed(p, vectorKey, otherKey)
	case 7:
		b := signed(p, vectorKey)
		j := bytes.Index(b, []byte(`"sig":"`)) + 7 + int(c>>3)%80
		b[j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[int(c)%64]
		return b
	case 8: // R a non-canonical spelling: a point of small order with the sign bit set
		r := encode(&torsion[tor])
		r[31] ^= 0x80
		return bent(t, p, bend{rBytes: r})
	case 9: // R spelled with y ≥ p
		r := []byte{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
		r[0] += byte(tor)
		return bent(t, p, bend{rBytes: r})
	default: // a key off the curve or spelled with y ≥ p
		keys := oddKeys()
		pub := keys[int(c>>4)%len(keys)]
		_, sig := newCrafter(seq(0x20)).sign(pae(p), bend{})
		_, isig := newCrafter(seq(0x00)).sign(pae(p), bend{})
		return envelopeOf(t, p, [2][]byte{vectorKey.DID().PublicKey(), isig}, [2][]byte{pub, sig})
	}
}

// oddKeys are offCurveAndNonCanonicalKeys, found once.
var oddKeys = sync.OnceValue(func() [][]byte { return offCurveAndNonCanonicalKeys(&testing.T{}) })
