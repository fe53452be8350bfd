package protocol_test

import (
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/protocoltest"
)

// seedHex is the vector seed 0x00, 0x01, …, 0x1f; otherSeedHex is 0x20 … 0x3f.
const (
	seedHex      = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	otherSeedHex = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
)

// Fixed values of the test vectors (SPEC.md §9).
const (
	vectorDID        = protocoltest.VectorDID
	vectorDatasetID  = protocoltest.VectorDatasetID
	vectorArtifactID = protocoltest.VectorArtifactID
)

var (
	seq          = protocoltest.Seq
	mustKey      = protocoltest.MustKey
	wantErr      = protocoltest.WantErr
	mustEnvelope = protocoltest.MustEnvelope
	edit         = protocoltest.Edit
)

var (
	vectorKey = mustKey(seq(0x00)) // publisher, issuer
	otherKey  = mustKey(seq(0x20)) // contributor, steward
	day       = protocoltest.Day
)

// vector is one test vector: an object of each kind, built with the
// package's own builders and signed with Key.Sign.
type vector struct {
	name string
	env  *protocol.Envelope
}

var helloFile = protocol.File{Name: "hello.txt", Digest: protocol.SumDigest([]byte("hello\n")), Size: 6}

// vectors builds the seven vectors. Each later one refers to an earlier one.
func vectors() []vector {
	ds := mustEnvelope(protocol.KindDataset, protocol.FileSubjects([]protocol.File{helloFile}), protocol.Dataset{
		Name:      "Test vector",
		License:   "CC-BY-4.0",
		Publisher: vectorKey.DID(),
		Created:   day(1),
	}, vectorKey)
	at := mustEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(ds.ID()), protocol.Attribution{
		Issuer:      vectorKey.DID(),
		Contributor: otherKey.DID(),
		Role:        "annotator",
		Weight:      0.5,
		Note:        "labelled hello.txt",
		Created:     day(2),
	}, vectorKey, otherKey)
	model := protocol.File{Name: "model.bin", Digest: protocol.SumDigest([]byte("model\n")), Size: 6}
	dv := mustEnvelope(protocol.KindDerivation, protocol.FileSubjects([]protocol.File{model}), protocol.Derivation{
		Publisher: vectorKey.DID(),
		Inputs:    []protocol.ID{ds.ID()},
		Activity:  "trained-on",
		Created:   day(3),
	}, vectorKey)
	en := mustEnvelope(protocol.KindEndorsement, protocol.ReferenceSubject(at.ID()), protocol.Endorsement{
		Issuer:   otherKey.DID(),
		Standard: "Commons review 1",
		Level:    "full",
		Created:  day(4),
	}, otherKey)
	rv := mustEnvelope(protocol.KindRevocation, protocol.ReferenceSubject(at.ID()), protocol.Revocation{
		Issuer:  vectorKey.DID(),
		Reason:  "contributor asked to be removed",
		Created: day(5),
	}, vectorKey)
	ro := mustEnvelope(protocol.KindRotation, protocol.KeySubject(vectorKey.DID()), protocol.Rotation{
		From:    vectorKey.DID(),
		To:      otherKey.DID(),
		Note:    "key of 2026 retired",
		Created: day(6),
	}, vectorKey, otherKey)
	dm := mustEnvelope(protocol.KindDataset, protocol.ReferenceSubject(manifestRoot.Root), protocol.Dataset{
		Name:      "Test vector tables",
		License:   "CC-BY-4.0",
		Publisher: vectorKey.DID(),
		Created:   day(7),
		Manifest:  &manifestRoot,
	}, vectorKey)
	return []vector{{"dataset", ds}, {"attribution", at}, {"derivation", dv}, {"endorsement", en}, {"revocation", rv}, {"rotation", ro}, {"dataset-manifest", dm}}
}

// manifestRoot is the manifest of SPEC.md §9.11, which the dataset of
// §9.12 names: its root, 4 entries of 27 bytes in all.
var manifestRoot = protocol.ManifestRef{
	Root:  protocol.MustParseID("bafkreifyauucz574vocmvjyddgohwtbccb5i3pfr5mkmgte2kedipj7xgu"),
	Count: 4,
	Bytes: 27,
}

// kind is the kind of object a vector is: its name up to the first '-'.
func (v vector) kind() string {
	k, _, _ := strings.Cut(v.name, "-")
	return k
}

func vectorByName(name string) *protocol.Envelope {
	for _, v := range vectors() {
		if v.name == name {
			return v.env
		}
	}
	panic("no vector " + name)
}

// signed returns the encoded envelope of payload signed by keys.
func signed(payload []byte, keys ...*protocol.Key) []byte {
	env := &protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: payload}
	for _, k := range keys {
		k.Sign(env)
	}
	return env.Encode()
}

func pred(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }
func subj(st map[string]any, i int) map[string]any {
	return st["subject"].([]any)[i].(map[string]any)
}
