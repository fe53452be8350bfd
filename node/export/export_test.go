package export_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	attestation "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/export"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/protocol/protocoltest"
	"github.com/commons-p2p/commons/store/storetest"
)

// The model's lineage drawn by Graphviz: the model, its derivation, the
// cleaned corpus and its parent, and the four people — the publisher,
// alice, bob and carol; the three edges of the lineage, the four of the
// publisher and the four claims, each labelled with its trust.
func TestDOTRenderedByGraphviz(t *testing.T) {
	w := newWalkthrough(t, plain)
	doc := mustExport(t, export.DOT, w.src, w.model)
	pic := renderDOT(t, doc)
	if pic.nodes != 8 || pic.edges != 11 {
		t.Errorf("dot drew %d nodes and %d edges, want 8 and 11:\n%s", pic.nodes, pic.edges, doc)
	}
	for _, want := range []string{"Parent corpus", "Cleaned corpus", "trained-on", "made by", "author 0.5", "mutual", "curator 0.2", "asserted", "annotator 1", "revoked", "fine-tuner 0.3"} {
		if !slices.Contains(pic.texts, want) {
			t.Errorf("the picture shows no %q: %q", want, pic.texts)
		}
	}
}

// The PROV-JSON document, read by the prov package (the reference reader
// of PROV-JSON): the three entities, the derivation as an activity, the
// four agents, and every relation.
func TestPROVReadByPythonProv(t *testing.T) {
	w := newWalkthrough(t, plain)
	doc := mustExport(t, export.PROV, w.src, w.model)
	got := readPROV(t, doc)
	want := map[string]int{
		"Entity": 3, "Activity": 1, "Agent": 4,
		"Derivation": 2, "Usage": 1, "Generation": 1,
		"Attribution": 7, // the publisher of each of the three entities, and the four claims
		"Association": 1, // the publisher of the derivation
	}
	if fmt.Sprint(got.Counts) != fmt.Sprint(want) {
		t.Errorf("prov read %v, want %v\n%s", got.Counts, want, doc)
	}
	if l := got.Labels["obj:"+w.parent.String()]; l != "Parent corpus" {
		t.Errorf("the parent's label = %q, want Parent corpus", l)
	}
	for _, want := range []string{`prov:role="author"`, `commons:trust="mutual"`, `commons:trust="revoked"`, "wasDerivedFrom(obj:" + w.child.String() + ", obj:" + w.parent.String()} {
		if !strings.Contains(got.PROVN, want) {
			t.Errorf("the PROV-N prov writes back lacks %s:\n%s", want, got.PROVN)
		}
	}
}

// didVerifier checks Ed25519 signatures for the did:key that names it, as
// any DSSE verifier does with the key a keyid names.
type didVerifier struct{ did protocol.DID }

func (v didVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(v.did.PublicKey(), data, sig) {
		return errors.New("ed25519: invalid signature")
	}
	return nil
}
func (v didVerifier) KeyID() (string, error)   { return v.did.String(), nil }
func (v didVerifier) Public() crypto.PublicKey { return v.did.PublicKey() }

// verifyInToto verifies one line of an in-toto bundle with
// go-securesystemslib's DSSE verifier — every signature, by the key its
// keyid names — and reads its payload as an in-toto Statement v1.
func verifyInToto(line []byte) (*attestation.Statement, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return nil, err
	}
	var vs []dsse.Verifier
	for _, s := range env.Signatures {
		d, err := protocol.ParseDID(s.KeyID)
		if err != nil {
			return nil, err
		}
		vs = append(vs, didVerifier{d})
	}
	ev, err := dsse.NewMultiEnvelopeVerifier(len(vs), vs...)
	if err != nil {
		return nil, err
	}
	if _, err := ev.Verify(context.Background(), &env); err != nil {
		return nil, err
	}
	if env.PayloadType != "application/vnd.in-toto+json" {
		return nil, fmt.Errorf("payloadType %q", env.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, err
	}
	var st attestation.Statement
	if err := protojson.Unmarshal(payload, &st); err != nil {
		return nil, err
	}
	return &st, st.Validate()
}

// Every object behind the model's attribution, one DSSE envelope a line
// in ID order, each verified by go-securesystemslib and read as an in-toto
// Statement; a line altered by one byte no longer verifies.
func TestInTotoVerifiedByDSSE(t *testing.T) {
	w := newWalkthrough(t, plain)
	doc := mustExport(t, export.InToto, w.src, w.model)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		t.Fatalf("the bundle does not end in a line feed")
	}
	lines := bytes.Split(bytes.TrimSuffix(doc, []byte("\n")), []byte("\n"))
	var ids []string
	for i, line := range lines {
		st, err := verifyInToto(line)
		if err != nil {
			t.Fatalf("line %d does not verify as an in-toto statement: %v", i+1, err)
		}
		env, err := protocol.DecodeEnvelope(line)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, env.ID().String())
		if len(st.GetSubject()) == 0 || st.GetSubject()[0].GetDigest()["sha256"] == "" {
			t.Errorf("line %d: a statement without a subject digest: %v", i+1, st)
		}
	}
	var want []string
	for _, id := range []protocol.ID{w.parent, w.child, w.deriv, w.aliceOnParent, w.bobOnParent, w.carolOnChild, w.carolRevokes, w.aliceOnModel, w.endorsement, w.bobRotates} {
		want = append(want, id.String())
	}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("the bundle holds\n%q\nwant\n%q", ids, want)
	}

	tampered := bytes.Replace(lines[0], []byte(`"payload":"ey`), []byte(`"payload":"eX`), 1)
	if bytes.Equal(tampered, lines[0]) {
		t.Fatal("the test did not alter the line")
	}
	if _, err := verifyInToto(tampered); err == nil {
		t.Errorf("a line with an altered payload verified")
	}
}

