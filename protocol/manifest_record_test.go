package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// TestManifestRecordRefusals: every way the manifest member of a dataset,
// or the subject that goes with it, can break SPEC.md §3.3, §3.4 and §3.8
// is refused as invalid, with a message that names what was wrong.
func TestManifestRecordRefusals(t *testing.T) {
	dm := vectorByName("dataset-manifest").Payload
	root := manifestRoot.Root.String()
	ed := func(f func(st map[string]any)) []byte { return edit(t, dm, f) }
	man := func(st map[string]any) map[string]any { return pred(st)["manifest"].(map[string]any) }
	replace := func(old, new string) []byte {
		if !bytes.Contains(dm, []byte(old)) {
			t.Fatalf("payload lacks %q", old)
		}
		return bytes.Replace(dm, []byte(old), []byte(new), 1)
	}
	other := protocol.ArtifactID(protocol.SumDigest([]byte("another chunk")))
	object := vectorByName("dataset").ID()
	hello := protocol.FileSubjects([]protocol.File{helloFile})[0]
	runRefusals(t, []refusal{
		// The member itself.
		{name: "manifest null", payload: ed(func(st map[string]any) { pred(st)["manifest"] = nil }), kind: protocol.Invalid, words: []string{"predicate.manifest: null is refused"}},
		{name: "manifest a string", payload: ed(func(st map[string]any) { pred(st)["manifest"] = root }), kind: protocol.Invalid, words: []string{"predicate.manifest: want a JSON object"}},
		{name: "manifest an array", payload: ed(func(st map[string]any) { pred(st)["manifest"] = []any{} }), kind: protocol.Invalid, words: []string{"predicate.manifest: want a JSON object"}},
		{name: "manifest twice", payload: replace(`"manifest":{`, `"manifest":{"root":"x"},"manifest":{`), kind: protocol.Invalid, words: []string{`key "manifest" appears twice`}},
		{name: "unknown member", payload: ed(func(st map[string]any) { man(st)["entries"] = []any{} }), kind: protocol.Invalid, words: []string{`unknown field "entries" in predicate.manifest`}},
		{name: "no root", payload: ed(func(st map[string]any) { delete(man(st), "root") }), kind: protocol.Invalid, words: []string{`missing field "root" in predicate.manifest`}},
		{name: "no count", payload: ed(func(st map[string]any) { delete(man(st), "count") }), kind: protocol.Invalid, words: []string{`missing field "count" in predicate.manifest`}},
		{name: "no bytes", payload: ed(func(st map[string]any) { delete(man(st), "bytes") }), kind: protocol.Invalid, words: []string{`missing field "bytes" in predicate.manifest`}},
		// root.
		{name: "root null", payload: ed(func(st map[string]any) { man(st)["root"] = nil }), kind: protocol.Invalid, words: []string{"manifest: missing root"}},
		{name: "root empty", payload: ed(func(st map[string]any) { man(st)["root"] = "" }), kind: protocol.Invalid, words: []string{"predicate.manifest.root"}},
		{name: "root an object ID", payload: ed(func(st map[string]any) {
			man(st)["root"] = object.String()
			st["subject"] = protocol.ReferenceSubject(object)
		}), kind: protocol.Invalid, words: []string{"manifest: root " + object.String() + " is an object ID (codec json)"}},
		{name: "root in base32 upper case", payload: ed(func(st map[string]any) { man(st)["root"] = strings.ToUpper(root) }), kind: protocol.Invalid, words: []string{"predicate.manifest.root", "not in canonical form " + root}},
		{name: "root as sha256:HEX", payload: ed(func(st map[string]any) { man(st)["root"] = manifestRoot.Root.Digest().String() }), kind: protocol.Invalid, words: []string{"predicate.manifest.root", "not in canonical form " + root}},
		{name: "root a number", payload: ed(func(st map[string]any) { man(st)["root"] = 1 }), kind: protocol.Invalid, words: []string{"predicate.manifest.root"}},
		// count and bytes.
		{name: "count 0", payload: ed(func(st map[string]any) { man(st)["count"] = 0 }), kind: protocol.Invalid, words: []string{"manifest: count 0, want at least 1"}},
		{name: "count null", payload: ed(func(st map[string]any) { man(st)["count"] = nil }), kind: protocol.Invalid, words: []string{"manifest: count 0, want at least 1"}},
		{name: "count negative", payload: ed(func(st map[string]any) { man(st)["count"] = -4 }), kind: protocol.Invalid, words: []string{"manifest: count -4, want at least 1"}},
		{name: "count a fraction", payload: replace(`"count":4`, `"count":4.0`), kind: protocol.Invalid, words: []string{"predicate.manifest.count"}},
		{name: "count an exponent", payload: replace(`"count":4`, `"count":4e0`), kind: protocol.Invalid, words: []string{"predicate.manifest.count"}},
		{name: "count over 2^63-1", payload: replace(`"count":4`, `"count":9223372036854775808`), kind: protocol.Invalid, words: []string{"predicate.manifest.count"}},
		{name: "count a string", payload: ed(func(st map[string]any) { man(st)["count"] = "4" }), kind: protocol.Invalid, words: []string{"predicate.manifest.count"}},
		{name: "bytes negative", payload: ed(func(st map[string]any) { man(st)["bytes"] = -1 }), kind: protocol.Invalid, words: []string{"manifest: bytes -1 is negative"}},
		{name: "bytes a fraction", payload: replace(`"bytes":27`, `"bytes":27.5`), kind: protocol.Invalid, words: []string{"predicate.manifest.bytes"}},
		{name: "bytes over 2^63-1", payload: replace(`"bytes":27`, `"bytes":9223372036854775808`), kind: protocol.Invalid, words: []string{"predicate.manifest.bytes"}},
		// The subject that goes with it.
		{name: "no subject", payload: ed(func(st map[string]any) { st["subject"] = []any{} }), kind: protocol.Invalid, words: []string{"a dataset with a manifest has exactly one subject, the manifest's root " + root + "; got 0"}},
		{name: "root and a file", payload: ed(func(st map[string]any) {
			st["subject"] = append(st["subject"].([]any), hello)
		}), kind: protocol.Invalid, words: []string{"exactly one subject, the manifest's root " + root + "; got 2"}},
		{name: "file subjects with a manifest", payload: ed(func(st map[string]any) {
			st["subject"] = []any{hello}
		}), kind: protocol.Invalid, words: []string{`subject "hello.txt" is not the manifest's root ` + root}},
		{name: "another chunk as subject", payload: ed(func(st map[string]any) {
			st["subject"] = protocol.ReferenceSubject(other)
		}), kind: protocol.Invalid, words: []string{`subject "` + other.String() + `" is not the manifest's root ` + root}},
		{name: "subject in another spelling", payload: ed(func(st map[string]any) { subj(st, 0)["name"] = strings.ToUpper(root) }), kind: protocol.Invalid, words: []string{"is not the manifest's root " + root}},
		{name: "annotations on the root", payload: ed(func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{"size": 27} }), kind: protocol.Invalid, words: []string{"subject " + root + ": annotations are not allowed on the manifest's root"}},
		{name: "digest of something else", payload: ed(func(st map[string]any) {
			subj(st, 0)["digest"] = map[string]any{"sha256": helloFile.Digest.Hex()}
		}), kind: protocol.Invalid, words: []string{"subject " + root + ": digest.sha256 " + helloFile.Digest.Hex() + " is not the root's digest"}},
		{name: "digest in upper case", payload: ed(func(st map[string]any) {
			subj(st, 0)["digest"] = map[string]any{"sha256": strings.ToUpper(manifestRoot.Root.Digest().Hex())}
		}), kind: protocol.Invalid, words: []string{"subject " + root + ": digest.sha256", "is not 64 lowercase hex digits"}},
		{name: "no sha256", payload: ed(func(st map[string]any) { subj(st, 0)["digest"] = map[string]any{"sha512": "00"} }), kind: protocol.Invalid, words: []string{"subject " + root + ": missing digest.sha256"}},
	})
}

