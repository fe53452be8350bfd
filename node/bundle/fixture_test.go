package bundle_test

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// day is noon of day d of June 2026: every time of the world is fixed,
// so that its bundle is the same bytes at every run (the golden file).
func day(d int) time.Time { return time.Date(2026, 6, d, 12, 0, 0, 0, time.UTC) }

// verifyNow is the verifier's clock in the tests: after every time of
// the world.
func verifyNow() time.Time { return day(30) }

// world is a commons with every kind of piece a bundle carries: a
// steward, a publisher, contributors, a rotated key, a dataset with a
// manifest, a lineage of records, a derivation, co-signed, endorsed and
// revoked claims, and governance that flags one dataset.
type world struct {
	s        *store.Store
	genesis  []byte
	network  protocol.NetworkID
	dag      *gov.DAG
	updates  []*gov.Update
	steward  *protocol.Key
	artifact protocol.ID // the subject of the bundle: a model made from the lineage

	parent, withManifest, child, derivation protocol.ID
	mutual, acknowledged, revokedClaim      protocol.ID // claims about child
	rotatedClaim                            protocol.ID // about parent, issued by alice's new key for alice
	endorsement, rotation, artifactClaim    protocol.ID
	flag, param                             protocol.ID // governance updates: flag parent, then a param
	root                                    manifest.ChunkID
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	steward, publisher := storetest.Key(tb, "steward"), storetest.Key(tb, "publisher")
	alice, alice2, bob := storetest.Key(tb, "alice"), storetest.Key(tb, "alice's new key"), storetest.Key(tb, "bob")
	w := &world{s: storetest.Open(tb), steward: steward}
	var err error
	w.genesis, err = protocol.EncodeGenesis(&protocol.Genesis{Name: "bundle world", Stewards: []protocol.DID{steward.DID()}, Threshold: 1, Created: day(1)})
	if err != nil {
		tb.Fatal(err)
	}
	var g *protocol.Genesis
	if g, w.network, err = protocol.DecodeGenesis(w.genesis); err != nil {
		tb.Fatal(err)
	}

	var chunks [][]byte
	mb := manifest.NewBuilder(func(_ manifest.ChunkID, c []byte) error { chunks = append(chunks, c); return nil })
	for _, p := range []string{"images/a.png", "images/b.png", "labels.csv"} {
		if err := mb.Add(manifest.Entry{Path: p, Size: int64(len(p)), Digest: protocol.SumDigest([]byte(p))}); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := mb.Root()
	if err != nil {
		tb.Fatal(err)
	}
	w.root = root.ID
	if _, err := w.s.PutChunks(chunks); err != nil {
		tb.Fatal(err)
	}

	parent := storetest.NewDatasetWith(tb, publisher, protocol.Dataset{Name: "Parent corpus", Created: day(2)}, storetest.FileOf("a.csv", "x,y\n1,2\n"))
	images := storetest.Sign(tb, protocol.KindDataset, protocol.ReferenceSubject(root.ID.ID()), protocol.Dataset{
		Name: "Images", License: "CC0-1.0", Publisher: publisher.DID(), Created: day(2),
		Manifest: &protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes},
	}, publisher)
	child := storetest.NewDatasetWith(tb, publisher, protocol.Dataset{Name: "Cleaned corpus", Created: day(3), Parents: []protocol.ID{parent.ID, images.ID}},
		storetest.FileOf("clean.csv", "x,y\n"))
	mutual := storetest.Cosign(tb, storetest.NewClaimWith(tb, alice, child.ID, protocol.Attribution{Role: "annotator", Weight: 0.5, Created: day(4)}), publisher)
	acknowledged := storetest.Cosign(tb, storetest.NewClaimWith(tb, alice, child.ID, protocol.Attribution{Contributor: bob.DID(), Role: "curator", Weight: 0.25, Created: day(4)}), publisher)
	revokedClaim := storetest.NewClaimWith(tb, alice, child.ID, protocol.Attribution{Role: "reviewer", Created: day(4)})
	revocation := storetest.NewRevocationWith(tb, alice, revokedClaim.ID, protocol.Revocation{Reason: "wrong dataset", Created: day(5)})
	endorsement := storetest.NewEndorsementWith(tb, steward, mutual.ID, protocol.Endorsement{Standard: "pii-scrubbed", Created: day(5)})
	rotation := storetest.Sign(tb, protocol.KindRotation, protocol.KeySubject(alice.DID()),
		protocol.Rotation{From: alice.DID(), To: alice2.DID(), Note: "new laptop", Created: day(5)}, alice, alice2)
	rotatedClaim := storetest.Cosign(tb, storetest.NewClaimWith(tb, alice2, parent.ID, protocol.Attribution{Contributor: alice.DID(), Role: "author", Created: day(6)}), publisher)
	model := storetest.FileOf("model.safetensors", "weights")
	derivation := storetest.NewDerivationWith(tb, publisher, model, protocol.Derivation{Activity: "trained-on", Inputs: []protocol.ID{child.ID}, Created: day(7)})
	derivationEndorsed := storetest.NewEndorsementWith(tb, steward, derivation.ID, protocol.Endorsement{Standard: "reviewed", Created: day(7)})
	artifact := protocol.ArtifactID(model.Digest)
	artifactClaim := storetest.NewClaimWith(tb, bob, artifact, protocol.Attribution{Role: "trainer", Created: day(8)})
	storetest.MustPut(tb, w.s, parent, images, child, mutual, acknowledged, revokedClaim, revocation, endorsement, rotation,
		rotatedClaim, derivation, derivationEndorsed, artifactClaim)

	w.dag = gov.New(g, w.network)
	flag, err := gov.NewUpdate(w.network, steward, []protocol.ID{w.network.ID()}, day(9),
		&gov.Proposal{Action: gov.ActDatasetStatus, Dataset: parent.ID, Status: gov.StatusFlagged, Reason: "disputed licence", Expires: day(12)}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	param, err := gov.NewUpdate(w.network, steward, []protocol.ID{flag.ID}, day(10),
		&gov.Proposal{Action: gov.ActSetParam, Name: "max-claims", Value: "7", Expires: day(13)}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	w.updates = []*gov.Update{flag, param}
	if _, err := w.dag.AddAll(w.updates); err != nil {
		tb.Fatal(err)
	}

	w.artifact, w.parent, w.withManifest, w.child, w.derivation = artifact, parent.ID, images.ID, child.ID, derivation.ID
	w.mutual, w.acknowledged, w.revokedClaim, w.rotatedClaim = mutual.ID, acknowledged.ID, revokedClaim.ID, rotatedClaim.ID
	w.endorsement, w.rotation, w.artifactClaim = endorsement.ID, rotation.ID, artifactClaim.ID
	w.flag, w.param = flag.ID, param.ID
	return w
}

// source is the world as Build reads it.
func (w *world) source() bundle.Source {
	return bundle.Source{Store: w.s, Genesis: w.genesis, State: w.dag.State(), Updates: w.updates}
}

// build returns the encoded bundle of subject.
func (w *world) build(tb testing.TB, subject protocol.ID) []byte {
	tb.Helper()
	b, err := bundle.Build(w.source(), subject)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := b.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func verify(raw []byte) (*bundle.Result, error) {
	return bundle.VerifyWith(raw, bundle.Options{Now: verifyNow})
}
