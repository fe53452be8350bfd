package protocol_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

func TestVerifyObjectVectors(t *testing.T) {
	ds := vectorByName("dataset").ID()
	at := vectorByName("attribution").ID()
	for _, v := range vectors() {
		o, err := protocol.VerifyObject(v.env.Encode())
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		switch o.Kind {
		case protocol.KindDataset:
			d := o.Dataset
			if v.name == "dataset-manifest" {
				if d.Manifest == nil || *d.Manifest != manifestRoot || len(o.Files) != 0 || !o.About.IsZero() {
					t.Errorf("dataset with a manifest: manifest %+v, files %+v, about %s", d.Manifest, o.Files, o.About)
				}
				break
			}
			if d.Manifest != nil {
				t.Errorf("dataset without a manifest reads one: %+v", d.Manifest)
			}
			if d.Name != "Test vector" || d.License != "CC-BY-4.0" || d.Publisher != vectorKey.DID() || !d.Created.Equal(day(1)) {
				t.Errorf("dataset predicate %+v", d)
			}
			if len(o.Files) != 1 || o.Files[0] != helloFile {
				t.Errorf("dataset files %+v, want %+v", o.Files, helloFile)
			}
		case protocol.KindAttribution:
			a := o.Attribution
			if a.Issuer != vectorKey.DID() || a.Contributor != otherKey.DID() || a.Role != "annotator" || a.Weight != 0.5 || o.About != ds {
				t.Errorf("attribution %+v about %s", a, o.About)
			}
		case protocol.KindDerivation:
			if len(o.Files) != 1 || o.Files[0].Name != "model.bin" || len(o.Parents()) != 1 || o.Parents()[0] != ds {
				t.Errorf("derivation files %+v parents %v", o.Files, o.Parents())
			}
		case protocol.KindEndorsement:
			if o.About != at || o.Endorsement.Level != "full" {
				t.Errorf("endorsement %+v about %s", o.Endorsement, o.About)
			}
		case protocol.KindRevocation:
			if o.About != at || o.Revocation.Reason == "" {
				t.Errorf("revocation %+v about %s", o.Revocation, o.About)
			}
		case protocol.KindRotation:
			r := o.Rotation
			if r.From != vectorKey.DID() || r.To != otherKey.DID() || !o.About.IsZero() || !slices.Equal(o.Signers(), []protocol.DID{r.From, r.To}) {
				t.Errorf("rotation %+v about %s signers %v", r, o.About, o.Signers())
			}
		}
		if o.Kind.String() != v.kind() || o.Kind.PredicateType() == "" || o.ID != v.env.ID() || o.Issuer().IsZero() || o.Created().IsZero() {
			t.Errorf("%s: kind %s predicate %q id %s issuer %s created %s", v.name, o.Kind, o.Kind.PredicateType(), o.ID, o.Issuer(), o.Created())
		}
	}
}

type refusal struct {
	name    string
	payload []byte
	keys    []*protocol.Key // signers; the vector key when empty
	kind    protocol.Kind
	words   []string
}

func runRefusals(t *testing.T, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys := tc.keys
			if len(keys) == 0 {
				keys = []*protocol.Key{vectorKey}
			}
			_, err := protocol.VerifyObject(signed(tc.payload, keys...))
			wantErr(t, err, tc.kind, tc.words...)
		})
	}
}

