package main

// End-to-end test of `commons key rotate` through the real binary: the
// operator's procedure of README "Rotating a key", on a commons of one
// whose node key is the only steward.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

type (
	rotatedJSON struct {
		Name      string `json:"name"`
		From      string `json:"from"`
		To        string `json:"to"`
		Rotation  string `json:"rotation"`
		GovUpdate string `json:"gov_update"`
		PeerID    string `json:"peer_id"`
	}
	keyListJSON struct {
		Name    string `json:"name"`
		DID     string `json:"did"`
		Retired bool   `json:"retired"`
	}
)

func TestE2EKeyRotate(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	var before idJSON
	testnet.RunJSON(t, &before, r("id")...)
	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	tree := testnet.WriteTree(t, map[string]string{"a.txt": "rotate me\n"})
	var ds publishedJSON
	testnet.RunJSON(t, &ds, r("dataset", "add", tree, "--name", "Rotated corpus", "--license", "CC-BY-4.0")...)
	// alice's own claim, which the publisher will acknowledge with its new key.
	var claim publishedJSON
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", ds.ID, "--role", "annotator", "--weight", "0.5", "--as", "alice")...)
	// A claim the old node key issued, which it will withdraw once retired.
	var own publishedJSON
	testnet.RunJSON(t, &own, r("claim", "add", "--subject", ds.ID, "--role", "curator", "--weight", "0.2")...)
	if got := trustOf(t, repo, ds.ID, claim.ID).Trust; got != "asserted" {
		t.Fatalf("alice's claim before any co-signature: %s, want asserted", got)
	}

	testnet.RunFails(t, nil, []string{"stop it first"}, "key", "rotate", "--repo", repo)
	d.Stop(t)

	var rot rotatedJSON
	testnet.RunJSON(t, &rot, r("key", "rotate", "--note", "yearly rotation")...)
	if rot.Name != "node" || rot.From != before.DID || rot.To == "" || rot.To == before.DID || rot.Rotation == "" || rot.GovUpdate == "" || rot.PeerID == "" || rot.PeerID == before.PeerID {
		t.Fatalf("key rotate = %+v; the node key %s, a steward, should hand its seat to a new key and peer ID", rot, before.DID)
	}
	if out := testnet.Run(t, nil, "key", "rotate", "alice", "extra", "--repo", repo); out.Code != 2 || !strings.Contains(out.Stderr, "unexpected argument") {
		t.Errorf("key rotate with two names: %s, want a usage error", out)
	}

	testnet.Start(t, repo)
	var after idJSON
	testnet.RunJSON(t, &after, r("id")...)
	if after.DID != rot.To || after.PeerID != rot.PeerID {
		t.Errorf("id after rotation: %s %s, want %s %s", after.DID, after.PeerID, rot.To, rot.PeerID)
	}
	var st govStateJSON
	testnet.RunJSON(t, &st, r("gov", "state")...)
	if !slices.Equal(st.Stewards, []string{rot.To}) {
		t.Errorf("stewards after rotation: %q, want the new key %s alone", st.Stewards, rot.To)
	}
	// The new key governs: its proposal passes at once, as the old key's did.
	var p govPublishedJSON
	testnet.RunJSON(t, &p, r("gov", "propose", "set-param", "rotated", "yes")...)
	if p.Status != "passed" || p.Author != rot.To {
		t.Errorf("a proposal by the new key: %+v, want passed", p)
	}
	var keys []keyListJSON
	testnet.RunJSON(t, &keys, r("key", "list")...)
	if len(keys) != 3 || keys[0].DID != rot.To || keys[0].Retired || keys[2].DID != before.DID || !keys[2].Retired {
		t.Errorf("key list after rotation: %+v, want node (new), alice, node (retired)", keys)
	}
	if out := testnet.Run(t, nil, "key", "list", "--repo", repo); !strings.Contains(out.Stdout, "retired") {
		t.Errorf("key list (text) does not mark the retired key:\n%s", out)
	}

	// The new key speaks for the dataset's publisher: beside alice's own
	// signature, its co-signature makes her claim mutual, as the old key's
	// would have.
	var cs publishedJSON
	testnet.RunJSON(t, &cs, r("claim", "cosign", claim.ID)...)
	if got := trustOf(t, repo, ds.ID, claim.ID); got.Trust != "mutual" {
		t.Errorf("alice's claim co-signed by the publisher's new key: %+v, want mutual", got)
	}
	// The retired key still withdraws what it issued.
	var rv publishedJSON
	testnet.RunJSON(t, &rv, r("claim", "revoke", own.ID, "--reason", "superseded")...)
	if rv.Signer != before.DID {
		t.Errorf("revocation of the old key's claim signed by %s, want the retired key %s", rv.Signer, before.DID)
	}
	if got := trustOf(t, repo, ds.ID, own.ID).Trust; got != "revoked" {
		t.Errorf("the old key's claim after its revocation: %s, want revoked", got)
	}
}
