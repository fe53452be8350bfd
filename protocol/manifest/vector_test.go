package manifest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

var update = flag.Bool("update", false, "rewrite testdata/vector-manifest.txt from the code (then check SPEC.md §9.11 by hand)")

// vectorEntries are the files of the manifest vector of SPEC.md §9.11:
// three parts of a table and hello.txt of §9.3.
func vectorEntries() []manifest.Entry {
	var out []manifest.Entry
	for i := range 3 {
		body := fmt.Sprintf("part %d\n", i)
		out = append(out, manifest.Entry{Path: fmt.Sprintf("data/part-%d.csv", i), Size: int64(len(body)), Digest: protocol.SumDigest([]byte(body))})
	}
	return append(out, manifest.Entry{Path: "hello.txt", Size: 6, Digest: protocol.SumDigest([]byte("hello\n"))})
}

// vectorText renders the vector: the entries, the boundary hashes, each
// chunk's bytes in hex with its ID (children before parents), the root.
func vectorText(t *testing.T) string {
	t.Helper()
	var order []manifest.ChunkID
	s := newChunks()
	b := manifest.NewBuilder(func(id manifest.ChunkID, raw []byte) error {
		order = append(order, id)
		return s.put(id, raw)
	})
	entries := vectorEntries()
	for _, e := range entries {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	w.WriteString("| path | size | sha256 | first 8 bytes of the boundary hash | leading zeros |\n|---|---|---|---|---|\n")
	for _, e := range entries {
		h := sha256.Sum256([]byte(manifest.BoundaryDomain + e.Key()))
		fmt.Fprintf(&w, "| `%s` | %d | `%s` | `%x` | %d |\n", e.Path, e.Size, e.Digest.Hex(), h[:8], leadingZeros(h[:8]))
	}
	for i, id := range order {
		raw := s.m[id]
		c, err := manifest.DecodeChunk(raw)
		if err != nil {
			t.Fatal(err)
		}
		items := "items"
		if c.Len() == 1 {
			items = "item"
		}
		fmt.Fprintf(&w, "\nChunk %d, level %d, %d %s, %d bytes, ID `%s`:\n\n```\n", i+1, c.Level, c.Len(), items, len(raw), id)
		x := hex.EncodeToString(raw)
		for len(x) > 64 {
			w.WriteString(x[:64] + "\n")
			x = x[64:]
		}
		w.WriteString(x + "\n```\n")
	}
	fmt.Fprintf(&w, "\nRoot: `%s`, count %d, bytes %d.\n", root.ID, root.Count, root.Bytes)
	return w.String()
}

func leadingZeros(b []byte) int {
	n := 0
	for _, c := range b {
		for bit := 7; bit >= 0; bit-- {
			if c>>bit&1 != 0 {
				return n
			}
			n++
		}
	}
	return n
}

// TestVectorManifest checks the manifest vector against testdata and
// against SPEC.md §9.11, byte for byte.
func TestVectorManifest(t *testing.T) {
	got := vectorText(t)
	file := filepath.Join("testdata", "vector-manifest.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("the code makes another vector than %s:\n%s", file, got)
	}
	spec, err := os.ReadFile(filepath.Join("..", "..", "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), got) {
		t.Errorf("SPEC.md §9.11 does not quote %s verbatim", file)
	}
}

// TestVectorManifestIndependent checks the vector against
// testdata/manifest.mjs, an implementation of SPEC.md §3.8 in Node.js
// written from the text, that builds the tree level by level.
func TestVectorManifestIndependent(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("COMMONS_SKIP_NODEJS") == "1" {
			t.Skip("COMMONS_SKIP_NODEJS=1: the manifest vector is not checked against testdata/manifest.mjs")
		}
		t.Fatal("node (Node.js) is not on PATH: the manifest vector cannot be checked against testdata/manifest.mjs; install Node.js or set COMMONS_SKIP_NODEJS=1")
	}
	out, err := exec.Command(node, filepath.Join("testdata", "manifest.mjs")).Output()
	if err != nil {
		t.Fatalf("node manifest.mjs: %v", err)
	}
	if got, want := string(out), vectorText(t); got != want {
		t.Errorf("manifest.mjs makes another vector:\n%s\nwant:\n%s", got, want)
	}
}
