package export_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/commons-p2p/commons/node/export"
)

// provSchema is the JSON Schema of PROV-JSON in testdata, compiled. It is
// written from the W3C PROV-JSON submission and PROV-DM (its description
// says how); TestPROVSchemaAgreesWithReferenceCorpus holds it to the
// reference implementation's own examples, so that it is neither looser
// nor stricter than PROV-JSON.
func provSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "prov-json.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://commons.invalid/schema/prov-json.schema.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile the PROV-JSON schema: %v", err)
	}
	return s
}

// validate checks a JSON document against s.
func validate(s *jsonschema.Schema, doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// The PROV-JSON export of the walkthrough, with plain and with hostile
// names, is valid against the PROV-JSON schema, from the model (the whole
// lineage) and from the parent.
func TestPROVMatchesSchema(t *testing.T) {
	s := provSchema(t)
	for name, tx := range map[string]texts{"plain": plain, "hostile": hostile} {
		w := newWalkthrough(t, tx)
		for _, id := range []struct {
			what string
			doc  []byte
		}{
			{"model", mustExport(t, export.PROV, w.src, w.model)},
			{"parent", mustExport(t, export.PROV, w.src, w.parent)},
		} {
			if err := validate(s, id.doc); err != nil {
				t.Errorf("%s names, the %s's export: %v\n%s", name, id.what, err, id.doc)
			}
		}
	}
}

// The schema is a check that can fail: the export with a derivation that
// lost its used entity, with a member PROV-JSON does not have, with a
// start time that is no xsd:dateTime, or with an attribution naming no
// agent, is refused, and each refusal says where.
func TestPROVSchemaRefusesBrokenDocuments(t *testing.T) {
	s := provSchema(t)
	w := newWalkthrough(t, plain)
	good := mustExport(t, export.PROV, w.src, w.model)
	breakers := map[string]struct {
		edit  func(d map[string]any)
		where string
	}{
		"derivation without its used entity": {func(d map[string]any) {
			for _, r := range d["wasDerivedFrom"].(map[string]any) {
				delete(r.(map[string]any), "prov:usedEntity")
			}
		}, "wasDerivedFrom"},
		"a member PROV-JSON has not": {func(d map[string]any) { d["wasSignedBy"] = map[string]any{} }, "wasSignedBy"},
		"a start time that is no dateTime": {func(d map[string]any) {
			for _, a := range d["activity"].(map[string]any) {
				a.(map[string]any)["prov:startTime"] = "yesterday"
			}
		}, "prov:startTime"},
		"an attribution naming no agent": {func(d map[string]any) {
			for _, r := range d["wasAttributedTo"].(map[string]any) {
				delete(r.(map[string]any), "prov:agent")
			}
		}, "wasAttributedTo"},
		"an identifier with a space": {func(d map[string]any) {
			d["entity"].(map[string]any)["obj:not an id"] = map[string]any{}
		}, "obj:not an id"},
	}
	for name, b := range breakers {
		t.Run(name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(good, &d); err != nil {
				t.Fatal(err)
			}
			b.edit(d)
			doc, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			err = validate(s, doc)
			if err == nil {
				t.Fatalf("the schema accepts the export with %s", name)
			}
			if !strings.Contains(err.Error(), b.where) {
				t.Errorf("the refusal does not say where (%s): %v", b.where, err)
			}
		})
	}
}

// incompleteExamples are the examples in the prov package's test corpus
// whose records lack a formal attribute PROV-N requires (a usage with no
// activity, an attribution with no agent, a mention with no bundle…):
// PROV-DM's "incomplete" forms, which the schema refuses as the W3C
// submission's schema does.
var incompleteExamples = []string{
	"association2", "attribution1", "attribution2", "communication1", "communication2",
	"delegation1", "delegation2", "derivation1", "derivation2", "derivation9",
	"end1", "end4", "influence1", "influence2", "mention1", "start1", "start4", "usage1",
}

// The schema agrees with the reference implementation of PROV-JSON (the
// prov package, by the submission's authors): every example of its test
// corpus is valid, except those with incomplete records, which are
// refused. So the schema is neither looser nor stricter than PROV-JSON.
func TestPROVSchemaAgreesWithReferenceCorpus(t *testing.T) {
	py := provPython(t)
	out, err := exec.Command(py, "-c", "import os, prov; print(os.path.join(os.path.dirname(prov.__file__), 'tests', 'json'))").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := strings.TrimSpace(string(out))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 100 {
		t.Skipf("the prov package has no test corpus at %s (%d files, %v): the schema is not compared with it", dir, len(files), err)
	}
	s := provSchema(t)
	refused := 0
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		err = validate(s, doc)
		switch incomplete := slices.Contains(incompleteExamples, name); {
		case incomplete && err == nil:
			t.Errorf("%s: the schema accepts a record that lacks a required attribute", name)
		case incomplete:
			refused++
		case err != nil:
			t.Errorf("%s: the schema refuses an example of the reference corpus: %v", name, err)
		}
	}
	if refused != len(incompleteExamples) {
		t.Errorf("refused %d of the %d incomplete examples", refused, len(incompleteExamples))
	}
	t.Logf("%d examples of %s: %d valid, %d incomplete refused", len(files), dir, len(files)-refused, refused)
}