// TestStatementRefusals covers the statement layer: everything here is well
// signed, and refused for what the payload says.
func TestStatementRefusals(t *testing.T) {
	ds := vectorByName("dataset").Payload
	at := vectorByName("attribution").Payload
	replace := func(b []byte, old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("payload lacks %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	ed := func(b []byte, f func(st map[string]any)) []byte { return edit(t, b, f) }
	runRefusals(t, []refusal{
		{name: "wrong _type", payload: ed(ds, func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" }), kind: protocol.Invalid, words: []string{`_type "https://in-toto.io/Statement/v0.1"`}},
		{name: "unknown predicateType", payload: ed(ds, func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v1" }), kind: protocol.Invalid, words: []string{`unknown predicateType "https://slsa.dev/provenance/v1"`}},
		{name: "predicate null", payload: ed(ds, func(st map[string]any) { st["predicate"] = nil }), kind: protocol.Invalid, words: []string{"missing predicate"}},
		{name: "predicate not an object", payload: ed(ds, func(st map[string]any) { st["predicate"] = []any{} }), kind: protocol.Invalid, words: []string{"dataset: predicate: want a JSON object"}},
		{name: "subject not an array", payload: ed(ds, func(st map[string]any) { st["subject"] = map[string]any{} }), kind: protocol.Invalid, words: []string{"statement.subject: want a JSON array"}},
		{name: "statement not JSON", payload: []byte(`{"_type":`), kind: protocol.Invalid, words: []string{"malformed statement JSON"}},
		{name: "statement trailing data", payload: append(append([]byte{}, ds...), "{}"...), kind: protocol.Invalid, words: []string{"trailing data"}},
		{name: "statement not UTF-8", payload: replace(ds, "Test vector", "Test \xffvector"), kind: protocol.Invalid, words: []string{"not UTF-8"}},
		{name: "unknown statement field", payload: ed(ds, func(st map[string]any) { st["extra"] = true }), kind: protocol.Invalid, words: []string{`unknown field "extra" in statement`}},
		{name: "unknown predicate field", payload: ed(ds, func(st map[string]any) { pred(st)["homepage"] = "x" }), kind: protocol.Invalid, words: []string{`unknown field "homepage" in predicate`}},
		{name: "unknown subject field", payload: ed(ds, func(st map[string]any) { subj(st, 0)["uri"] = "https://x" }), kind: protocol.Invalid, words: []string{`unknown field "uri" in statement.subject[0]`}},
		{name: "unknown annotation", payload: ed(ds, func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{"size": 6, "mode": "0644"} }), kind: protocol.Invalid, words: []string{`unknown field "mode" in statement.subject[0].annotations`}},
		{name: "annotations without size", payload: ed(ds, func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{} }), kind: protocol.Invalid, words: []string{`missing field "size" in statement.subject[0].annotations`}},
		{name: "key in another case", payload: replace(ds, `"publisher"`, `"Publisher"`), kind: protocol.Invalid, words: []string{`unknown field "Publisher" in predicate`}},
		{name: "predicate key twice", payload: replace(ds, `"name":"Test vector"`, `"name":"Test vector","name":"Other"`), kind: protocol.Invalid, words: []string{`key "name" appears twice in statement.predicate`}},
		{name: "statement key twice", payload: replace(ds, `"predicateType"`, `"predicateType":"x","predicateType"`), kind: protocol.Invalid, words: []string{`key "predicateType" appears twice in statement`}},
		{name: "key twice inside croissant", payload: ed(ds, func(st map[string]any) { pred(st)["croissant"] = json.RawMessage(`{"a":1,"a":2}`) }), kind: protocol.Invalid, words: []string{`key "a" appears twice in statement.predicate.croissant`}},
		{name: "empty key twice (a fuzz crasher)", payload: ed(ds, func(st map[string]any) { pred(st)["croissant"] = json.RawMessage(`{"":{"[":[{"":0,"":0}]}}`) }), kind: protocol.Invalid, words: []string{`key "" appears twice in statement.predicate.croissant..[[0]`}},
		{name: "issuer did:web", payload: replace(ds, `"publisher":"did:key:`, `"publisher":"did:web:`), kind: protocol.Invalid, words: []string{"did:web:", "not a did:key"}},
		{name: "publisher did not sign", payload: ds, keys: []*protocol.Key{otherKey}, kind: protocol.Invalid, words: []string{"dataset: issuer " + vectorDID + " did not sign it"}},
		{name: "attribution issuer did not sign", payload: at, keys: []*protocol.Key{otherKey}, kind: protocol.Invalid, words: []string{"attribution: issuer " + vectorDID + " did not sign it"}},
	})
}

// required lists, per kind, the predicate fields a statement must carry.
var required = map[string][]string{
	"dataset":     {"name", "license", "publisher", "created"},
	"attribution": {"issuer", "contributor", "role", "weight", "created"},
	"derivation":  {"publisher", "inputs", "activity", "created"},
	"endorsement": {"issuer", "standard", "created"},
	"revocation":  {"issuer", "reason", "created"},
	"rotation":    {"from", "to", "created"},
}

// TestMissingFields removes, then empties, each required field of each kind.
func TestMissingFields(t *testing.T) {
	var cases []refusal
	for _, v := range vectors() {
		for _, f := range append([]string{"_type", "subject", "predicateType", "predicate"}, required[v.kind()]...) {
			top := f == "_type" || f == "subject" || f == "predicateType" || f == "predicate"
			where := "predicate"
			if top {
				where = "statement"
			}
			cases = append(cases, refusal{
				name: v.name + "/absent " + f,
				payload: edit(t, v.env.Payload, func(st map[string]any) {
					if top {
						delete(st, f)
					} else {
						delete(pred(st), f)
					}
				}),
				kind:  protocol.Invalid,
				words: []string{fmt.Sprintf("missing field %q in %s", f, where)},
				keys:  []*protocol.Key{vectorKey, otherKey},
			})
			if top {
				continue
			}
			// Present but empty: null, or "" for strings.
			for _, empty := range []any{nil, ""} {
				if f == "inputs" && empty == "" || f == "weight" && empty == "" || f == "created" && empty == "" {
					continue // a type error, tested below
				}
				word := "missing " + f
				if f == "weight" {
					word = "weight 0 is outside (0,1]"
				}
				if empty == "" && (f == "issuer" || f == "publisher" || f == "contributor" || f == "from" || f == "to") {
					word = "not a did:key"
				}
				cases = append(cases, refusal{
					name:    fmt.Sprintf("%s/%s=%#v", v.name, f, empty),
					payload: edit(t, v.env.Payload, func(st map[string]any) { pred(st)[f] = empty }),
					kind:    protocol.Invalid,
					words:   []string{word},
					keys:    []*protocol.Key{vectorKey, otherKey},
				})
			}
		}
		for _, f := range []string{"name", "digest"} {
			cases = append(cases, refusal{
				name:    v.name + "/subject without " + f,
				payload: edit(t, v.env.Payload, func(st map[string]any) { delete(subj(st, 0), f) }),
				kind:    protocol.Invalid,
				words:   []string{fmt.Sprintf("missing field %q in statement.subject[0]", f)},
				keys:    []*protocol.Key{vectorKey, otherKey},
			})
		}
		cases = append(cases, refusal{
			name:    v.name + "/digest without sha256",
			payload: edit(t, v.env.Payload, func(st map[string]any) { subj(st, 0)["digest"] = map[string]any{"sha512": "00"} }),
			kind:    protocol.Invalid,
			words:   []string{"missing digest.sha256"},
			keys:    []*protocol.Key{vectorKey, otherKey},
		})
		cases = append(cases, refusal{
			name:    v.name + "/no subject",
			payload: edit(t, v.env.Payload, func(st map[string]any) { st["subject"] = []any{} }),
			kind:    protocol.Invalid,
			words:   []string{v.kind(), "subject"},
			keys:    []*protocol.Key{vectorKey, otherKey},
		})
	}
	runRefusals(t, cases)
}

func setPred(t *testing.T, payload []byte, field string, value any) []byte {
	return edit(t, payload, func(st map[string]any) { pred(st)[field] = value })
}

func TestFieldValueRefusals(t *testing.T) {
	ds := vectorByName("dataset").Payload
	at := vectorByName("attribution").Payload
	dv := vectorByName("derivation").Payload
	en := vectorByName("endorsement").Payload
	rv := vectorByName("revocation").Payload
	both := []*protocol.Key{vectorKey, otherKey}
	replace := func(b []byte, old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("payload lacks %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	dsID := vectorByName("dataset").ID().String()
	atID := vectorByName("attribution").ID().String()
	var cases []refusal
	add := func(name string, payload []byte, words ...string) {
		cases = append(cases, refusal{name: name, payload: payload, keys: both, kind: protocol.Invalid, words: words})
	}
	// Weights.
	for _, w := range []any{0, -0.5, json.Number("-0"), 1.0000001, 2, json.Number("1e-400")} {
		add(fmt.Sprintf("weight %v", w), setPred(t, at, "weight", w), "weight", "outside (0,1]")
	}
	for _, w := range []any{json.Number("1e400"), "NaN", "0.5", true} {
		add(fmt.Sprintf("weight %#v", w), setPred(t, at, "weight", w), "predicate.weight")
	}
	// Roles, activities and levels are tokens.
	for _, r := range []string{"Author", "-author", "author-", "co author", "co_author", "autor\u00e9", strings.Repeat("a", protocol.MaxTokenLen+1)} {
		add("role "+r, setPred(t, at, "role", r), "role")
	}
	add("activity TrainedOn", setPred(t, dv, "activity", "TrainedOn"), `activity "TrainedOn"`)
	add("level Gold", setPred(t, en, "level", "Gold"), `level "Gold"`)
	// Licenses.
	for _, l := range []string{"MIT;", "MIT/X11", "MIT\n", "<b>MIT</b>", "CC-BY-4.0,MIT", "   ", "M\u00eeT"} {
		add(fmt.Sprintf("license %q", l), setPred(t, ds, "license", l), "license")
	}
	// Text limits.
	add("name too long", setPred(t, ds, "name", strings.Repeat("n", protocol.MaxNameLen+1)), fmt.Sprintf("name is %d bytes, over %d", protocol.MaxNameLen+1, protocol.MaxNameLen))
	add("name blank", setPred(t, ds, "name", " \t"), "missing name")
	add("description too long", setPred(t, ds, "description", strings.Repeat("d", protocol.MaxTextLen+1)), "description is")
	add("version too long", setPred(t, ds, "version", strings.Repeat("v", protocol.MaxNameLen+1)), "version is")
	add("license too long", setPred(t, ds, "license", strings.Repeat("L", protocol.MaxNameLen+1)), "license is")
	add("note too long", setPred(t, at, "note", strings.Repeat("x", protocol.MaxTextLen+1)), "note is")
	add("standard too long", setPred(t, en, "standard", strings.Repeat("s", protocol.MaxNameLen+1)), "standard is")
	add("reason too long", setPred(t, rv, "reason", strings.Repeat("r", protocol.MaxTextLen+1)), "reason is")
	add("croissant not an object", setPred(t, ds, "croissant", []any{1}), "croissant must be a JSON object")
	add("croissant null", setPred(t, ds, "croissant", nil), "croissant must be a JSON object")
	add("rai a string", setPred(t, ds, "rai", "x"), "rai must be a JSON object")
	// Times.
	add("created too old", setPred(t, ds, "created", "1999-12-31T23:59:59Z"), "created 1999-12-31T23:59:59Z is before 2000")
	add("created zero", setPred(t, at, "created", "0001-01-01T00:00:00Z"), "missing created")
	add("created not RFC 3339", setPred(t, rv, "created", "2026-01-05"), "predicate.created", "2026-01-05")
	add("created a number", setPred(t, en, "created", 1767225600), "predicate.created")
	for _, c := range []string{"2026-01-01t00:00:00z", "2026-01-01T00:00:00z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+0100",
		"2026-01-01T00:00:00,5Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567891Z", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+23:60",
		"2026-01-01T00:00Z", "+2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z ", "2026-01-01T00:00:00"} {
		add("created "+c, setPred(t, ds, "created", c), "predicate.created", "is not a date-time of the form")
	}
	for _, c := range []string{"2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z", "2026-13-01T00:00:00Z"} {
		add("created "+c, setPred(t, ds, "created", c), "predicate.created", "out of range")
	}
	add("created with an escape", replace(ds, "2026-01-01T00", `2026-01-01\u005400`), "predicate.created", "is not a date-time")
	add("created 1999 in UTC", setPred(t, ds, "created", "2000-01-01T00:30:00+01:00"), "before 2000")
	add("unpaired high surrogate", replace(ds, "Test vector", `Test \ud800vector`), `unpaired surrogate escape \ud800`)
	add("unpaired low surrogate", replace(ds, "Test vector", `Test \udc00\ud800vector`), `unpaired surrogate escape \udc00`)
	add("reversed pair", replace(ds, "Test vector", `\udc00\ud83d`), `unpaired surrogate escape \udc00`)
	add("surrogate in a key", replace(ds, `"license"`, `"lic\ud800ense"`), `unpaired surrogate escape \ud800`)
	// Parents and inputs.
	artifact := vectorArtifactID
	add("parent an artifact", setPred(t, ds, "parents", []string{artifact}), "parents: "+artifact+" is an artifact, want an object ID")
	add("parent twice", setPred(t, ds, "parents", []string{atID, atID}), "parents: "+atID+" appears twice")
	for _, alt := range []string{mustBase58(atID), strings.ToUpper(atID), atID[:len(atID)-1] + "b"} {
		add("parent spelt "+alt, setPred(t, ds, "parents", []string{atID, alt}), "predicate.parents[1]", "is not in canonical form "+atID)
	}
	add("parent not an ID", setPred(t, ds, "parents", []string{"dataset-1"}), "dataset-1", "not a CID")
	add("parent null", setPred(t, ds, "parents", []any{nil}), "parents: empty ID")
	add("input an artifact", setPred(t, dv, "inputs", []string{dsID, artifact}), "inputs: "+artifact+" is an artifact")
	add("input twice", setPred(t, dv, "inputs", []string{dsID, dsID}), "inputs: "+dsID+" appears twice")
	add("inputs empty", setPred(t, dv, "inputs", []string{}), "missing inputs")
	many := make([]string, protocol.MaxParents+1)
	for i := range many {
		many[i] = protocol.ObjectID([]byte(fmt.Sprint(i))).String()
	}
	add("too many parents", setPred(t, ds, "parents", many), fmt.Sprintf("%d parents, over %d", protocol.MaxParents+1, protocol.MaxParents))
	add("too many inputs", setPred(t, dv, "inputs", many), fmt.Sprintf("%d inputs, over %d", protocol.MaxParents+1, protocol.MaxParents))
	runRefusals(t, cases)
}

func mustBase58(id string) string {
	s, err := protocol.MustParseID(id).Cid().StringOfBase('z')
	if err != nil {
		panic(err)
	}
	return s
}

func TestSubjectRefusals(t *testing.T) {
	ds := vectorByName("dataset").Payload
	at := vectorByName("attribution").Payload
	dv := vectorByName("derivation").Payload
	en := vectorByName("endorsement").Payload
	rv := vectorByName("revocation").Payload
	both := []*protocol.Key{vectorKey, otherKey}
	hello := helloFile.Digest.Hex()
	file := func(name string) map[string]any {
		return map[string]any{"name": name, "digest": map[string]any{"sha256": hello}}
	}
	files := func(names ...string) []byte {
		return edit(t, ds, func(st map[string]any) {
			var s []any
			for _, n := range names {
				s = append(s, file(n))
			}
			st["subject"] = s
		})
	}
	var cases []refusal
	add := func(name string, payload []byte, words ...string) {
		cases = append(cases, refusal{name: name, payload: payload, keys: both, kind: protocol.Invalid, words: words})
	}
	// File paths.
	for _, tc := range []struct{ path, word string }{
		{"/etc/passwd", "is absolute"},
		{"../secret", "empty, . or .. segment"},
		{"a/../b", "empty, . or .. segment"},
		{"..", "empty, . or .. segment"},
		{"./a", "empty, . or .. segment"},
		{".", "empty, . or .. segment"},
		{"a//b", "empty, . or .. segment"},
		{"a/", "empty, . or .. segment"},
		{"", "empty path"},
		{"a\x00b", "control character"},
		{"a\nb", "control character"},
		{"a\x7fb", "control character"},
		{"a\u0085b", "control character"},
		{`a\b`, "backslash"},
		{`C:\data`, "backslash"},
		{strings.Repeat("p", protocol.MaxPathLen+1), fmt.Sprintf("path is %d bytes, over %d", protocol.MaxPathLen+1, protocol.MaxPathLen)},
	} {
		add(fmt.Sprintf("path %q", tc.path), files("ok.txt", tc.path), "subject 1", tc.word)
	}
	add("path twice", files("a.txt", "b.txt", "a.txt"), `subject 2: path "a.txt" appears twice`)
	// Digests of files.
	digest := func(p []byte, i int, d any) []byte {
		return edit(t, p, func(st map[string]any) { subj(st, i)["digest"] = map[string]any{"sha256": d} })
	}
	add("digest upper case", digest(ds, 0, strings.ToUpper(hello)), "not 64 lowercase hex digits")
	add("digest short", digest(ds, 0, hello[:62]), "not 64 lowercase hex digits")
	add("digest not hex", digest(ds, 0, hello[:63]+"z"), "not a sha256 digest")
	add("digest with prefix", digest(ds, 0, "sha256:"+hello), "not 64 lowercase hex digits")
	add("digest a number", digest(ds, 0, 5), "statement.subject[0].digest")
	add("size negative", edit(t, ds, func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{"size": -1} }), "negative size -1")
	add("size fractional", edit(t, ds, func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{"size": 1.5} }), "statement.subject[0].annotations.size")
	// Derivations make exactly one artifact.
	add("derivation with 2 subjects", edit(t, dv, func(st map[string]any) {
		st["subject"] = append(st["subject"].([]any), file("other.bin"))
	}), "exactly one subject", "got 2")
	// Reference subjects.
	otherDigest := protocol.SumDigest([]byte("x")).Hex()
	for _, p := range []struct {
		name    string
		payload []byte
	}{{"attribution", at}, {"endorsement", en}, {"revocation", rv}} {
		id := subjName(t, p.payload)
		add(p.name+" digest not matching", digest(p.payload, 0, otherDigest), "subject "+id, "digest.sha256 "+otherDigest+" does not match the ID")
		add(p.name+" name not an ID", edit(t, p.payload, func(st map[string]any) { subj(st, 0)["name"] = "hello.txt" }), "subject name", "not a CID")
		add(p.name+" two subjects", edit(t, p.payload, func(st map[string]any) {
			st["subject"] = append(st["subject"].([]any), subj(st, 0))
		}), "want exactly one subject, got 2")
		add(p.name+" annotations", edit(t, p.payload, func(st map[string]any) {
			subj(st, 0)["annotations"] = map[string]any{"size": 1}
		}), "annotations are not allowed on a reference")
	}
	artifactRef := func(p []byte) []byte {
		return edit(t, p, func(st map[string]any) {
			st["subject"] = []any{map[string]any{"name": vectorArtifactID, "digest": map[string]any{"sha256": hello}}}
		})
	}
	add("endorsement of an artifact", artifactRef(en), "subject "+vectorArtifactID+" is an artifact, want an object ID")
	add("revocation of an artifact", artifactRef(rv), "subject "+vectorArtifactID+" is an artifact, want an object ID")
	// A reference names its subject in canonical form only.
	for _, name := range []string{helloFile.Digest.String(), mustBase58(vectorArtifactID), strings.ToUpper(vectorArtifactID)} {
		add("reference spelt "+name, edit(t, at, func(st map[string]any) {
			st["subject"] = []any{map[string]any{"name": name, "digest": map[string]any{"sha256": hello}}}
		}), fmt.Sprintf("subject name %q is not in canonical form %s", name, vectorArtifactID))
	}
	runRefusals(t, cases)

	// An attribution may name an artifact (a model).
	o, err := protocol.VerifyObject(signed(artifactRef(at), both...))
	if err != nil || o.About.String() != vectorArtifactID {
		t.Errorf("attribution of artifact %s: %v, %v", vectorArtifactID, o, err)
	}
}

func subjName(t *testing.T, payload []byte) (name string) {
	edit(t, payload, func(st map[string]any) { name = subj(st, 0)["name"].(string) })
	return name
}

// TestAccepted: values at the edge of each rule pass.
func TestAccepted(t *testing.T) {
	ds := vectorByName("dataset").Payload
	at := vectorByName("attribution").Payload
	en := vectorByName("endorsement").Payload
	both := []*protocol.Key{vectorKey, otherKey}
	hello := helloFile.Digest.Hex()
	var ok [][]byte
	for _, w := range []any{1, 0.000001, json.Number("1e-300")} {
		ok = append(ok, setPred(t, at, "weight", w))
	}
	for _, r := range []string{"a", "author", "co-author2", "trained-on", "x--y", strings.Repeat("a", protocol.MaxTokenLen)} {
		ok = append(ok, setPred(t, at, "role", r))
	}
	for _, l := range []string{"MIT", "(MIT OR Apache-2.0)", "GPL-2.0+ WITH Classpath-exception-2.0", "LicenseRef-commons:internal.1"} {
		ok = append(ok, setPred(t, ds, "license", l))
	}
	for _, p := range []string{"a/b/c.txt", ".hidden", "a..b", "a b", "ünïcode/ファイル", "...", strings.Repeat("p", protocol.MaxPathLen)} {
		ok = append(ok, edit(t, ds, func(st map[string]any) {
			st["subject"] = []any{map[string]any{"name": p, "digest": map[string]any{"sha256": hello}, "annotations": map[string]any{"size": 0}}}
		}))
	}
	ok = append(ok,
		setPred(t, ds, "name", strings.Repeat("n", protocol.MaxNameLen)),
		setPred(t, ds, "croissant", map[string]any{"@context": "https://schema.org/", "a": map[string]any{"a": 1}}),
		setPred(t, ds, "created", "2026-01-01T01:00:00.123456789+01:00"),
		setPred(t, ds, "created", "2000-01-01T00:00:00Z"),
		setPred(t, ds, "created", "2026-06-30T23:59:59.5-23:59"),
		setPred(t, ds, "created", "2026-02-28T12:00:00-00:00"),
		bytes.Replace(ds, []byte("Test vector"), []byte(`Test \ud83d\ude00 vector \u00e9`), 1),
		setPred(t, ds, "parents", []string{vectorByName("dataset").ID().String()}),
		setPred(t, en, "level", nil),
		edit(t, ds, func(st map[string]any) { subj(st, 0)["annotations"] = nil }),
		edit(t, ds, func(st map[string]any) { subj(st, 0)["digest"].(map[string]any)["sha512"] = "anything" }),
	)
	for _, p := range ok {
		if _, err := protocol.VerifyObject(signed(p, both...)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestFileSizeOptional(t *testing.T) {
	env := mustEnvelope(protocol.KindDataset, protocol.FileSubjects([]protocol.File{{Name: "a", Digest: helloFile.Digest, Size: -1}, {Name: "b", Digest: helloFile.Digest, Size: 0}}),
		protocol.Dataset{Name: "n", License: "MIT", Publisher: vectorKey.DID(), Created: day(1)}, vectorKey)
	if bytes.Count(env.Payload, []byte(`"annotations"`)) != 1 {
		t.Errorf("FileSubjects wrote annotations for an unknown size: %s", env.Payload)
	}
	o, err := protocol.VerifyObject(env.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if o.Files[0].Size != -1 || o.Files[1].Size != 0 {
		t.Errorf("sizes %d %d, want -1 0", o.Files[0].Size, o.Files[1].Size)
	}
}

func TestCheckTime(t *testing.T) {
	o, err := protocol.VerifyObject(vectorByName("dataset").Encode())
	if err != nil {
		t.Fatal(err)
	}
	created := day(1)
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{created, true},
		{created.Add(100 * 24 * time.Hour), true},
		{created.Add(-protocol.MaxClockSkew), true},
		{created.Add(-protocol.MaxClockSkew - time.Nanosecond), false},
		{created.Add(-24 * time.Hour), false},
	} {
		err := protocol.CheckTime(o, tc.now)
		if tc.ok {
			if err != nil {
				t.Errorf("now %s: %v", tc.now, err)
			}
			continue
		}
		wantErr(t, err, protocol.Invalid, "check time", o.ID.String(), "dated 2026-01-01T00:00:00Z, in the future")
	}
}

func TestNewEnvelopeRefusesUnknownKind(t *testing.T) {
	_, err := protocol.NewEnvelope(protocol.KindUnknown, nil, protocol.Dataset{})
	wantErr(t, err, protocol.Invalid, "unknown object kind 0")
	_, err = protocol.NewEnvelope(protocol.ObjectKind(99), nil, protocol.Dataset{})
	wantErr(t, err, protocol.Invalid, "unknown object kind 99")
	_, err = protocol.NewEnvelope(protocol.KindDataset, nil, func() {})
	wantErr(t, err, protocol.Invalid, "encode predicate")
}

func TestCheckWeight(t *testing.T) {
	for _, w := range []float64{0, -1, 1.5, nan(), inf(1), inf(-1)} {
		wantErr(t, protocol.CheckWeight(w), protocol.Invalid, "outside (0,1]")
	}
	for _, w := range []float64{1, 0.5, 5e-324} {
		if err := protocol.CheckWeight(w); err != nil {
			t.Errorf("CheckWeight(%v) = %v", w, err)
		}
	}
}

func nan() float64         { return math.NaN() }
func inf(sign int) float64 { return math.Inf(sign) }

// TestRotationRefusals: a rotation binds two keys, so each must sign it and
// its subject must be the key it retires (SPEC.md §3.3, §3.4).
func TestRotationRefusals(t *testing.T) {
	ro := vectorByName("rotation").Payload
	both := []*protocol.Key{vectorKey, otherKey}
	ed := func(f func(st map[string]any)) []byte { return edit(t, ro, f) }
	k3, err := protocol.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	third := k3.DID()
	dsID := vectorByName("dataset").ID()
	runRefusals(t, []refusal{
		{name: "new key did not sign", payload: ro, keys: []*protocol.Key{vectorKey}, kind: protocol.Invalid, words: []string{"rotation: new key " + otherKey.DID().String() + " did not sign it"}},
		{name: "old key did not sign", payload: ro, keys: []*protocol.Key{otherKey}, kind: protocol.Invalid, words: []string{"rotation: issuer " + vectorDID + " did not sign it"}},
		{name: "from and to the same key", payload: ed(func(st map[string]any) { pred(st)["to"] = vectorDID }), keys: both, kind: protocol.Invalid, words: []string{"from and to are the same key"}},
		{name: "subject is another key", payload: ed(func(st map[string]any) {
			st["subject"] = []any{map[string]any{"name": third.String(), "digest": map[string]any{"sha256": protocol.KeyDigest(third).Hex()}}}
		}), keys: both, kind: protocol.Invalid, words: []string{"is not the key from"}},
		{name: "subject digest is not the key's", payload: ed(func(st map[string]any) { subj(st, 0)["digest"] = map[string]any{"sha256": helloFile.Digest.Hex()} }), keys: both, kind: protocol.Invalid, words: []string{"is not the SHA-256 of its public key"}},
		{name: "subject with annotations", payload: ed(func(st map[string]any) { subj(st, 0)["annotations"] = map[string]any{"size": 1} }), keys: both, kind: protocol.Invalid, words: []string{"annotations are not allowed on a key"}},
		{name: "two subjects", payload: ed(func(st map[string]any) { st["subject"] = append(st["subject"].([]any), st["subject"].([]any)[0]) }), keys: both, kind: protocol.Invalid, words: []string{"want exactly one subject, the key from; got 2"}},
		{name: "an object ID as subject", payload: ed(func(st map[string]any) {
			st["subject"] = []any{map[string]any{"name": dsID.String(), "digest": map[string]any{"sha256": dsID.Digest().Hex()}}}
		}), keys: both, kind: protocol.Invalid, words: []string{"is not the key from"}},
		{name: "note with a control character", payload: ed(func(st map[string]any) { pred(st)["note"] = "a\x1b[2Jb" }), keys: both, kind: protocol.Invalid, words: []string{"note"}},
	})
}
