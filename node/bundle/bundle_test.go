package bundle_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/bundle-v1.json from the code")

// TestBundleRoundTrip: the bundle of an artifact holds every kind of piece
// behind its answer, and Verify, from the bundle alone, gives the answer
// the node gives.
func TestBundleRoundTrip(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.artifact)
	res, err := verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	want, err := answer.Attribution(w.s, w.dag.State(), answer.Standings(w.dag.State()), w.artifact)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Attribution)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("verified attribution\n%s\nwant the node's\n%s", got, wantJSON)
	}
	if res.Subject != w.artifact || res.Network != w.network || res.StateHash != w.dag.State().Hash() || res.Updates != 2 || res.Chunks != 1 {
		t.Errorf("result %+v", res)
	}
	b, err := bundle.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var ids []protocol.ID
	for _, p := range b.Objects {
		ids = append(ids, p.ID)
	}
	for name, id := range map[string]protocol.ID{
		"parent": w.parent, "dataset with a manifest": w.withManifest, "child": w.child, "derivation": w.derivation,
		"mutual claim": w.mutual, "acknowledged claim": w.acknowledged, "revoked claim": w.revokedClaim,
		"claim by a rotated key": w.rotatedClaim, "endorsement": w.endorsement, "rotation": w.rotation, "claim about the artifact": w.artifactClaim,
	} {
		if !slices.Contains(ids, id) {
			t.Errorf("the bundle lacks the %s %s", name, id)
		}
	}
	// The answer the bundle proves is worth proving: the rotation and the
	// steward's endorsement count, and governance flags the parent.
	trust := map[protocol.ID]protocol.Trust{}
	for _, c := range want.Contributors {
		trust[c.Claim] = c.Trust
	}
	for _, l := range want.Lineage {
		for _, c := range l.Contributors {
			trust[c.Claim] = c.Trust
		}
		if l.ID == w.parent && (l.Standing == nil || l.Standing.Status != "flagged") {
			t.Errorf("parent's standing %+v, want flagged", l.Standing)
		}
	}
	for id, want := range map[protocol.ID]protocol.Trust{w.mutual: protocol.Certified, w.acknowledged: protocol.Acknowledged,
		w.revokedClaim: protocol.Revoked, w.rotatedClaim: protocol.Mutual} {
		if trust[id] != want {
			t.Errorf("claim %s: trust %s, want %s", id, trust[id], want)
		}
	}
	if want.Publisher.IsZero() {
		t.Error("the artifact has no publisher: the steward's endorsement of its derivation does not count")
	}
}

// TestBundleOfEveryKindOfSubject: a dataset, a claim and an artifact each
// give a bundle that verifies.
func TestBundleOfEveryKindOfSubject(t *testing.T) {
	w := newWorld(t)
	for _, id := range []protocol.ID{w.child, w.parent, w.withManifest, w.mutual, w.derivation, w.artifact} {
		if _, err := verify(w.build(t, id)); err != nil {
			t.Errorf("bundle of %s: %v", id, err)
		}
	}
}

// TestBundleGolden: the bundle of the world's artifact is the file
// testdata/bundle-v1.json byte for byte (SPEC.md §9.13), and that file
// verifies. Run with -update after a deliberate change of the format.
func TestBundleGolden(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.artifact)
	path := filepath.Join("testdata", "bundle-v1.json")
	if *update {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, golden) {
		t.Errorf("the bundle differs from %s (run with -update if the change is deliberate)", path)
	}
	if _, err := verify(golden); err != nil {
		t.Errorf("%s does not verify: %v", path, err)
	}
}
