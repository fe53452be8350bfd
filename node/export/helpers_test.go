package export_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/node/export"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// walkthrough is the lineage of the walkthrough: a parent corpus with two
// claims, a cleaned child of it, a model trained on the child whose
// derivation a steward endorsed, and claims at every level of trust.
type walkthrough struct {
	src                          export.Source
	parent, child, deriv, model  protocol.ID
	aliceOnParent, bobOnParent   protocol.ID
	carolOnChild, carolRevokes   protocol.ID
	aliceOnModel, endorsement    protocol.ID
	bobRotates                   protocol.ID
	pub, alice, bob, carol, bob2 *protocol.Key
	objects                      []*protocol.Object
	policy                       protocol.Policy
}

// texts are the texts others write into the walkthrough's records.
type texts struct {
	parentName, childName, description, note string
}

var plain = texts{"Parent corpus", "Cleaned corpus", "three files", "labelled the rows"}

// newWalkthrough stores the walkthrough in a new in-memory store.
func newWalkthrough(t *testing.T, tx texts) *walkthrough {
	t.Helper()
	w := &walkthrough{
		pub: storetest.Key(t, "publisher"), alice: storetest.Key(t, "alice"), bob: storetest.Key(t, "bob"),
		carol: storetest.Key(t, "carol"), bob2: storetest.Key(t, "bob2"),
	}
	steward := storetest.Key(t, "steward")
	parent := storetest.NewDatasetWith(t, w.pub, protocol.Dataset{Name: tx.parentName, Description: tx.description, License: "CC-BY-4.0"},
		storetest.FileOf("a.csv", "x,y\n1,2\n"), storetest.FileOf("b.txt", "bee"), storetest.FileOf("sub/c.json", `{"c":3}`))
	child := storetest.NewDatasetWith(t, w.pub, protocol.Dataset{Name: tx.childName, License: "CC-BY-SA-4.0", Parents: []protocol.ID{parent.ID}, Version: "1.0.0"},
		storetest.FileOf("a.csv", "x,y\n1,2\n"), storetest.FileOf("d.txt", "derived"))
	deriv := storetest.NewDerivationWith(t, w.pub, storetest.FileOf("model.bin", "weights"),
		protocol.Derivation{Activity: "trained-on", Inputs: []protocol.ID{child.ID}, Note: tx.note})
	aliceOnParent := storetest.Cosign(t, storetest.NewClaimWith(t, w.alice, parent.ID, protocol.Attribution{Role: "author", Weight: 0.5, Note: tx.note}), w.pub)
	bobOnParent := storetest.NewClaim(t, w.bob, parent.ID, w.bob.DID(), "curator", 0.2)
	carolOnChild := storetest.NewClaim(t, w.carol, child.ID, w.carol.DID(), "annotator", 1)
	carolRevokes := storetest.NewRevocation(t, w.carol, carolOnChild.ID, "wrong dataset")
	model := protocol.ArtifactID(deriv.Files[0].Digest)
	aliceOnModel := storetest.NewClaim(t, w.alice, model, w.alice.DID(), "fine-tuner", 0.3)
	endorsement := storetest.NewEndorsement(t, steward, deriv.ID, "reviewed")
	rotation := storetest.NewRotation(t, w.bob, w.bob2, "")
	objs := []*protocol.Object{parent, child, deriv, aliceOnParent, bobOnParent, carolOnChild, carolRevokes, aliceOnModel, endorsement, rotation}
	w.objects, w.policy = objs, protocol.Stewards{steward.DID(): true}
	w.src = w.stored(t, nil)
	w.parent, w.child, w.deriv, w.model = parent.ID, child.ID, deriv.ID, model
	w.aliceOnParent, w.bobOnParent, w.carolOnChild, w.carolRevokes = aliceOnParent.ID, bobOnParent.ID, carolOnChild.ID, carolRevokes.ID
	w.aliceOnModel, w.endorsement, w.bobRotates = aliceOnModel.ID, endorsement.ID, rotation.ID
	return w
}

// stored puts the walkthrough's objects in a new in-memory store in the
// order given (a permutation of their indices; nil for the natural one).
func (w *walkthrough) stored(t *testing.T, order []int) export.Source {
	t.Helper()
	if order == nil {
		for i := range w.objects {
			order = append(order, i)
		}
	}
	s := storetest.Open(t)
	for _, i := range order {
		storetest.MustPut(t, s, w.objects[i])
	}
	return export.Source{Store: s, Policy: w.policy}
}

func mustExport(t *testing.T, f func(export.Source, protocol.ID) ([]byte, error), src export.Source, id protocol.ID) []byte {
	t.Helper()
	b, err := f(src, id)
	if err != nil {
		t.Fatalf("export %s: %v", id, err)
	}
	return b
}

// svg is a document Graphviz rendered: its nodes, edges and the lines of
// text it shows.
type svg struct {
	nodes, edges int
	texts        []string
}

// renderDOT renders doc with the real Graphviz (dot -Tsvg) and reads the
// picture back. It skips the test when Graphviz is not installed.
func renderDOT(t *testing.T, doc []byte) svg {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz): the DOT export is not rendered")
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = bytes.NewReader(doc)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dot -Tsvg: %v: %s\n%s", err, stderr.String(), doc)
	}
	if stderr.Len() > 0 {
		t.Errorf("dot -Tsvg warned: %s", stderr.String())
	}
	var pic svg
	dec := xml.NewDecoder(&out)
	dec.Strict = false
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read the SVG dot wrote: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			for _, a := range tok.Attr {
				if tok.Name.Local == "g" && a.Name.Local == "class" {
					switch a.Value {
					case "node":
						pic.nodes++
					case "edge":
						pic.edges++
					}
				}
			}
			if tok.Name.Local == "text" {
				inText = true
				pic.texts = append(pic.texts, "")
			}
		case xml.EndElement:
			if tok.Name.Local == "text" {
				inText = false
			}
		case xml.CharData:
			if inText {
				pic.texts[len(pic.texts)-1] += string(tok)
			}
		}
	}
	return pic
}

// provPython is a python3 that imports the prov package, or the test
// skips.
func provPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import prov").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 imports prov (apt-get install python3-prov): the PROV-JSON export is not read by the reference reader")
	return ""
}

// readPROV has the prov package read doc as PROV-JSON and returns what it
// read: the number of records of each type, and the label of each
// element by identifier.
func readPROV(t *testing.T, doc []byte) provSummary {
	t.Helper()
	py := provPython(t)
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys, prov
from collections import Counter
doc = prov.read(sys.argv[1], format='json')
counts = Counter(r.get_type().localpart for r in doc.get_records())
labels = {}
for r in doc.get_records():
    if r.is_element():
        for l in r.get_attribute('prov:label'):
            labels[str(r.identifier)] = str(l)
json.dump({"counts": counts, "labels": labels, "provn": doc.get_provn()}, sys.stdout)
`
	cmd := exec.Command(py, "-c", script, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("prov.read: %v: %s\n%s", err, stderr.String(), doc)
	}
	var sum provSummary
	if err := jsonUnmarshal(out, &sum); err != nil {
		t.Fatalf("read prov's summary: %v: %s", err, out)
	}
	return sum
}

type provSummary struct {
	Counts map[string]int    `json:"counts"`
	Labels map[string]string `json:"labels"`
	PROVN  string            `json:"provn"`
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
