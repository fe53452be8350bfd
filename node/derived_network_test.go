package node

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// TestDerivedAcrossNodes: a corpus published on one node, a cleaned copy
// of it made on a second, a model trained on the copy on a third. A
// fourth node, which never saw any of them, finds through the DHT alone
// (gossip is off) what was made from the corpus, to the model at depth 2,
// and the same answer as the publisher's node once that one has looked
// too; its attribution of the corpus lists the cleaned copy.
func TestDerivedAcrossNodes(t *testing.T) {
	nodes := lineSwarm(t, 6, swarmOptions{bucket: 3})
	pub, cleaner, trainer, far := nodes[0], nodes[2], nodes[3], nodes[5]
	ctx := t.Context()
	search := api.QueryOptions{Timeout: 10 * time.Second}

	corpus := mustDataset(t, pub.Node, "broadcast archive")
	waitAnnounced(t, pub)
	if _, err := cleaner.Dataset(ctx, corpus.ID, search); err != nil {
		t.Fatalf("the cleaner fetching the corpus: %v", err)
	}
	cleaned := mustDataset(t, cleaner.Node, "broadcast archive, cleaned", corpus.ID)
	waitAnnounced(t, cleaner)
	if _, err := trainer.Dataset(ctx, cleaned.ID, search); err != nil {
		t.Fatalf("the trainer fetching the cleaned copy: %v", err)
	}
	model, err := trainer.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("weights")), Name: "asr-model.safetensors", Inputs: []protocol.ID{cleaned.ID}, Activity: "trained-on"})
	if err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, trainer)

	local, err := far.Derived(ctx, corpus.ID, api.QueryOptions{Local: true})
	if err != nil || len(local.Derived) != 0 {
		t.Fatalf("--local on a node that saw nothing: %+v, %v; want nothing", local, err)
	}
	got, err := far.Derived(ctx, corpus.ID, search)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Derived) != 2 {
		t.Fatalf("derived from the corpus on the far node: %+v; want the cleaned copy and the model", got.Derived)
	}
	c, m := got.Derived[0], got.Derived[1]
	if c.ID != cleaned.ID || c.Kind != "dataset" || c.Depth != 1 || c.Via != corpus.ID || c.Name != "broadcast archive, cleaned" || c.Publisher != cleaner.repo.NodeKey.DID() {
		t.Errorf("the cleaned copy on the far node: %+v", c)
	}
	if m.ID != model.ID || m.Kind != "derivation" || m.Depth != 2 || m.Via != cleaned.ID || m.Activity != "trained-on" ||
		m.Name != "asr-model.safetensors" || m.Artifact != protocol.ArtifactID(protocol.SumDigest([]byte("weights"))) {
		t.Errorf("the model on the far node: %+v", m)
	}

	// The publisher, which never saw the model nor the cleaned copy,
	// gives the same answer once it has looked.
	atPub, err := pub.Derived(ctx, corpus.ID, search)
	if err != nil {
		t.Fatal(err)
	}
	if asJSON(t, atPub) != asJSON(t, got) {
		t.Errorf("the publisher's answer\n%s\ndiffers from the far node's\n%s", asJSON(t, atPub), asJSON(t, got))
	}

	// A fresh node's attribution of the corpus lists what names it.
	fresh := nodes[4]
	a, err := fresh.Attribution(ctx, corpus.ID, search)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Derived) != 1 || a.Derived[0].ID != cleaned.ID || a.Derived[0].Depth != 1 {
		t.Errorf("attribution of the corpus on a fresh node: derived %+v; want the cleaned copy alone", a.Derived)
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAttributionOfParentNotHeld: a node that holds a dataset naming a
// parent it never held answers the attribution of that parent with what
// was made from it, not with "not found".
func TestAttributionOfParentNotHeld(t *testing.T) {
	n := newTestNode(t)
	other := newTestNode(t)
	parent := mustDataset(t, other, "held elsewhere")
	child, err := n.AddDataset(t.Context(), api.AddDatasetRequest{
		Name: "child", License: "CC0-1.0", Parents: []protocol.ID{parent.ID}, AllowUnknownParents: true,
		Files: []api.FileEntry{fileEntry("c.txt", "child")},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.Attribution(t.Context(), parent.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != "unknown" || len(a.Derived) != 1 || a.Derived[0].ID != child.ID {
		t.Errorf("attribution of a parent not held: kind %q, derived %+v; want unknown, the child", a.Kind, a.Derived)
	}
}