// TestManifestRecordAccepted: the forms the rules allow are read as such.
func TestManifestRecordAccepted(t *testing.T) {
	dm := vectorByName("dataset-manifest").Payload
	for name, payload := range map[string][]byte{
		"the vector": dm,
		"one entry of no bytes": edit(t, dm, func(st map[string]any) {
			pred(st)["manifest"] = map[string]any{"root": manifestRoot.Root.String(), "count": 1, "bytes": 0}
		}),
		"the largest count and size": bytes.Replace(bytes.Replace(dm, []byte(`"count":4`), []byte(`"count":9223372036854775807`), 1), []byte(`"bytes":27`), []byte(`"bytes":9223372036854775807`), 1),
		"another digest beside":      edit(t, dm, func(st map[string]any) { subj(st, 0)["digest"].(map[string]any)["sha512"] = "00" }),
		"annotations null":           edit(t, dm, func(st map[string]any) { subj(st, 0)["annotations"] = nil }),
	} {
		o, err := protocol.VerifyObject(signed(payload, vectorKey))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if o.Dataset.Manifest == nil || o.Dataset.Manifest.Root != manifestRoot.Root || len(o.Files) != 0 {
			t.Errorf("%s: manifest %+v files %v", name, o.Dataset.Manifest, o.Files)
		}
	}
	// The record survives a round trip through the builders.
	o, err := protocol.VerifyObject(vectorByName("dataset-manifest").Encode())
	if err != nil {
		t.Fatal(err)
	}
	env := mustEnvelope(protocol.KindDataset, protocol.ReferenceSubject(o.Dataset.Manifest.Root), *o.Dataset, vectorKey)
	if !bytes.Equal(env.Payload, dm) {
		t.Errorf("re-encoded predicate differs:\n%s\n%s", env.Payload, dm)
	}
	var plain struct {
		Predicate struct {
			Manifest *protocol.ManifestRef `json:"manifest"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(dm, &plain); err != nil || *plain.Predicate.Manifest != manifestRoot {
		t.Errorf("a plain reader reads manifest %+v, %v", plain.Predicate.Manifest, err)
	}
}

// TestVectorDatasetManifest checks the vector of SPEC.md §9.12 against
// values fixed outside the code, and its manifest against the tree that
// protocol/manifest builds from the files of §9.11.
func TestVectorDatasetManifest(t *testing.T) {
	env := vectorByName("dataset-manifest")
	const wantPayload = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"bafkreifyauucz574vocmvjyddgohwtbccb5i3pfr5mkmgte2kedipj7xgu","digest":{"sha256":"b805282cf7fcab84caa703199c7b4c22107a8dbcb1eb14c34c9a510687a7f735"}}],"predicateType":"https://commons.network/dataset/v1","predicate":{"name":"Test vector tables","license":"CC-BY-4.0","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-07T00:00:00Z","manifest":{"root":"bafkreifyauucz574vocmvjyddgohwtbccb5i3pfr5mkmgte2kedipj7xgu","count":4,"bytes":27}}}`
	if string(env.Payload) != wantPayload {
		t.Errorf("payload:\ngot  %s\nwant %s", env.Payload, wantPayload)
	}
	if got := env.ID().String(); got != "bagaaierajjqkp7m2ygihtxsewsslefnjmgubgs66ig3wgc34van5bvyfbuya" {
		t.Errorf("id = %s", got)
	}
	b := manifest.NewBuilder(func(manifest.ChunkID, []byte) error { return nil })
	for i := range 3 {
		body := fmt.Sprintf("part %d\n", i)
		b.Add(manifest.Entry{Path: fmt.Sprintf("data/part-%d.csv", i), Size: int64(len(body)), Digest: protocol.SumDigest([]byte(body))})
	}
	b.Add(manifest.Entry{Path: helloFile.Name, Size: helloFile.Size, Digest: helloFile.Digest})
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	if got := (protocol.ManifestRef{Root: root.ID.ID(), Count: root.Count, Bytes: root.Bytes}); got != manifestRoot {
		t.Errorf("the files of §9.11 build %+v, the vector names %+v", got, manifestRoot)
	}
}

// TestVectorDatasetManifestIndependent checks the subject and the member
// of §9.12 against protocol/manifest/testdata/manifest.mjs, which builds
// the tree of §9.11 from SPEC.md's text in Node.js.
func TestVectorDatasetManifestIndependent(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("COMMONS_SKIP_NODEJS") == "1" {
			t.Skip("COMMONS_SKIP_NODEJS=1: the vector is not checked against manifest.mjs")
		}
		t.Fatal("node (Node.js) is not on PATH: the vector cannot be checked against protocol/manifest/testdata/manifest.mjs; install Node.js or set COMMONS_SKIP_NODEJS=1")
	}
	out, err := exec.Command(node, filepath.Join("manifest", "testdata", "manifest.mjs"), "record").Output()
	if err != nil {
		t.Fatalf("node manifest.mjs record: %v", err)
	}
	payload := string(vectorByName("dataset-manifest").Payload)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		member, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("manifest.mjs record printed %q", line)
		}
		if want := `"` + member + `":` + value; !strings.Contains(payload, want) {
			t.Errorf("the vector's payload lacks %s, as manifest.mjs writes it", want)
		}
	}
}
