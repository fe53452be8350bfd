package gov_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The helpers below are those of protocol's tests that the governance tests
// use too: the same keys, days and vector IDs, so that the updates made
// here are the ones SPEC.md §9.9 quotes.

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ from the code (then read the diff)")

// IDs of the test vectors (SPEC.md §9).
const (
	vectorDatasetID  = "bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq"
	vectorArtifactID = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"
)

func seq(from byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

func mustKey(seed []byte) *protocol.Key {
	k, err := protocol.KeyFromSeed(seed)
	if err != nil {
		panic(err)
	}
	return k
}

// vectorKey is key A of the governance tests: the publisher of the vectors.
var vectorKey = mustKey(seq(0x00))

func day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

// wantErr fails t unless err has kind k and its message holds every one of
// words.
func wantErr(t testing.TB, err error, k protocol.Kind, words ...string) {
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

func mustEnvelope(k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any, keys ...*protocol.Key) *protocol.Envelope {
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		panic(err)
	}
	for _, key := range keys {
		key.Sign(env)
	}
	return env
}

func mustBase58(id string) string {
	s, err := protocol.MustParseID(id).Cid().StringOfBase('z')
	if err != nil {
		panic(err)
	}
	return s
}

// edit decodes payload into generic JSON, lets f change it and re-encodes it.
// Keys come out sorted; that does not matter to a verifier.
func edit(t testing.TB, payload []byte, f func(st map[string]any)) []byte {
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

// vectorByName returns the envelope of the test vector name (SPEC.md §9),
// as protocol's testdata holds it.
func vectorByName(t testing.TB, name string) *protocol.Envelope {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "vector-"+name+"-envelope.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
