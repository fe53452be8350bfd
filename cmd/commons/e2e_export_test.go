package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	attestation "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestExportEndToEnd exports the walkthrough's lineage through the real
// binary in every format and hands each document to the tool it is for:
// Graphviz renders the DOT, the prov package reads the PROV-JSON, each
// line of the in-toto bundle is verified by go-securesystemslib's DSSE
// verifier and read as an in-toto Statement, and the Croissant document
// names every file with its sha256.
func TestExportEndToEnd(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	parentDir := testnet.WriteTree(t, map[string]string{"a.csv": "x,y\n1,2\n", "b.txt": "bee"})
	var parent, child, claim, derived publishedJSON
	testnet.RunJSON(t, &parent, r("dataset", "add", parentDir, "--name", "Welsh broadcast corpus", "--license", "CC-BY-4.0")...)
	childDir := testnet.WriteTree(t, map[string]string{"a.csv": "x,y\n1,2\n", "clean.txt": "clean"})
	hostileName := `Welsh corpus, "cleaned" \N -> x; \`
	testnet.RunJSON(t, &child, r("dataset", "add", childDir, "--name", hostileName, "--license", "CC-BY-SA-4.0", "--parent", parent.ID)...)
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", parent.ID, "--role", "annotator", "--weight", "0.3", "--as", "alice", "--note", "\"]; y -> z; \\")...)
	testnet.RunJSON(t, &claim, r("claim", "cosign", claim.ID)...)
	model := testnet.WriteTree(t, map[string]string{"model.bin": "weights"})
	testnet.RunJSON(t, &derived, r("derive", "--file", filepath.Join(model, "model.bin"), "--input", child.ID, "--activity", "trained-on")...)
	var endorsed publishedJSON
	testnet.RunJSON(t, &endorsed, r("endorse", derived.ID, "--standard", "reviewed")...)
	modelID := protocol.ArtifactID(protocol.SumDigest([]byte("weights"))).String()

	out := t.TempDir()
	export := func(id, format string) []byte {
		t.Helper()
		path := filepath.Join(out, format+"-"+id)
		res := testnet.Run(t, nil, "export", id, "--format", format, "--out", path, "--repo", repo)
		if res.Code != 0 || res.Stdout != "" {
			t.Fatalf("commons export %s --format %s:\n%s", id, format, res)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if stdout := testnet.Run(t, nil, "export", id, "--format", format, "--repo", repo, "--json"); stdout.Stdout != string(b) {
			t.Errorf("export %s to stdout differs from --out", format)
		}
		return b
	}

	t.Run("dot", func(t *testing.T) {
		doc := export(modelID, "dot")
		dot, err := exec.LookPath("dot")
		if err != nil {
			t.Skip("Graphviz's dot is not installed (apt-get install graphviz)")
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = bytes.NewReader(doc)
		svg, err := cmd.Output()
		if err != nil {
			t.Fatalf("dot -Tsvg: %v\n%s", err, doc)
		}
		// The model, its derivation, the two datasets, and two keys.
		if n := bytes.Count(svg, []byte(`class="node"`)); n != 6 {
			t.Errorf("dot drew %d nodes, want 6:\n%s", n, doc)
		}
		if !bytes.Contains(svg, []byte("annotator 0.3")) || !bytes.Contains(svg, []byte("mutual")) {
			t.Errorf("the claim's edge does not show its role, weight and trust:\n%s", svg)
		}
	})

	t.Run("prov", func(t *testing.T) {
		doc := export(child.ID, "prov")
		py := ""
		for _, p := range []string{"python3", "/usr/bin/python3"} {
			if exec.Command(p, "-c", "import prov").Run() == nil {
				py = p
				break
			}
		}
		if py == "" {
			t.Skip("no python3 imports prov (apt-get install python3-prov)")
		}
		path := filepath.Join(t.TempDir(), "prov.json")
		os.WriteFile(path, doc, 0o644)
		script := `import sys, prov; d = prov.read(sys.argv[1], format='json'); print(sorted(str(l) for r in d.get_records() if r.is_element() for l in r.get_attribute('prov:label')))`
		got, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("prov.read: %v\n%s", err, got)
		}
		if !strings.Contains(string(got), "Welsh broadcast corpus") || !strings.Contains(string(got), "cleaned") {
			t.Errorf("prov read the labels %s", got)
		}
	})

	t.Run("croissant", func(t *testing.T) {
		var doc struct {
			Type         string `json:"@type"`
			ConformsTo   string `json:"conformsTo"`
			Name         string `json:"name"`
			License      string `json:"license"`
			Distribution []struct {
				Name   string `json:"name"`
				SHA256 string `json:"sha256"`
				From   []struct {
					ID string `json:"@id"`
				} `json:"prov:wasDerivedFrom"`
			} `json:"distribution"`
		}
		if err := json.Unmarshal(export(child.ID, "croissant"), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Type != "sc:Dataset" || doc.ConformsTo != "http://mlcommons.org/croissant/1.0" || doc.Name != hostileName || len(doc.Distribution) != 2 {
			t.Fatalf("croissant: %+v", doc)
		}
		a := doc.Distribution[0]
		if a.Name != "a.csv" || a.SHA256 != sha256Hex("x,y\n1,2\n") || len(a.From) != 1 || !strings.HasSuffix(a.From[0].ID, parent.ID) {
			t.Errorf("a.csv: %+v, want its sha256 and the parent it came from", a)
		}
	})

	t.Run("intoto", func(t *testing.T) {
		doc := export(modelID, "intoto")
		lines := strings.Split(strings.TrimSuffix(string(doc), "\n"), "\n")
		want := map[string]bool{parent.ID: true, child.ID: true, claim.ID: true, derived.ID: true, endorsed.ID: true}
		for i, line := range lines {
			id, err := verifyStatement([]byte(line))
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if !want[id] {
				t.Errorf("line %d is %s, not one of the objects behind the answer", i+1, id)
			}
			delete(want, id)
			if stored := testnet.Run(t, nil, "object", "get", id, "--repo", repo); stored.Stdout != line {
				t.Errorf("line %d is not the envelope object get gives", i+1)
			}
		}
		if len(want) > 0 {
			t.Errorf("the bundle lacks %v", want)
		}
	})

	// What is refused, and why.
	bad := testnet.Run(t, nil, "export", child.ID, "--format", "svg", "--repo", repo)
	if bad.Code != 2 || !strings.Contains(bad.Stderr, "prov, croissant, dot, intoto") {
		t.Errorf("export --format svg:\n%s", bad)
	}
	testnet.RunFails(t, nil, []string{"croissant describes a dataset", "an artifact"}, "export", modelID, "--format", "croissant", "--repo", repo)
	if res := testnet.Run(t, nil, "export", child.ID, "--repo", repo); res.Code != 2 || !strings.Contains(res.Stderr, "--format") {
		t.Errorf("export without --format:\n%s", res)
	}
	missing := filepath.Join(t.TempDir(), "no-such-dir", "lineage.dot")
	testnet.RunFails(t, nil, []string{"no-such-dir"}, "export", child.ID, "--format", "dot", "--out", missing, "--repo", repo)
}

// didKeyVerifier verifies Ed25519 signatures by the did:key that names it.
type didKeyVerifier struct{ did protocol.DID }

func (v didKeyVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(v.did.PublicKey(), data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}
func (v didKeyVerifier) KeyID() (string, error)   { return v.did.String(), nil }
func (v didKeyVerifier) Public() crypto.PublicKey { return v.did.PublicKey() }

// verifyStatement verifies every signature of one line of an in-toto
// bundle with go-securesystemslib's DSSE verifier, reads its payload as an
// in-toto Statement v1, and returns the object's ID.
func verifyStatement(line []byte) (string, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return "", err
	}
	var vs []dsse.Verifier
	for _, s := range env.Signatures {
		d, err := protocol.ParseDID(s.KeyID)
		if err != nil {
			return "", err
		}
		vs = append(vs, didKeyVerifier{d})
	}
	ev, err := dsse.NewMultiEnvelopeVerifier(len(vs), vs...)
	if err != nil {
		return "", err
	}
	if _, err := ev.Verify(context.Background(), &env); err != nil {
		return "", err
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return "", err
	}
	var st attestation.Statement
	if err := protojson.Unmarshal(payload, &st); err != nil {
		return "", err
	}
	if err := st.Validate(); err != nil {
		return "", err
	}
	return protocol.ObjectID(payload).String(), nil
}
