package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestBundleOffline: a daemon writes the proof bundle of a model trained
// on the walkthrough's datasets; with the daemon stopped and no repo,
// `commons verify` prints the very attribution, credit and licences that
// `commons attribution`, `commons credit` and `commons license` printed,
// and refuses the bundle once a piece is tampered with, or a
// file too large to be a bundle.
func TestBundleOffline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, dir)
	r := func(args ...string) []string { return append(args, "--repo", dir, "--json") }

	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	var parent, child, claim, endorsed, derived publishedJSON
	testnet.RunJSON(t, &parent, r("dataset", "add", testnet.WriteTree(t, map[string]string{"a.csv": "x,y\n1,2\n", "b.txt": "bee"}),
		"--name", "Parent corpus", "--license", "CC-BY-4.0")...)
	testnet.RunJSON(t, &child, r("dataset", "add", testnet.WriteTree(t, map[string]string{"clean.csv": "x,y\n"}),
		"--name", "Cleaned corpus", "--license", "CC-BY-4.0", "--parent", parent.ID)...)
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", parent.ID, "--role", "annotator", "--weight", "0.5", "--as", "alice")...)
	testnet.RunJSON(t, &publishedJSON{}, r("claim", "cosign", claim.ID)...)
	testnet.RunJSON(t, &endorsed, r("endorse", claim.ID, "--standard", "pii-scrubbed")...)
	model := testnet.WriteTree(t, map[string]string{"model.bin": "weights"})
	testnet.RunJSON(t, &derived, r("derive", "--file", filepath.Join(model, "model.bin"), "--input", child.ID, "--activity", "trained-on")...)
	testnet.RunJSON(t, &publishedJSON{}, r("endorse", derived.ID, "--standard", "reviewed")...)
	testnet.RunJSON(t, &publishedJSON{}, r("gov", "propose", "dataset-status", parent.ID, "flagged", "--reason", "disputed licence")...)
	artifact := protocol.ArtifactID(protocol.SumDigest([]byte("weights"))).String()

	attribution := testnet.Run(t, nil, r("attribution", artifact, "--local")...)
	if attribution.Code != 0 {
		t.Fatalf("attribution: %s", attribution)
	}
	credit := testnet.Run(t, nil, r("credit", artifact, "--local")...)
	license := testnet.Run(t, nil, r("license", artifact, "--local")...)
	if credit.Code != 0 || license.Code != 0 {
		t.Fatalf("credit: %s\nlicense: %s", credit, license)
	}
	out := filepath.Join(t.TempDir(), "model.bundle.json")
	var wrote struct {
		Subject string `json:"subject"`
		File    string `json:"file"`
		Bytes   int    `json:"bytes"`
	}
	testnet.RunJSON(t, &wrote, r("bundle", artifact, "--out", out, "--local")...)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if wrote.Subject != artifact || wrote.File != out || wrote.Bytes != len(raw) {
		t.Errorf("bundle --out: %+v, file of %d bytes", wrote, len(raw))
	}
	if stdout := testnet.Run(t, nil, "bundle", artifact, "--local", "--repo", dir); stdout.Code != 0 || stdout.Stdout != string(raw) {
		t.Errorf("bundle to stdout differs from the file written: %s", stdout)
	}
	unknown := protocol.ObjectID([]byte("nothing anyone published")).String()
	testnet.RunFails(t, nil, []string{unknown}, "bundle", unknown, "--local", "--repo", dir)
	d.Stop(t)

	// No daemon, and a repo that does not exist: verify needs neither.
	offline := []string{repo.EnvPath + "=" + filepath.Join(t.TempDir(), "no repo")}
	res := testnet.RunEnv(t, offline, nil, "verify", out, "--json")
	var verified struct {
		Subject     string          `json:"subject"`
		Network     string          `json:"network"`
		Attribution json.RawMessage `json:"attribution"`
		Credit      json.RawMessage `json:"credit"`
		License     json.RawMessage `json:"license"`
	}
	res.Decode(t, &verified)
	if !sameJSON(t, verified.Credit, []byte(credit.Stdout)) {
		t.Errorf("verify prints the credit\n%s\nthe daemon printed\n%s", verified.Credit, credit.Stdout)
	}
	if !sameJSON(t, verified.License, []byte(license.Stdout)) {
		t.Errorf("verify prints the licences\n%s\nthe daemon printed\n%s", verified.License, license.Stdout)
	}
	if verified.Subject != artifact || verified.Network == "" {
		t.Errorf("verify: %s", res.Stdout)
	}
	if !sameJSON(t, verified.Attribution, []byte(attribution.Stdout)) {
		t.Errorf("verify prints the attribution\n%s\nthe daemon printed\n%s", verified.Attribution, attribution.Stdout)
	}
	if !strings.Contains(string(verified.Attribution), `"flagged"`) || !strings.Contains(string(verified.Attribution), `"certified"`) {
		t.Errorf("the verified attribution lacks the parent's standing or the certified claim: %s", verified.Attribution)
	}
	text := testnet.RunEnv(t, offline, nil, "verify", out)
	if text.Code != 0 || !strings.Contains(text.Stdout, "verified") || !strings.Contains(text.Stdout, "publisher:") || !strings.Contains(text.Stdout, claim.ID) {
		t.Errorf("verify, text: %s", text)
	}

	// The claim's co-signature by the publisher, altered.
	b, err := bundle.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range b.Objects {
		if p.ID.String() == claim.ID {
			var env struct {
				PayloadType string `json:"payloadType"`
				Payload     string `json:"payload"`
				Signatures  []struct {
					KeyID string `json:"keyid"`
					Sig   []byte `json:"sig"`
				} `json:"signatures"`
			}
			if err := json.Unmarshal(p.Envelope, &env); err != nil {
				t.Fatal(err)
			}
			env.Signatures[len(env.Signatures)-1].Sig[0] ^= 1
			if b.Objects[i].Envelope, err = json.Marshal(env); err != nil {
				t.Fatal(err)
			}
		}
	}
	bad, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	if err := os.WriteFile(tampered, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	testnet.RunEnv(t, offline, nil, "verify", tampered).WantFailure(t, "object "+claim.ID)

	// A file over the limit is refused before it is read.
	huge := filepath.Join(t.TempDir(), "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(bundle.MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	testnet.RunEnv(t, offline, nil, "verify", huge).WantFailure(t, "over the limit")
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}
