package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestLicenseAndNotice walks the licences of the walkthrough's corpus
// through the real binary: a share-alike corpus, a cleaned copy under a
// licence that breaks its terms, one that keeps them, a model trained on
// it, and the notice each must carry.
func TestLicenseAndNotice(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	var corpus publishedJSON
	testnet.RunJSON(t, &corpus, r("dataset", "add", testnet.WriteTree(t, map[string]string{"part-0001.csv": "text\nbore da\n"}),
		"--name", "Welsh broadcast corpus", "--license", "CC-BY-SA-4.0")...)
	var claim, cosigned publishedJSON
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", corpus.ID, "--role", "transcriber", "--weight", "0.5", "--as", "alice")...)
	testnet.RunJSON(t, &cosigned, r("claim", "cosign", claim.ID)...)

	// A licence that is not an SPDX expression is refused before any file
	// is read: the path does not even exist.
	res := testnet.Run(t, nil, "dataset", "add", filepath.Join(t.TempDir(), "absent"), "--name", "x", "--license", "CC BY 4.0", "--repo", repo)
	if res.Code != 2 || !strings.Contains(res.Stderr, `--license "CC BY 4.0"`) || !strings.Contains(res.Stderr, "LicenseRef-CC-BY-4.0") || strings.Contains(res.Stderr, "absent") {
		t.Fatalf("dataset add --license \"CC BY 4.0\": want exit 2 naming the licence and suggesting LicenseRef-CC-BY-4.0 before reading the path\n%s", res)
	}
	var list []struct{ ID string }
	testnet.RunJSON(t, &list, r("dataset", "list")...)
	if len(list) != 1 {
		t.Fatalf("dataset list: %d datasets, want the corpus alone", len(list))
	}

	// A cleaned copy under CC-BY-4.0 breaks the share-alike term; its name
	// is hostile Markdown.
	hostile := "Welsh corpus [cleaned](https://evil.example) <img src=x>"
	var bad publishedJSON
	testnet.RunJSON(t, &bad, r("dataset", "add", testnet.WriteTree(t, map[string]string{"clean.csv": "bore da\n"}),
		"--name", hostile, "--license", "CC-BY-4.0", "--parent", corpus.ID)...)
	var rep api.LicenseReport
	testnet.RunJSON(t, &rep, r("license", bad.ID)...)
	if rep.Compatible || len(rep.Upstream) != 1 || rep.Upstream[0].ID.String() != corpus.ID || rep.Upstream[0].License != "CC-BY-SA-4.0" ||
		len(rep.Conflicts) != 1 || !strings.Contains(rep.Conflicts[0].Reason, "share-alike") {
		t.Fatalf("license of a CC-BY-4.0 copy of a CC-BY-SA-4.0 corpus: %+v", rep)
	}
	text := testnet.Run(t, nil, "license", bad.ID, "--repo", repo)
	if text.Code != 0 || !strings.Contains(text.Stdout, "compatible:  false") || !strings.Contains(text.Stdout, "CC-BY-SA-4.0 is share-alike") {
		t.Errorf("license, text:\n%s", text)
	}

	// Under CC-BY-SA-4.0 it keeps them, and owes attribution and
	// share-alike.
	var good publishedJSON
	testnet.RunJSON(t, &good, r("dataset", "add", testnet.WriteTree(t, map[string]string{"clean.csv": "bore da!\n"}),
		"--name", "Welsh corpus, cleaned", "--license", "CC-BY-SA-4.0", "--parent", corpus.ID)...)
	testnet.RunJSON(t, &rep, r("license", good.ID)...)
	var kinds []string
	for _, o := range rep.Obligations {
		kinds = append(kinds, o.Kind)
	}
	if !rep.Compatible || len(rep.Conflicts) != 0 || strings.Join(kinds, ",") != "attribution,share-alike" {
		t.Errorf("license of a CC-BY-SA-4.0 copy: %+v", rep)
	}

	// A model trained on it states no licence: the share-alike term
	// cannot be shown kept, two levels up.
	var derived publishedJSON
	testnet.RunJSON(t, &derived, r("derive", "--digest", "sha256:"+sha256Hex("weights"), "--input", good.ID, "--activity", "trained-on")...)
	model := protocol.ArtifactID(protocol.SumDigest([]byte("weights"))).String()
	testnet.RunJSON(t, &rep, r("license", model)...)
	if rep.Compatible || rep.License != "" || len(rep.Upstream) != 2 || rep.Upstream[1].ID.String() != corpus.ID || rep.Upstream[1].Depth != 2 {
		t.Errorf("license of the model: %+v", rep)
	}

	// The notice lists the corpus with alice, at mutual; not at certified.
	notice := testnet.Run(t, nil, "notice", model, "--repo", repo)
	if notice.Code != 0 {
		t.Fatalf("notice: %s", notice)
	}
	for _, want := range []string{"# Attribution notice", "### Welsh broadcast corpus", "### Welsh corpus\\, cleaned",
		"- Licence: CC\\-BY\\-SA\\-4\\.0 (attribution, share-alike)", "`" + alice.DID + "`, transcriber (mutual)"} {
		if !strings.Contains(notice.Stdout, want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Stdout)
		}
	}
	notice = testnet.Run(t, nil, "notice", model, "--min-trust", "certified", "--repo", repo)
	if notice.Code != 0 || strings.Contains(notice.Stdout, alice.DID) || !strings.Contains(notice.Stdout, "none at certified or above") {
		t.Errorf("notice --min-trust certified:\n%s", notice)
	}
	if res := testnet.Run(t, nil, "notice", model, "--min-trust", "revoked", "--repo", repo); res.Code != 2 {
		t.Errorf("notice --min-trust revoked: want exit 2\n%s", res)
	}

	// The hostile name shows as text: no link, no HTML.
	notice = testnet.Run(t, nil, "notice", bad.ID, "--repo", repo)
	if regexp.MustCompile(`[^\\](\[cleaned\]\(|<img)`).MatchString(notice.Stdout) ||
		!strings.Contains(notice.Stdout, `Welsh corpus \[cleaned\]\(https\:\/\/evil\.example\) \<img src\=x\>`) {
		t.Errorf("notice of the hostile name:\n%s", notice.Stdout)
	}

	// Nothing known: not found.
	testnet.RunFails(t, nil, []string{"not stored here"}, "license", protocol.ObjectID([]byte(`{"nothing":1}`)).String(), "--local", "--repo", repo)
}
