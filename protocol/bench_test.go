package protocol_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// BenchmarkVerifyObject is the whole door for one object: decode the
// envelope, verify its signature, decode and validate the statement.
// Compare with BenchmarkEd25519Verify to see what the door costs beyond
// the signature.
func BenchmarkVerifyObject(b *testing.B) {
	env := vectorByName("dataset").Encode()
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.VerifyObject(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Verify is one raw Ed25519 verification of a 64-byte
// signature over a message the size of the dataset vector's PAE (~600 bytes).
func BenchmarkEd25519Verify(b *testing.B) {
	env := vectorByName("dataset")
	msg := protocol.PAE(env.PayloadType, env.Payload)
	sig := env.Signatures[0].Sig
	pub := vectorKey.DID().PublicKey()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkDecodeEnvelope is the first step of the door: the envelope's
// JSON, base64 and key IDs, without the signature check.
func BenchmarkDecodeEnvelope(b *testing.B) {
	env := vectorByName("dataset").Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.DecodeEnvelope(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseObject is the last step of the door: the statement and
// its predicate, decoded and validated.
func BenchmarkParseObject(b *testing.B) {
	env := vectorByName("dataset")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := protocol.ParseObject(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseEachKind is ParseObject for the vector of each kind: claims
// name their subject by ID, a derivation its inputs.
func BenchmarkParseEachKind(b *testing.B) {
	for _, v := range vectors() {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := protocol.ParseObject(v.env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