// The Croissant document of a dataset has every property Croissant 1.0
// requires of a dataset (§"Required" of the specification: @context,
// @type, dct:conformsTo, description, license, name, url, creator,
// datePublished), the Appendix 1 context, and a FileObject with sha256
// for each file, saying which ancestor holds the same bytes.
func TestCroissantRequiredProperties(t *testing.T) {
	w := newWalkthrough(t, plain)
	doc := decodeCroissant(t, mustExport(t, export.Croissant, w.src, w.child))
	if doc["name"] != "Cleaned corpus" || doc["version"] != "1.0.0" || doc["license"] != "https://spdx.org/licenses/CC-BY-SA-4.0.html" {
		t.Errorf("name, version, license = %v, %v, %v", doc["name"], doc["version"], doc["license"])
	}
	files := fileObjects(t, doc)
	if len(files) != 2 || files[0]["name"] != "a.csv" || files[1]["name"] != "d.txt" {
		t.Fatalf("FileObjects = %v", files)
	}
	if files[0]["encodingFormat"] != "text/csv" || files[0]["sha256"] != protocol.SumDigest([]byte("x,y\n1,2\n")).Hex() {
		t.Errorf("a.csv = %v", files[0])
	}
	from := fmt.Sprint(files[0]["prov:wasDerivedFrom"])
	if from != fmt.Sprint([]any{map[string]any{"@id": export.ObjectIRI(w.parent)}}) {
		t.Errorf("a.csv came from %s, want the parent", from)
	}
	if _, ok := files[1]["prov:wasDerivedFrom"]; ok {
		t.Errorf("d.txt, made in the child, came from %v", files[1]["prov:wasDerivedFrom"])
	}
	if based := fmt.Sprint(doc["isBasedOn"]); based != fmt.Sprint([]any{map[string]any{"@id": export.ObjectIRI(w.parent)}}) {
		t.Errorf("isBasedOn = %s", based)
	}

	// The parent's creators: the publisher, and alice whose claim is
	// mutual; not bob, whose claim no one but he vouched for.
	doc = decodeCroissant(t, mustExport(t, export.Croissant, w.src, w.parent))
	var creators []string
	for _, c := range doc["creator"].([]any) {
		creators = append(creators, c.(map[string]any)["@id"].(string))
	}
	if want := []string{w.pub.DID().String(), w.alice.DID().String()}; !slices.Equal(creators, want) {
		t.Errorf("creators = %q, want %q", creators, want)
	}

	_, err := export.Croissant(w.src, w.model)
	protocoltest.WantErr(t, err, protocol.Invalid, "croissant describes a dataset", "an artifact")
}

