package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestEncodeEnvelope checks that the o/<id> value written by hand is the
// bytes of Envelope.Encode, for payload types JSON writes as is and for
// those it escapes.
func TestEncodeEnvelope(t *testing.T) {
	alice, bob := testDID(t, "alice"), testDID(t, "bob")
	sig := bytes.Repeat([]byte{0xfb}, 64)
	cases := []struct {
		name string
		env  protocol.Envelope
	}{
		{"one signature", protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: []byte(`{"a":1}`),
			Signatures: []protocol.Signature{{KeyID: alice, Sig: sig}}}},
		{"two signatures", protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: []byte("\x00\xff<>&"),
			Signatures: []protocol.Signature{{KeyID: alice, Sig: sig}, {KeyID: bob, Sig: sig[:1]}}}},
		{"no signatures", protocol.Envelope{PayloadType: "x", Payload: nil}},
		{"escaped payload type", protocol.Envelope{PayloadType: "a<b>&\"c\"\\\n\u2028é", Payload: []byte("p"),
			Signatures: []protocol.Signature{{KeyID: alice, Sig: sig}}}},
		{"invalid UTF-8 in the payload type", protocol.Envelope{PayloadType: "\xff", Payload: []byte("p")}},
	}
	for _, tc := range cases {
		n := &names{}
		if got, want := encodeEnvelope(&tc.env, n), tc.env.Encode(); !bytes.Equal(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, got, want)
		}
	}
}

func FuzzEncodeEnvelope(f *testing.F) {
	f.Add(protocol.PayloadTypeInToto, []byte(`{"_type":"https://in-toto.io/Statement/v1"}`), uint8(1), []byte("sig"))
	f.Add("text/<plain>", []byte{}, uint8(3), []byte{})
	f.Add("\x7f\x1f", []byte{0}, uint8(0), []byte{1, 2})
	dids := make([]protocol.DID, 4)
	for i := range dids {
		dids[i] = testDID(f, fmt.Sprint("fuzz signer ", i))
	}
	f.Fuzz(func(t *testing.T, payloadType string, payload []byte, signers uint8, sig []byte) {
		env := protocol.Envelope{PayloadType: payloadType, Payload: payload}
		for i := range int(signers % 5) {
			env.Signatures = append(env.Signatures, protocol.Signature{KeyID: dids[i%len(dids)], Sig: sig})
		}
		if got, want := encodeEnvelope(&env, &names{}), env.Encode(); !bytes.Equal(got, want) {
			t.Fatalf("encodeEnvelope:\n%s\nEncode:\n%s", got, want)
		}
	})
}
