package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/node/export"
)

// hostile are texts a publisher or a contributor may write in a record —
// every one valid Text or Prose (SPEC.md §3.2) — made to end a DOT or JSON
// string early, add nodes and edges, or be read as a Graphviz escape
// (\N is the node's name, \G the graph's, a final backslash escapes the
// closing quote).
var hostile = texts{
	parentName:  `evil" ]; injected [label="pwned"]; "x" -> "y"; subgraph { \N \G <b>bold</b> &lt;i&gt; &#92; R&D } // \`,
	childName:   `\"]; z [label=\"`,
	description: "line one\n}\ndigraph injected {\n\"a\" -> \"b\"\n\"},\"entity\":{\"obj:x\":{}}, \"x\": \"\\",
	note:        "\"];\nx -> y [label=\"forged\"];\n\\",
}

// A hostile dataset name, description or note stays text in every
// format: Graphviz draws the same graph as for plain names and shows each
// name as written; the prov package reads the same records with the name
// as the label; the Croissant document has the same files and the name as
// its name; the in-toto bundle the same envelopes, each verified.
func TestExportHostileTextAttack(t *testing.T) {
	plainW, evil := newWalkthrough(t, plain), newWalkthrough(t, hostile)

	t.Run("dot", func(t *testing.T) {
		want := renderDOT(t, mustExport(t, export.DOT, plainW.src, plainW.model))
		doc := mustExport(t, export.DOT, evil.src, evil.model)
		got := renderDOT(t, doc)
		if got.nodes != want.nodes || got.edges != want.edges {
			t.Errorf("hostile names drew %d nodes and %d edges, plain ones %d and %d:\n%s", got.nodes, got.edges, want.nodes, want.edges, doc)
		}
		for _, name := range []string{hostile.parentName, hostile.childName} {
			if !slices.Contains(got.texts, name) {
				t.Errorf("the picture does not show %q as written: %q", name, got.texts)
			}
		}
	})

	t.Run("prov", func(t *testing.T) {
		want := readPROV(t, mustExport(t, export.PROV, plainW.src, plainW.model))
		doc := mustExport(t, export.PROV, evil.src, evil.model)
		got := readPROV(t, doc)
		if fmt.Sprint(got.Counts) != fmt.Sprint(want.Counts) {
			t.Errorf("prov read %v from hostile names, %v from plain ones", got.Counts, want.Counts)
		}
		if l := got.Labels["obj:"+evil.parent.String()]; l != hostile.parentName {
			t.Errorf("the parent's label = %q, want %q", l, hostile.parentName)
		}
		if l := got.Labels["obj:"+evil.child.String()]; l != hostile.childName {
			t.Errorf("the child's label = %q, want %q", l, hostile.childName)
		}
	})

	t.Run("croissant", func(t *testing.T) {
		doc := decodeCroissant(t, mustExport(t, export.Croissant, evil.src, evil.parent))
		if doc["name"] != hostile.parentName || doc["description"] != hostile.description {
			t.Errorf("name %q, description %q", doc["name"], doc["description"])
		}
		if n := len(fileObjects(t, doc)); n != 3 {
			t.Errorf("%d FileObjects, want 3", n)
		}
		var keys []string
		for k := range doc {
			keys = append(keys, k)
		}
		plainDoc := decodeCroissant(t, mustExport(t, export.Croissant, plainW.src, plainW.parent))
		var want []string
		for k := range plainDoc {
			want = append(want, k)
		}
		slices.Sort(keys)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("members %q, with plain names %q", keys, want)
		}
	})

	t.Run("intoto", func(t *testing.T) {
		doc := mustExport(t, export.InToto, evil.src, evil.model)
		lines := bytes.Split(bytes.TrimSuffix(doc, []byte("\n")), []byte("\n"))
		if len(lines) != 10 {
			t.Errorf("%d lines, want 10", len(lines))
		}
		for i, line := range lines {
			if !json.Valid(line) {
				t.Fatalf("line %d is not one JSON value", i+1)
			}
			if _, err := verifyInToto(line); err != nil {
				t.Errorf("line %d: %v", i+1, err)
			}
		}
	})
}
