package gov_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/protocoltest"
)

// The helpers below are those of protocol's tests that the governance tests
// use too: the same keys, days and vector IDs, so that the updates made
// here are the ones SPEC.md §9.9 quotes.

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ from the code (then read the diff)")

// The shared helpers of protocoltest, by the names these tests use.
const (
	vectorDatasetID  = protocoltest.VectorDatasetID
	vectorArtifactID = protocoltest.VectorArtifactID
)

var (
	seq          = protocoltest.Seq
	mustKey      = protocoltest.MustKey
	day          = protocoltest.Day
	wantErr      = protocoltest.WantErr
	mustEnvelope = protocoltest.MustEnvelope
	edit         = protocoltest.Edit
)

// vectorKey is key A of the governance tests: the publisher of the vectors.
var vectorKey = mustKey(seq(0x00))

func mustBase58(id string) string {
	s, err := protocol.MustParseID(id).Cid().StringOfBase('z')
	if err != nil {
		panic(err)
	}
	return s
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
