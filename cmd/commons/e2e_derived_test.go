package main

// End-to-end test of what was made from a dataset, through the real
// binary: a corpus on one daemon, a cleaned copy and a model made from it
// on another, found from the first with `commons derived`, `attribution`
// and `dataset show`.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

func TestDerivedE2E(t *testing.T) {
	n := startTwoNodes(t)
	a := func(args ...string) []string { return append(args, "--repo", n.repoA) }
	b := func(args ...string) []string { return append(args, "--repo", n.repoB) }
	var p peerJSON
	testnet.RunJSON(t, &p, b("swarm", "connect", n.a.Addrs[0], "--json")...)

	var corpus api.Published
	testnet.RunJSON(t, &corpus, a("dataset", "add", testnet.WriteTree(t, map[string]string{"talk.wav": "speech"}), "--name", "Radio archive", "--license", "CC-BY-4.0", "--json")...)
	var d struct{ local, found api.Derived }
	testnet.RunJSON(t, &d.local, a("derived", corpus.ID.String(), "--local", "--json")...)
	if d.local.Subject != corpus.ID || d.local.Derived == nil || len(d.local.Derived) != 0 {
		t.Fatalf("derived --local before anything was made: %+v; want an empty list", d.local)
	}
	if r := testnet.Run(t, nil, a("derived", corpus.ID.String(), "--local")...); r.Code != 0 || !strings.Contains(r.Stdout, "nothing made from it is known") {
		t.Errorf("derived (text) of a dataset nothing was made from:\n%s", r)
	}

	// On b: a cleaned copy of the corpus, and a model trained on the copy
	// named by its digest alone.
	waitPeer(t, n.repoB, n.a.PeerID)
	retry(t, "b finds the corpus", func() bool {
		return testnet.Run(t, nil, b("dataset", "show", corpus.ID.String(), "--timeout", "10s")...).Code == 0
	})
	var shown api.DatasetView
	var cleaned api.Published
	testnet.RunJSON(t, &cleaned, b("dataset", "add", testnet.WriteTree(t, map[string]string{"talk.txt": "transcript"}), "--name", "Radio archive, cleaned", "--license", "CC-BY-4.0", "--parent", corpus.ID.String(), "--json")...)
	weights := protocol.SumDigest([]byte("weights"))
	var model api.Published
	testnet.RunJSON(t, &model, b("derive", "--digest", weights.String(), "--input", cleaned.ID.String(), "--activity", "trained-on", "--json")...)
	var modelAttr api.Attribution
	testnet.RunJSON(t, &modelAttr, b("attribution", model.ID.String(), "--local", "--json")...)
	wantName := "trained-on-" + weights.Hex()[:12]
	if modelAttr.Name != wantName {
		t.Errorf("derive without --name named the artifact %q, want %q", modelAttr.Name, wantName)
	}

	// On a, which made none of them: the cleaned copy at depth 1, the
	// model at depth 2, found on the network. Wait for b's announcements.
	retry(t, "a finds the cleaned copy and the model", func() bool {
		testnet.RunJSON(t, &d.found, a("derived", corpus.ID.String(), "--timeout", "10s", "--json")...)
		return len(d.found.Derived) == 2
	})
	c, m := d.found.Derived[0], d.found.Derived[1]
	if c.ID != cleaned.ID || c.Kind != "dataset" || c.Depth != 1 || c.Name != "Radio archive, cleaned" || c.Publisher.String() != n.b.DID {
		t.Errorf("the cleaned copy on a: %+v", c)
	}
	if m.ID != model.ID || m.Kind != "derivation" || m.Depth != 2 || m.Via != cleaned.ID || m.Activity != "trained-on" || m.Name != wantName || m.Artifact != protocol.ArtifactID(weights) {
		t.Errorf("the model on a: %+v", m)
	}
	// Found, verified and stored: the answer is local now, and b gives
	// the same.
	var onB api.Derived
	testnet.RunJSON(t, &d.local, a("derived", corpus.ID.String(), "--local", "--json")...)
	testnet.RunJSON(t, &onB, b("derived", corpus.ID.String(), "--local", "--json")...)
	if got, want := asJSONString(t, d.local), asJSONString(t, onB); got != want || got != asJSONString(t, d.found) {
		t.Errorf("derived --local on a:\n%s\non b:\n%s\nwant both as found:\n%s", got, want, asJSONString(t, d.found))
	}

	// The text forms say what each is.
	r := testnet.Run(t, nil, a("derived", corpus.ID.String(), "--local")...)
	for _, want := range []string{"DEPTH", cleaned.ID.String(), "dataset", "Radio archive, cleaned", model.ID.String(), "model, trained-on", wantName} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("derived (text) lacks %q:\n%s", want, r)
		}
	}
	var attr api.Attribution
	testnet.RunJSON(t, &attr, a("attribution", corpus.ID.String(), "--local", "--json")...)
	if len(attr.Derived) != 1 || attr.Derived[0].ID != cleaned.ID {
		t.Errorf("attribution --json of the corpus: derived %+v; want the cleaned copy alone", attr.Derived)
	}
	r = testnet.Run(t, nil, a("attribution", corpus.ID.String(), "--local")...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "made from it:") || !strings.Contains(r.Stdout, cleaned.ID.String()) {
		t.Errorf("attribution (text) does not show what was made from the corpus:\n%s", r)
	}
	r = testnet.Run(t, nil, a("dataset", "show", cleaned.ID.String(), "--local")...)
	if want := model.ID.String() + " (model, trained-on: " + wantName + ")"; r.Code != 0 || !strings.Contains(r.Stdout, want) {
		t.Errorf("dataset show (text) of the cleaned copy, want %q:\n%s", want, r)
	}
	testnet.RunJSON(t, &shown, a("dataset", "show", corpus.ID.String(), "--local", "--json")...)
	if len(shown.Derived) != 1 || shown.Derived[0].ID != cleaned.ID || shown.Derived[0].Kind != "dataset" {
		t.Errorf("dataset show --json of the corpus: derived %+v", shown.Derived)
	}

	// A bad ID is a usage error, said as such.
	if r := testnet.Run(t, nil, a("derived", "not-an-id")...); r.Code != 2 || !strings.Contains(r.Stderr, "not-an-id") {
		t.Errorf("derived of a bad ID: want exit 2 naming it\n%s", r)
	}
}

// retry runs try until it succeeds, for at most a minute: what a daemon
// publishes reaches the DHT a moment later.
func retry(t *testing.T, what string, try func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !try(); time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
	}
}

func asJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
