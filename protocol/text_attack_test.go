package protocol_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// hostileText is, by class, what a node must not accept in the text
// another node will print: what moves a terminal, forges a line of a
// table, reorders what a reader sees, or looks like nothing.
var hostileText = []struct {
	class, text string
	prose       bool // prose fields accept it
}{
	{"C0 escape (ANSI title, clear screen)", "x\x1b]0;pwned\x07\x1b[2J", false},
	{"C0 NUL", "x\x00y", false},
	{"C0 carriage return", "real\rfake", false},
	{"C0 line feed", "x\nsteward endorsed:\ttrue", true},
	{"C0 tab", "x\ty", true},
	{"C0 vertical tab", "x\vy", false},
	{"DEL", "x\x7fy", false},
	{"C1 CSI", "x\u009b2Jy", false},
	{"C1 next line", "x\u0085y", false},
	{"line separator", "x\u2028y", false},
	{"paragraph separator", "x\u2029y", false},
	{"bidi override RLO", "report\u202etxt.exe", false},
	{"bidi embedding LRE", "x\u202ay", false},
	{"bidi pop PDF", "x\u202cy", false},
	{"bidi isolate LRI", "x\u2066y", false},
	{"bidi isolate PDI", "x\u2069y", false},
	{"bidi mark LRM", "x\u200ey", false},
	{"bidi mark RLM", "x\u200fy", false},
	{"arabic letter mark", "x\u061cy", false},
	{"invisible: spaces", "   ", false},
	{"invisible: no-break and ideographic spaces", "\u00a0\u3000", false},
	{"invisible: zero width", "\u200b\u200c\u200d", false},
	{"invisible: word joiner and BOM", "\u2060\ufeff", false},
	{"invisible: variation selectors", "\ufe0f\U000e0100", false},
	{"invisible: Hangul filler", "\u3164", false},
	{"invisible: Braille blank", "\u2800\u2800", false},
	{"invisible: soft hyphen and CGJ", "\u00ad\u034f", false},
	{"invisible: tag characters", "\U000e0041\U000e007f", false},
	{"invisible: prose white space", " \n\t ", false},
}

// friendlyText is text in other scripts and with emoji: it must be
// accepted, in every field.
var friendlyText = []string{
	"Données de l’Île-de-France",
	"ファイル 2026",
	"שלום עולם",     // right-to-left letters, no control
	"مرحبا بالعالم", // idem
	"❤️ data 👩‍🔬",   // a variation selector and a zero width joiner inside visible text
	"नमस्ते",
	"a\u00a0b",
}

// textField is one text field of one record, and how to make the record
// with a value in it.
type textField struct {
	name  string
	prose bool
	check func(t *testing.T, value string) error
}

func textFields(t *testing.T) []textField {
	statement := func(vector, field string) func(*testing.T, string) error {
		payload := vectorByName(vector).Payload
		return func(t *testing.T, v string) error {
			_, err := protocol.VerifyObject(signed(setPred(t, payload, field, v), vectorKey, otherKey))
			return err
		}
	}
	proposal := func(action gov.Action, field string) func(*testing.T, string) error {
		u := govProposal(t, action)
		return func(t *testing.T, v string) error {
			payload := edit(t, u.Envelope.Payload, func(m map[string]any) { m["propose"].(map[string]any)[field] = v })
			env := &protocol.Envelope{PayloadType: gov.PayloadType, Payload: payload}
			vectorKey.Sign(env)
			_, decodeErr := gov.DecodeUpdate(env.Encode())
			// NewUpdate refuses alike what it would sign.
			p := *u.Propose
			switch field {
			case "reason":
				p.Reason = v
			case "value":
				p.Value = v
			}
			_, newErr := gov.NewUpdate(u.Network, vectorKey, u.Parents, u.Time, &p, nil)
			if (decodeErr == nil) != (newErr == nil) {
				t.Errorf("%s %q: DecodeUpdate says %v, NewUpdate says %v", field, v, decodeErr, newErr)
			}
			return decodeErr
		}
	}
	genesis := func(field string) func(*testing.T, string) error {
		return func(t *testing.T, v string) error {
			q, _ := json.Marshal(v)
			doc := genesisWith(`"Test commons"`, string(q))
			if field == "params" {
				doc = genesisWith(`"100"`, string(q))
			}
			_, _, err := protocol.DecodeGenesis(doc)
			return err
		}
	}
	return []textField{
		{"dataset name", false, statement("dataset", "name")},
		{"dataset description", true, statement("dataset", "description")},
		{"dataset version", false, statement("dataset", "version")},
		{"attribution note", true, statement("attribution", "note")},
		{"derivation note", true, statement("derivation", "note")},
		{"endorsement standard", false, statement("endorsement", "standard")},
		{"endorsement note", true, statement("endorsement", "note")},
		{"revocation reason", true, statement("revocation", "reason")},
		{"revoke-key reason", true, proposal(gov.ActRevokeKey, "reason")},
		{"dataset-status reason", true, proposal(gov.ActDatasetStatus, "reason")},
		{"set-param value", false, proposal(gov.ActSetParam, "value")},
		{"genesis name", false, genesis("name")},
		{"genesis param", false, genesis("params")},
	}
}

