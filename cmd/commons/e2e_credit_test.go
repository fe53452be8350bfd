package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestCreditScenario: two corpora with their contributors, a cleaned
// dataset made from both with weights, a model trained on it; credit
// through the real binary shares the credit by the weights, a stranger's
// claims change nothing at acknowledged, and the JSON shares add up to
// exactly 1.
func TestCreditScenario(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	var alice, bob, mallory keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	testnet.RunJSON(t, &bob, r("key", "new", "bob")...)
	testnet.RunJSON(t, &mallory, r("key", "new", "mallory")...)

	var news, forum, cleaned publishedJSON
	testnet.RunJSON(t, &news, r("dataset", "add", testnet.WriteTree(t, map[string]string{"news.csv": "a,b\n"}), "--name", "News corpus", "--license", "CC-BY-4.0")...)
	testnet.RunJSON(t, &forum, r("dataset", "add", testnet.WriteTree(t, map[string]string{"forum.csv": "c,d\n"}), "--name", "Forum corpus", "--license", "CC-BY-4.0")...)
	// Alice annotated the news (mutual once the publisher co-signs); bob
	// curated the forum, as alice says and the publisher co-signs
	// (acknowledged).
	var claim publishedJSON
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", news.ID, "--role", "annotator", "--weight", "1", "--as", "alice")...)
	testnet.RunJSON(t, &publishedJSON{}, r("claim", "cosign", claim.ID)...)
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", forum.ID, "--role", "curator", "--weight", "0.5", "--contributor", "bob", "--as", "alice")...)
	testnet.RunJSON(t, &publishedJSON{}, r("claim", "cosign", claim.ID)...)
	testnet.RunJSON(t, &cleaned, r("dataset", "add", testnet.WriteTree(t, map[string]string{"clean.csv": "a,b\nc,d\n"}), "--name", "Cleaned", "--license", "CC-BY-4.0",
		"--parent", news.ID+"=0.75", "--parent", forum.ID+"=0.25")...)
	// Mallory's own claims about everything: asserted.
	for _, id := range []string{cleaned.ID, news.ID, forum.ID} {
		for range 3 {
			testnet.RunJSON(t, &claim, r("claim", "add", "--subject", id, "--role", "author", "--weight", "1", "--as", "mallory")...)
		}
	}
	model := testnet.WriteTree(t, map[string]string{"model.bin": "weights"})
	var derived publishedJSON
	testnet.RunJSON(t, &derived, r("derive", "--file", filepath.Join(model, "model.bin"), "--input", cleaned.ID+"=0.5", "--activity", "trained-on")...)

	credit := func(id string, flags ...string) api.Credit {
		t.Helper()
		var c api.Credit
		testnet.RunJSON(t, &c, r(append([]string{"credit", id}, flags...)...)...)
		sum := c.Unattributed
		for _, s := range c.Shares {
			sum += s.Share
			if len(s.Paths) == 0 || s.Paths[0].Route[0].String() != c.Subject.String() {
				t.Errorf("credit %s: share of %s without a path from the subject: %+v", id, s.DID, s.Paths)
			}
		}
		if sum != 1 {
			t.Errorf("credit %s: shares and unattributed add up to %v, want exactly 1", id, sum)
		}
		return c
	}
	shares := func(c api.Credit) map[string]float64 {
		out := map[string]float64{}
		for _, s := range c.Shares {
			out[s.DID.String()] = s.Share
		}
		return out
	}
	c := credit(cleaned.ID)
	if got := shares(c); len(got) != 2 || got[alice.DID] != 0.75 || got[bob.DID] != 0.25 || c.Unattributed != 0 || c.MinTrust != protocol.Acknowledged {
		t.Errorf("credit at the default threshold: %+v, want alice 0.75 and bob 0.25 by the parents' weights", c)
	}
	c = credit(cleaned.ID, "--min-trust", "mutual")
	if got := shares(c); len(got) != 1 || got[alice.DID] != 0.75 || c.Unattributed != 0.25 {
		t.Errorf("credit at mutual: %+v, want alice 0.75 and the forum's quarter unattributed", c)
	}
	c = credit(cleaned.ID, "--min-trust", "asserted")
	if got := shares(c); got[mallory.DID] == 0 || got[alice.DID] >= 0.75 {
		t.Errorf("credit at asserted: %+v, want mallory's asserted claims to count", c)
	}
	c = credit("sha256:"+sha256Hex("weights"), "--min-trust", "asserted")
	if got := shares(c); got[alice.DID] == 0 || got[bob.DID] == 0 {
		t.Errorf("credit of the model at asserted: %+v, want the contributors of its input", c)
	}

	text := testnet.Run(t, nil, "credit", cleaned.ID, "--repo", repo)
	if text.Code != 0 || !strings.Contains(text.Stdout, "75.0000%") || !strings.Contains(text.Stdout, alice.DID) || !strings.Contains(text.Stdout, "(unattributed)") {
		t.Errorf("credit text output (exit %d):\n%s%s", text.Code, text.Stdout, text.Stderr)
	}
	for _, args := range [][]string{
		{"credit", cleaned.ID, "--min-trust", "revoked"},
		{"credit", cleaned.ID, "--min-trust", "high"},
		{"dataset", "add", model, "--name", "X", "--license", "MIT", "--parent", news.ID + "=2"},
		{"dataset", "add", model, "--name", "X", "--license", "MIT", "--parent", news.ID + "=0"},
		{"derive", "--digest", "sha256:" + sha256Hex("x"), "--input", news.ID + "=abc", "--activity", "trained-on"},
	} {
		if res := testnet.Run(t, nil, append(args, "--repo", repo)...); res.Code != 2 {
			t.Errorf("commons %s: exit %d, want a usage error (2)\n%s", strings.Join(args, " "), res.Code, res.Stderr)
		}
	}
}
