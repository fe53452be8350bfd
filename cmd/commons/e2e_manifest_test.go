package main

// End-to-end tests of datasets too large for a record that lists their
// files: dataset add sends a manifest, dataset show pages through it, a
// new version says what changed, and a node that never saw the dataset
// locates one of its files and reads a page.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

type datasetDiffJSON struct {
	datasetAddedJSON
	Diff *struct {
		From    string `json:"from"`
		Added   int64  `json:"added"`
		Removed int64  `json:"removed"`
		Changed int64  `json:"changed"`
		Changes []struct {
			Change string    `json:"change"`
			Old    *fileJSON `json:"old"`
			New    *fileJSON `json:"new"`
		} `json:"changes"`
		More bool `json:"more"`
	} `json:"diff"`
}

// bigTree is a tree of n small files, each with its own content.
func bigTree(n int, tag string) map[string]string {
	files := make(map[string]string, n)
	for i := range n {
		files[fmt.Sprintf("part%d/file%05d.txt", i%7, i)] = fmt.Sprintf("%s %d", tag, i)
	}
	return files
}

func TestManifestEndToEnd(t *testing.T) {
	n := startTwoNodes(t)
	files := bigTree(1500, "v1")
	dir := testnet.WriteTree(t, files)

	var added datasetAddedJSON
	testnet.RunJSON(t, &added, "dataset", "add", dir, "--name", "Archive", "--license", "CC0-1.0", "--repo", n.repoA, "--json")
	if added.Files != 1500 {
		t.Fatalf("dataset add: %d files, want 1500", added.Files)
	}

	// The record names a manifest; the files come a page at a time, in
	// order, and every one of them once.
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		var d datasetJSON
		args := []string{"dataset", "show", added.ID, "--limit", "600", "--repo", n.repoA, "--json"}
		if after != "" {
			args = append(args, "--after", after)
		}
		testnet.RunJSON(t, &d, args...)
		if d.Manifest == nil || d.Manifest.Count != 1500 || d.FileCount == nil || *d.FileCount != 1500 {
			t.Fatalf("dataset show: manifest %+v, file_count %v", d.Manifest, d.FileCount)
		}
		for _, f := range d.Files {
			if f.SHA256 != sha256Hex(files[f.Name]) {
				t.Fatalf("file %q: sha256 %s, want that of its content", f.Name, f.SHA256)
			}
			got = append(got, f.Name)
		}
		if d.Next == "" {
			break
		}
		if pages > 3 {
			t.Fatal("dataset show pages past the end")
		}
		after = d.Next
	}
	if want := slices.Sorted(maps.Keys(files)); !slices.Equal(got, want) {
		t.Fatalf("the pages list %d files, want the %d of the tree in path order", len(got), len(want))
	}
	r := testnet.Run(t, nil, "dataset", "show", added.ID, "--limit", "2", "--repo", n.repoA)
	if r.Code != 0 || !strings.Contains(r.Stdout, "1500, ") || !strings.Contains(r.Stdout, "--after") || !strings.Contains(r.Stdout, "manifest:") {
		t.Errorf("dataset show --limit 2, text:\n%s", r)
	}

	// A second version: two files changed, one removed, one added.
	v2 := maps.Clone(files)
	v2["part3/file00003.txt"] = "changed"
	v2["part0/file01400.txt"] = "changed too"
	delete(v2, "part1/file00001.txt")
	v2["zz/new.txt"] = "new"
	var next datasetDiffJSON
	testnet.RunJSON(t, &next, "dataset", "add", testnet.WriteTree(t, v2), "--name", "Archive", "--version", "2",
		"--license", "CC0-1.0", "--parent", added.ID, "--repo", n.repoA, "--json")
	if d := next.Diff; d == nil || d.From != added.ID || d.Added != 1 || d.Removed != 1 || d.Changed != 2 || len(d.Changes) != 4 {
		t.Fatalf("dataset add --parent: diff %+v", next.Diff)
	}
	r = testnet.Run(t, nil, "dataset", "add", testnet.WriteTree(t, v2), "--name", "Archive", "--version", "3",
		"--license", "CC0-1.0", "--parent", next.ID, "--repo", n.repoA)
	if r.Code != 0 || !strings.Contains(r.Stdout, "0 added, 0 removed, 0 changed") {
		t.Errorf("dataset add --parent of the same tree, text:\n%s", r)
	}
	var third datasetJSON
	testnet.RunJSON(t, &third, "dataset", "show", strings.Fields(strings.SplitN(r.Stdout, "\n", 2)[0])[1], "--limit", "1", "--repo", n.repoA, "--json")
	versions := []string{added.ID, next.ID, third.ID}

	// Node B has never seen the dataset. Connected to A, it finds where a
	// file is by its content alone, and reads a page of the dataset.
	var p peerJSON
	testnet.RunJSON(t, &p, "swarm", "connect", n.a.Addrs[0], "--repo", n.repoB, "--json")
	want := "part4/file00123.txt"
	var loc locateJSON
	deadline := time.Now().Add(30 * time.Second)
	for {
		testnet.RunJSON(t, &loc, "locate", "sha256:"+sha256Hex(files[want]), "--timeout", "5s", "--repo", n.repoB, "--json")
		if len(loc.Datasets) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(loc.Datasets) == 0 {
		t.Fatalf("locate on a node that never saw the dataset found nothing")
	}
	for _, e := range loc.Datasets {
		if e.Path != want || !slices.Contains(versions, e.ID) {
			t.Errorf("locate: %+v, want %s in one of %v", e, want, versions)
		}
	}
	var d datasetJSON
	testnet.RunJSON(t, &d, "dataset", "show", added.ID, "--after", "part6", "--limit", "3", "--repo", n.repoB, "--json")
	if len(d.Files) != 3 || d.FileCount == nil || *d.FileCount != 1500 || !strings.HasPrefix(d.Files[0].Name, "part6/") {
		t.Errorf("dataset show on B: %+v", d)
	}
}

// TestManifestSmallTree: --manifest names a manifest even for a tree of a
// few files, and a tree without it keeps listing its files.
func TestManifestSmallTree(t *testing.T) {
	repo := t.TempDir() + "/r"
	testnet.Run(t, nil, "init", "--repo", repo)
	testnet.Start(t, repo)
	dir := testnet.WriteTree(t, map[string]string{"a.txt": "a", "b/c.txt": "c"})
	for _, tt := range []struct {
		flags    []string
		manifest bool
	}{{nil, false}, {[]string{"--manifest"}, true}} {
		var added datasetAddedJSON
		testnet.RunJSON(t, &added, append([]string{"dataset", "add", dir, "--name", "small", "--license", "CC0-1.0", "--repo", repo, "--json"}, tt.flags...)...)
		var d datasetJSON
		testnet.RunJSON(t, &d, "dataset", "show", added.ID, "--repo", repo, "--json")
		if (d.Manifest != nil) != tt.manifest || len(d.Files) != 2 || d.Files[0].Name != "a.txt" || d.FileCount == nil || *d.FileCount != 2 {
			t.Errorf("dataset add %v: %+v", tt.flags, d)
		}
	}
}