// govProposal returns a valid proposal of action, by vectorKey, on a
// commons of vectorKey and otherKey.
func govProposal(t *testing.T, action gov.Action) *gov.Update {
	g := &protocol.Genesis{Name: "Governance test", Threshold: 2, Created: day(1),
		Stewards: []protocol.DID{vectorKey.DID(), otherKey.DID()}}
	raw, err := protocol.EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	net := protocol.NetworkIDOf(raw)
	p := &gov.Proposal{Action: action, Expires: day(5), Reason: "key leaked"}
	switch action {
	case gov.ActRevokeKey:
		p.DID, p.Effective = otherKey.DID(), day(1)
	case gov.ActDatasetStatus:
		p.Dataset, p.Status = protocol.MustParseID(vectorDatasetID), gov.StatusDelisted
	case gov.ActSetParam:
		p.Name, p.Value, p.Reason = "max-claims", "200", ""
	}
	u, err := gov.NewUpdate(net, vectorKey, []protocol.ID{net.ID()}, day(2), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTextRefusals puts each class of hostile text in each text field of
// each record, through the door every record passes (VerifyObject,
// gov.DecodeUpdate and gov.NewUpdate, DecodeGenesis): each is invalid, but
// line feeds and tabs in prose.
func TestTextRefusals(t *testing.T) {
	for _, f := range textFields(t) {
		for _, h := range hostileText {
			t.Run(f.name+"/"+h.class, func(t *testing.T) {
				err := f.check(t, h.text)
				if f.prose && h.prose {
					if err != nil {
						t.Fatalf("prose %q refused: %v", h.text, err)
					}
					return
				}
				if err == nil {
					t.Fatalf("%q accepted", h.text)
				}
				if k := protocol.KindOf(err); k != protocol.Invalid {
					t.Errorf("kind %q, want invalid: %v", k, err)
				}
				if strings.Contains(err.Error(), "\x1b") || strings.Contains(err.Error(), "\u202e") {
					t.Errorf("the error echoes the hostile text raw: %q", err)
				}
			})
		}
		for _, s := range friendlyText {
			t.Run(f.name+"/accepts "+s, func(t *testing.T) {
				if err := f.check(t, s); err != nil {
					t.Errorf("%q refused: %v", s, err)
				}
			})
		}
	}
}

// TestPathRefusals covers the paths of a record: characters no path may
// hold, segments that look empty, two paths that are one file after
// Unicode normalisation, a path that is the directory of another, and
// sizes whose sum overflows.
func TestPathRefusals(t *testing.T) {
	ds := vectorByName("dataset").Payload
	hello := helloFile.Digest.Hex()
	type file struct {
		name string
		size int64
	}
	files := func(fs ...file) []byte {
		return edit(t, ds, func(st map[string]any) {
			var s []any
			for _, f := range fs {
				d := map[string]any{"name": f.name, "digest": map[string]any{"sha256": hello}}
				if f.size >= 0 {
					d["annotations"] = map[string]any{"size": f.size}
				}
				s = append(s, d)
			}
			st["subject"] = s
		})
	}
	var cases []refusal
	add := func(name string, payload []byte, words ...string) {
		cases = append(cases, refusal{name: name, payload: payload, kind: protocol.Invalid, words: words})
	}
	for _, tc := range []struct{ path, word string }{
		{"report\u202etxt.exe", "bidirectional control U+202E"},
		{"a/\u2066b\u2069", "bidirectional control U+2066"},
		{"a\u200fb", "bidirectional control U+200F"},
		{"a\u061cb", "bidirectional control U+061C"},
		{"a\u2028b", "line or paragraph separator"},
		{"a\x1b[2Jb", "control character U+001B"},
		{"a\u009bb", "control character U+009B"},
		{"a/\u200b/b", "no visible character"},
		{"\u3164", "no visible character"},
		{"a/ /b", "no visible character"},
		{"\ufeff/x", "no visible character"},
	} {
		add(fmt.Sprintf("path %q", tc.path), files(file{"ok.txt", 1}, file{tc.path, 1}), "subject 1", tc.word)
	}
	add("NFC and NFD of one name", files(file{"caf\u00e9.csv", 1}, file{"cafe\u0301.csv", 1}),
		"subject 1", "same file after Unicode normalisation (NFC)")
	add("NFC collision in a directory", files(file{"\u00e9t\u00e9/a", 1}, file{"b", 1}, file{"e\u0301te\u0301/a", 1}),
		"subject 2", "same file after Unicode normalisation (NFC)")
	add("file and directory", files(file{"a", 1}, file{"a/b", 1}), "subject 1", `path "a" is a file, and a directory of path "a/b"`)
	add("directory first", files(file{"x/y/z", 1}, file{"x/y", 1}), "subject 0", `path "x/y" is a file, and a directory of path "x/y/z"`)
	add("file and directory after NFC", files(file{"e\u0301", 1}, file{"\u00e9/b", 1}), "is a file, and a directory of")
	add("sizes overflow", files(file{"a", math.MaxInt64}, file{"b", math.MaxInt64}), "add up to more than 9223372036854775807 bytes")
	add("sizes overflow by one", files(file{"a", math.MaxInt64}, file{"b", 1}), "add up to more than")
	runRefusals(t, cases)

	for _, fs := range [][]file{
		{{"café.csv", 1}, {"cafe.csv", 1}},   // different names
		{{"a/b", 1}, {"a/c", 1}, {"ab", 1}},  // siblings, a prefix that is not a directory
		{{"a.d/x", 1}, {"a", 1}},             // "a" is not a directory of "a.d/x"
		{{"a", math.MaxInt64}, {"b", -1}},    // an unknown size counts nothing
		{{"a", math.MaxInt64 - 1}, {"b", 1}}, // exactly the largest total
		{{"שלום/ファイル ❤️.csv", 0}, {"x", 0}},  // other scripts
	} {
		if _, err := protocol.VerifyObject(signed(files(fs...), vectorKey)); err != nil {
			t.Errorf("files %v refused: %v", fs, err)
		}
	}
}

func TestTotalSize(t *testing.T) {
	f := func(sizes ...int64) []protocol.File {
		out := make([]protocol.File, len(sizes))
		for i, s := range sizes {
			out[i].Size = s
		}
		return out
	}
	for _, tc := range []struct {
		files []protocol.File
		want  int64
		ok    bool
	}{
		{nil, 0, true},
		{f(1, 2, -1), 3, true},
		{f(math.MaxInt64, 0), math.MaxInt64, true},
		{f(math.MaxInt64, math.MaxInt64), math.MaxInt64, false},
		{f(math.MaxInt64/2+1, math.MaxInt64/2+1), math.MaxInt64, false},
	} {
		if got, ok := protocol.TotalSize(tc.files); got != tc.want || ok != tc.ok {
			t.Errorf("TotalSize(%v) = %d, %v; want %d, %v", tc.files, got, ok, tc.want, tc.ok)
		}
	}
}