// A dataset of more files than MaxCroissantFiles, named by a manifest:
// its first files in key order, read from the manifest's chunks, and the
// number left out.
func TestCroissantManifestBounded(t *testing.T) {
	s := storetest.Open(t)
	pub := storetest.Key(t, "publisher")
	var chunks [][]byte
	b := manifest.NewBuilder(func(_ manifest.ChunkID, c []byte) error {
		chunks = append(chunks, c)
		return nil
	})
	n := export.MaxCroissantFiles + 5
	for i := range n {
		f := storetest.FileOf(fmt.Sprintf("f%06d.csv", i), fmt.Sprint(i))
		if err := b.Add(manifest.Entry{Path: f.Name, Size: f.Size, Digest: f.Digest}); err != nil {
			t.Fatal(err)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutChunks(chunks); err != nil {
		t.Fatal(err)
	}
	ds := storetest.NewManifestDataset(t, pub, "many files", protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes})
	storetest.MustPut(t, s, ds)
	doc := decodeCroissant(t, mustExport(t, export.Croissant, export.Source{Store: s}, ds.ID))
	files := fileObjects(t, doc)
	if len(files) != export.MaxCroissantFiles || files[0]["name"] != "f000000.csv" || doc["commons:filesOmitted"] != 5.0 {
		t.Errorf("%d FileObjects from %v, %v omitted", len(files), files[0]["name"], doc["commons:filesOmitted"])
	}
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// decodeCroissant reads a Croissant document and checks it against the
// properties the Croissant 1.0 specification requires.
func decodeCroissant(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the Croissant document is not JSON: %v\n%s", err, b)
	}
	ctx, _ := doc["@context"].(map[string]any)
	for k, v := range map[string]string{"@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": "http://mlcommons.org/croissant/", "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo"} {
		if ctx[k] != v {
			t.Errorf("@context %s = %v, want %s (Croissant 1.0, Appendix 1)", k, ctx[k], v)
		}
	}
	if doc["@type"] != "sc:Dataset" {
		t.Errorf("@type = %v, want sc:Dataset", doc["@type"])
	}
	if doc["conformsTo"] != "http://mlcommons.org/croissant/1.0" {
		t.Errorf("conformsTo = %v", doc["conformsTo"])
	}
	for _, k := range []string{"name", "description", "license", "url", "datePublished"} {
		if s, _ := doc[k].(string); s == "" {
			t.Errorf("the required property %s is missing or empty: %v", k, doc[k])
		}
	}
	if cs, _ := doc["creator"].([]any); len(cs) == 0 {
		t.Errorf("no creator")
	}
	ids := map[string]bool{}
	for _, f := range fileObjects(t, doc) {
		for _, k := range []string{"@id", "name", "contentUrl", "encodingFormat"} {
			if s, _ := f[k].(string); s == "" {
				t.Errorf("FileObject %v lacks %s", f["name"], k)
			}
		}
		if f["@type"] != "cr:FileObject" || !sha256Hex.MatchString(fmt.Sprint(f["sha256"])) {
			t.Errorf("FileObject %v: @type %v, sha256 %v", f["name"], f["@type"], f["sha256"])
		}
		if id := f["@id"].(string); ids[id] {
			t.Errorf("two FileObjects have the @id %s", id)
		} else {
			ids[id] = true
		}
	}
	return doc
}

func fileObjects(t *testing.T, doc map[string]any) []map[string]any {
	t.Helper()
	dist, _ := doc["distribution"].([]any)
	out := make([]map[string]any, len(dist))
	for i, d := range dist {
		out[i], _ = d.(map[string]any)
	}
	return out
}

// The same objects, stored in another order, give byte-identical
// documents in every format.
func TestExportsDoNotDependOnArrival(t *testing.T) {
	w := newWalkthrough(t, plain)
	reversed := w.stored(t, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0})
	for _, f := range api.ExportFormats {
		for _, id := range []protocol.ID{w.model, w.child} {
			x, errA := export.Export(w.src, id, f)
			y, errB := export.Export(reversed, id, f)
			if fmt.Sprint(errA) != fmt.Sprint(errB) || !bytes.Equal(x, y) {
				t.Errorf("%s of %s differs with the order of arrival:\n%s\n%v\n---\n%s\n%v", f, id, x, errA, y, errB)
			}
		}
	}
}

// An ID that nothing here names is not found; a format that is not one
// is refused, naming those there are.
func TestExportRefusals(t *testing.T) {
	w := newWalkthrough(t, plain)
	unknown := storetest.NewDataset(t, w.pub, "never stored").ID
	_, err := export.Export(w.src, unknown, api.ExportPROV)
	protocoltest.WantErr(t, err, protocol.NotFound, unknown.String())
	_, err = export.Export(w.src, w.child, "svg")
	protocoltest.WantErr(t, err, protocol.Invalid, `"svg"`, "prov, croissant, dot, intoto")
}

// What governance says of a dataset travels with it: its standing in
// PROV-JSON, a dashed box in DOT, in Croissant.
func TestExportsCarryStanding(t *testing.T) {
	w := newWalkthrough(t, plain)
	src := w.src
	src.Standings = func(id protocol.ID) *api.Standing {
		if id == w.parent {
			return &api.Standing{Status: "delisted", Reason: "takedown request"}
		}
		return nil
	}
	var prov struct {
		Entity map[string]map[string]any `json:"entity"`
	}
	if err := json.Unmarshal(mustExport(t, export.PROV, src, w.child), &prov); err != nil {
		t.Fatal(err)
	}
	parent := prov.Entity["obj:"+w.parent.String()]
	if parent["commons:standing"] != "delisted" || parent["commons:standingReason"] != "takedown request" {
		t.Errorf("the parent in PROV-JSON: %v", parent)
	}
	if child := prov.Entity["obj:"+w.child.String()]; child["commons:standing"] != nil {
		t.Errorf("the child has a standing: %v", child)
	}
	dot := string(mustExport(t, export.DOT, src, w.child))
	if !strings.Contains(dot, `"`+w.parent.String()+`" [label="Parent corpus\ndataset `) || !strings.Contains(dot, `style=dashed, color="gray50", tooltip="delisted: takedown request"`) {
		t.Errorf("the delisted parent is not drawn dashed:\n%s", dot)
	}
	if doc := decodeCroissant(t, mustExport(t, export.Croissant, src, w.parent)); doc["commons:standing"] != "delisted" {
		t.Errorf("croissant standing = %v", doc["commons:standing"])
	}
}
