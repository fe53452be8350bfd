// Package protocoltest is what the tests of protocol and of the packages
// on it share: the keys, days and vector IDs of SPEC.md §9, errors checked
// by kind and words, envelopes signed by real keys, and genesis documents.
// Everything is real: keys are Ed25519 keys, envelopes are signed and
// genesis documents encoded by protocol's own code. It is imported by
// tests only, never by the code they test.
package protocoltest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// IDs of the test vectors (SPEC.md §9).
const (
	VectorDID        = "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
	VectorDatasetID  = "bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq"
	VectorArtifactID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"
)

// Seq returns the 32 bytes from, from+1, …: the seeds of the vector keys
// (Seq(0x00) is key A, Seq(0x20) key B).
func Seq(from byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

// MustKey returns the key of seed, panicking on a seed of the wrong length.
func MustKey(seed []byte) *protocol.Key {
	k, err := protocol.KeyFromSeed(seed)
	if err != nil {
		panic(err)
	}
	return k
}

// Day is midnight UTC of day d of January 2026, the vectors' month.
func Day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

// RandomDID returns the DID of a new random key.
func RandomDID(t testing.TB) protocol.DID {
	t.Helper()
	k, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

// Genesis returns the bytes of a genesis named name whose stewards are dids,
// threshold 1, created on 1 January 2026.
func Genesis(t testing.TB, name string, dids ...protocol.DID) []byte {
	t.Helper()
	b, err := protocol.EncodeGenesis(&protocol.Genesis{Name: name, Stewards: dids, Threshold: 1, Created: Day(1)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// MustEnvelope returns the envelope of kind k over subjects and pred,
// signed by keys in order, panicking when protocol refuses to build it.
func MustEnvelope(k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) *protocol.Envelope {
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		panic(err)
	}
	for _, key := range keys {
		key.Sign(env)
	}
	return env
}

// WantErr fails t unless err has kind k and its message holds every one of
// words.
func WantErr(t testing.TB, err error, k protocol.Kind, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %q error naming %q", k, words)
	}
	if got := protocol.KindOf(err); got != k {
		t.Errorf("kind = %q, want %q (error: %v)", got, k, err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

// Edit decodes payload into generic JSON, lets f change it and encodes it
// again, for tests of what a verifier refuses. Keys come out sorted; that
// does not matter to a verifier.
func Edit(t testing.TB, payload []byte, f func(st map[string]any)) []byte {
	t.Helper()
	var st map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		t.Fatal(err)
	}
	f(st)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
