package main

// End-to-end tests of what a new user meets first: the text forms, the
// exit codes and the messages of the real binary.

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAttributionTextColumns: the lineage and each ancestor's contributors
// are separate tables, so a role's column is as wide as the roles in it,
// not as an ancestor's ID.
func TestAttributionTextColumns(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	startDaemon(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	var parent, child, claim publishedJSON
	ok(t, &parent, r("dataset", "add", writeTree(t, map[string]string{"a.txt": "a"}), "--name", "parent", "--license", "CC0-1.0")...)
	ok(t, &claim, r("claim", "add", "--subject", parent.ID, "--role", "annotator", "--weight", "0.5")...)
	ok(t, &child, r("dataset", "add", writeTree(t, map[string]string{"b.txt": "b"}), "--name", "child", "--license", "CC0-1.0", "--parent", parent.ID)...)

	res := commons(t, nil, "attribution", child.ID, "--repo", repo)
	if res.code != 0 {
		t.Fatal(res)
	}
	var header string
	for _, line := range strings.Split(res.stdout, "\n") {
		if strings.Contains(line, "CONTRIBUTOR") && strings.HasPrefix(line, "  ") {
			header = line
		}
	}
	if header == "" {
		t.Fatalf("no contributor table in the lineage:\n%s", res.stdout)
	}
	// ROLE is as wide as "annotator", plus the table's padding of 2.
	if got, want := strings.Index(header, "WEIGHT")-strings.Index(header, "ROLE"), len("annotator")+2; got != want {
		t.Errorf("the lineage's ROLE column is %d wide, want %d:\n%s", got, want, res.stdout)
	}
	if !strings.Contains(res.stdout, claim.ID) || !strings.Contains(res.stdout, "contributors of parent ("+parent.ID+"):") {
		t.Errorf("the lineage does not name the parent's contributors:\n%s", res.stdout)
	}
}
