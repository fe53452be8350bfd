package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestPAE checks the example of the DSSE v1 protocol specification.
func TestPAE(t *testing.T) {
	got := protocol.PAE("http://example.com/HelloWorld", []byte("hello world"))
	const want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if string(got) != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
	if got := string(protocol.PAE("", nil)); got != "DSSEv1 0  0 " {
		t.Errorf("PAE of empties = %q", got)
	}
	// Lengths count bytes, not runes.
	if got := string(protocol.PAE("t", []byte("é"))); got != "DSSEv1 1 t 2 é" {
		t.Errorf("PAE of a 2-byte rune = %q", got)
	}
}

// wire is the JSON form of an envelope, for tests that spoil one field.
type wire struct {
	PayloadType string    `json:"payloadType"`
	Payload     string    `json:"payload"`
	Signatures  []wireSig `json:"signatures"`
}

type wireSig struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

func toWire(t testing.TB, b []byte) wire {
	t.Helper()
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w wire) bytes() []byte {
	b, err := json.Marshal(w)
	if err != nil {
		panic(err)
	}
	return b
}

// TestEnvelopeRefusals: each spoiled envelope is refused by VerifyObject
// with the right kind and a message that names what is wrong.
func TestEnvelopeRefusals(t *testing.T) {
	good := vectorByName("dataset").Encode()
	attr := vectorByName("attribution").Encode() // two signatures
	spoil := func(b []byte, f func(w *wire)) []byte {
		w := toWire(t, b)
		f(&w)
		return w.bytes()
	}
	flip := func(s string, i int) string {
		b, _ := base64.StdEncoding.DecodeString(s)
		b[i%len(b)] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	manySigs := spoil(good, func(w *wire) {
		for len(w.Signatures) <= protocol.MaxSignatures {
			w.Signatures = append(w.Signatures, w.Signatures[0])
		}
	})
	huge := append(bytes.Repeat([]byte(" "), protocol.MaxEnvelopeSize), good...)
	for _, tc := range []struct {
		name  string
		in    []byte
		kind  protocol.Kind
		words []string
	}{
		{"tampered payload", spoil(good, func(w *wire) { w.Payload = flip(w.Payload, 40) }), protocol.Invalid, []string{"verify envelope", "signature by " + vectorDID, "does not verify"}},
		{"tampered payloadType", spoil(good, func(w *wire) { w.PayloadType = "application/json" }), protocol.Invalid, []string{"does not verify"}},
		{"tampered signature", spoil(good, func(w *wire) { w.Signatures[0].Sig = flip(w.Signatures[0].Sig, 5) }), protocol.Invalid, []string{"signature by " + vectorDID, "does not verify"}},
		{"one of two signatures tampered", spoil(attr, func(w *wire) { w.Signatures[1].Sig = flip(w.Signatures[1].Sig, 63) }), protocol.Invalid, []string{"signature by " + otherKey.DID().String(), "does not verify"}},
		{"keyid of another key", spoil(good, func(w *wire) { w.Signatures[0].KeyID = otherKey.DID().String() }), protocol.Invalid, []string{"signature by " + otherKey.DID().String(), "does not verify"}},
		{"keyid not a did:key", spoil(good, func(w *wire) { w.Signatures[0].KeyID = "did:web:example.com" }), protocol.Invalid, []string{"signature 0", "keyid", "did:web:example.com", "not a did:key"}},
		{"keyid empty", spoil(good, func(w *wire) { w.Signatures[0].KeyID = "" }), protocol.Invalid, []string{"keyid", "not a did:key"}},
		{"keyid bare key", spoil(good, func(w *wire) { w.Signatures[0].KeyID = vectorDID[len("did:key:"):] }), protocol.Invalid, []string{"keyid", "not a did:key"}},
		{"malformed JSON", good[:len(good)-1], protocol.Invalid, []string{"decode envelope", "malformed JSON"}},
		{"not an object", []byte(`[1,2]`), protocol.Invalid, []string{"malformed JSON"}},
		{"empty input", nil, protocol.Invalid, []string{"malformed JSON"}},
		{"wrong JSON type", []byte(`{"payloadType":1,"payload":"e30=","signatures":[]}`), protocol.Invalid, []string{"malformed JSON", "payloadType"}},
		{"payload bad base64", spoil(good, func(w *wire) { w.Payload = "e30*" }), protocol.Invalid, []string{"payload is not base64"}},
		{"payload mixed alphabets", spoil(good, func(w *wire) { w.Payload = "+-AA" }), protocol.Invalid, []string{"payload is not base64"}},
		{"payload wrong padding", spoil(good, func(w *wire) { w.Payload = "e30==" }), protocol.Invalid, []string{"payload is not base64"}},
		{"payload non-zero trailing bits", spoil(good, func(w *wire) { w.Payload = "e31=" }), protocol.Invalid, []string{"payload is not base64"}},
		{"payload with line break", spoil(good, func(w *wire) { w.Payload = w.Payload[:8] + "\n" + w.Payload[8:] }), protocol.Invalid, []string{"payload is not base64", "line break"}},
		{"sig bad base64", spoil(good, func(w *wire) { w.Signatures[0].Sig = "!!" + w.Signatures[0].Sig[2:] }), protocol.Invalid, []string{"signature 0 by " + vectorDID, "sig is not base64"}},
		{"sig too short", spoil(good, func(w *wire) { w.Signatures[0].Sig = base64.StdEncoding.EncodeToString(make([]byte, 63)) }), protocol.Invalid, []string{"63 bytes, want 64"}},
		{"sig empty", spoil(good, func(w *wire) { w.Signatures[0].Sig = "" }), protocol.Invalid, []string{"0 bytes, want 64"}},
		{"trailing data", append(append([]byte{}, good...), []byte(` {}`)...), protocol.Invalid, []string{"trailing data"}},
		{"two envelopes", append(append([]byte{}, good...), good...), protocol.Invalid, []string{"trailing data"}},
		{"no signatures", spoil(good, func(w *wire) { w.Signatures = []wireSig{} }), protocol.Invalid, []string{"no signatures"}},
		{"null signatures", spoil(good, func(w *wire) { w.Signatures = nil }), protocol.Invalid, []string{"no signatures"}},
		{"signatures missing", []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30="}`), protocol.Invalid, []string{`missing field "signatures"`}},
		{"too many signatures", manySigs, protocol.TooLarge, []string{fmt.Sprintf("%d signatures, over the limit of %d", protocol.MaxSignatures+1, protocol.MaxSignatures)}},
		{"over MaxEnvelopeSize", huge, protocol.TooLarge, []string{fmt.Sprintf("%d bytes, over the limit of %d", len(huge), protocol.MaxEnvelopeSize)}},
		{"payloadType empty", spoil(good, func(w *wire) { w.PayloadType = "" }), protocol.Invalid, []string{"missing payloadType"}},
		{"payload empty", spoil(good, func(w *wire) { w.Payload = "" }), protocol.Invalid, []string{"missing payload"}},
		{"unknown field", bytes.Replace(good, []byte(`{"payloadType"`), []byte(`{"extra":1,"payloadType"`), 1), protocol.Invalid, []string{`unknown field "extra" in envelope`}},
		{"unknown signature field", bytes.Replace(good, []byte(`"sig":`), []byte(`"alg":"ed25519","sig":`), 1), protocol.Invalid, []string{`unknown field "alg" in envelope.signatures[0]`}},
		{"key in another case", bytes.Replace(good, []byte(`"payloadType"`), []byte(`"PayloadType"`), 1), protocol.Invalid, []string{`unknown field "PayloadType"`}},
		{"key twice", bytes.Replace(good, []byte(`{"payloadType"`), []byte(`{"payloadType":"x","payloadType"`), 1), protocol.Invalid, []string{`key "payloadType" appears twice in envelope`}},
		{"not UTF-8", bytes.Replace(good, []byte(`in-toto`), []byte("in-\xfftoto"), 1), protocol.Invalid, []string{"not UTF-8"}},
		{"unknown payloadType", signedAs("application/json", vectorByName("dataset").Payload), protocol.Invalid, []string{"parse statement", `payloadType "application/json"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := protocol.VerifyObject(tc.in)
			wantErr(t, err, tc.kind, tc.words...)
		})
	}
}

func signedAs(payloadType string, payload []byte) []byte {
	env := &protocol.Envelope{PayloadType: payloadType, Payload: payload}
	vectorKey.Sign(env)
	return env.Encode()
}

// TestBase64Variants: DSSE lets payload and sig be standard or URL-safe
// base64, padded or not; all four decode to the same envelope, and Encode
// emits standard padded base64.
func TestBase64Variants(t *testing.T) {
	env := vectorByName("attribution")
	want := env.Encode()
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		w := wire{PayloadType: env.PayloadType, Payload: enc.EncodeToString(env.Payload)}
		for _, s := range env.Signatures {
			w.Signatures = append(w.Signatures, wireSig{s.KeyID.String(), enc.EncodeToString(s.Sig)})
		}
		o, err := protocol.VerifyObject(w.bytes())
		if err != nil {
			t.Errorf("%v: %v", enc, err)
			continue
		}
		if got := o.Envelope.Encode(); !bytes.Equal(got, want) {
			t.Errorf("re-encoded:\ngot  %s\nwant %s", got, want)
		}
	}
	// The URL-safe cases prove something only if the standard form has a
	// character that differs between the alphabets.
	if !bytes.ContainsAny(want, "+/") {
		t.Error("the attribution vector has neither + nor / in base64: pick another")
	}
}

func TestDecodeEncodeRoundTrip(t *testing.T) {
	for _, v := range vectors() {
		b := v.env.Encode()
		env, err := protocol.DecodeEnvelope(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(env, v.env) {
			t.Errorf("%s: decoded %+v, want %+v", v.name, env, v.env)
		}
		if !bytes.Equal(env.Encode(), b) {
			t.Errorf("%s: Encode(Decode(b)) != b", v.name)
		}
		// Whitespace around and inside is not part of the envelope.
		var pretty bytes.Buffer
		json.Indent(&pretty, b, "", "  ")
		pretty.WriteString("\n")
		if env2, err := protocol.DecodeEnvelope(pretty.Bytes()); err != nil || !reflect.DeepEqual(env2, v.env) {
			t.Errorf("%s: indented envelope: %v", v.name, err)
		}
	}
}

func TestVerifyLeavesSignaturesSortedOnePerKey(t *testing.T) {
	env := vectorByName("attribution")
	w := toWire(t, env.Encode())
	// Reverse the order and repeat the first signature.
	w.Signatures = []wireSig{w.Signatures[1], w.Signatures[0], w.Signatures[1]}
	got, err := protocol.DecodeEnvelope(w.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 3 {
		t.Fatalf("DecodeEnvelope kept %d signatures, want all 3 until Verify", len(got.Signatures))
	}
	if err := got.Verify(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Signatures, env.Signatures) {
		t.Errorf("after Verify: %v, want %v", got.Signers(), env.Signers())
	}
	if !got.SignedBy(vectorKey.DID()) || !got.SignedBy(otherKey.DID()) || got.SignedBy(mustKey(seq(0x40)).DID()) {
		t.Error("SignedBy is wrong")
	}
}

func TestVerifyRefusesUnsigned(t *testing.T) {
	env := &protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: []byte("{}")}
	wantErr(t, env.Verify(), protocol.Invalid, "no signatures")
}

func TestSign(t *testing.T) {
	ds := vectorByName("dataset")
	env := &protocol.Envelope{PayloadType: ds.PayloadType, Payload: ds.Payload}
	third := mustKey(seq(0x40))
	// Sign in an order that is not key order; signatures end up sorted.
	third.Sign(env)
	otherKey.Sign(env)
	vectorKey.Sign(env)
	if err := env.Verify(); err != nil {
		t.Fatal(err)
	}
	signers := env.Signers()
	for i := 1; i < len(signers); i++ {
		if bytes.Compare(signers[i-1].PublicKey(), signers[i].PublicKey()) >= 0 {
			t.Errorf("signers not in key order: %v", signers)
		}
	}
	if env.ID() != ds.ID() {
		t.Errorf("co-signing changed the ID: %s, want %s", env.ID(), ds.ID())
	}
	// Signing again replaces, never adds.
	before := len(env.Signatures)
	env.Signatures[0].Sig = make([]byte, 64)
	for _, k := range []*protocol.Key{vectorKey, otherKey, third} {
		k.Sign(env)
	}
	if len(env.Signatures) != before {
		t.Errorf("re-signing gave %d signatures, want %d", len(env.Signatures), before)
	}
	if err := env.Verify(); err != nil {
		t.Errorf("re-signing did not replace the spoiled signature: %v", err)
	}
}

func TestMerge(t *testing.T) {
	ds := vectorByName("dataset")
	fresh := func(keys ...*protocol.Key) *protocol.Envelope {
		e := &protocol.Envelope{PayloadType: ds.PayloadType, Payload: append([]byte(nil), ds.Payload...)}
		for _, k := range keys {
			k.Sign(e)
		}
		return e
	}
	third := mustKey(seq(0x40))
	a := fresh(vectorKey)
	b := fresh(otherKey, third)
	added, err := a.Merge(b)
	if err != nil || !added {
		t.Fatalf("Merge = %v, %v; want true, nil", added, err)
	}
	want := fresh(vectorKey, otherKey, third)
	if !reflect.DeepEqual(a.Signatures, want.Signatures) {
		t.Errorf("union: %v, want %v", a.Signers(), want.Signers())
	}
	if err := a.Verify(); err != nil {
		t.Error(err)
	}
	// Idempotent, and order of merging does not matter.
	added, err = a.Merge(b)
	if err != nil || added {
		t.Errorf("second Merge = %v, %v; want false, nil", added, err)
	}
	c := fresh(otherKey)
	c.Merge(fresh(third))
	c.Merge(fresh(vectorKey))
	if !bytes.Equal(c.Encode(), a.Encode()) {
		t.Errorf("merge order changed the envelope:\n%s\n%s", c.Encode(), a.Encode())
	}
	// A different payload, or type, is refused and leaves e alone.
	other := vectorByName("attribution")
	before := a.Encode()
	_, err = a.Merge(other)
	wantErr(t, err, protocol.Invalid, "merge envelopes", "different payloads", ds.ID().String(), other.ID().String())
	typed := fresh(otherKey)
	typed.PayloadType = "application/json"
	_, err = a.Merge(typed)
	wantErr(t, err, protocol.Invalid, "different payloads")
	if !bytes.Equal(a.Encode(), before) {
		t.Error("a refused Merge changed the envelope")
	}
}
