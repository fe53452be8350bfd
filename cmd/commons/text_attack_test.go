package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/testnet"
)

// A node prints what other nodes published. Validation refuses text that
// acts on a terminal (protocol, TestTextRefusals), but a store may hold
// records accepted before that rule: the CLI must print them safely all
// the same. These tests build what such a store would answer, bypassing
// validation, and read what the CLI prints.

const (
	escTitle  = "\x1b]0;owned\x07\x1b[2J\x1b[H" // sets the window title, clears the screen
	fakeIssue = "did:key:z6MkFORGEDFORGEDFORGEDFORGEDFORGEDFORGEDFORGED"
)

// hostile is, per field, text meant to act on the terminal or forge rows.
var hostile = map[string]string{
	"name":     "Weather " + escTitle + "data",
	"license":  "MIT\u009b2J", // a C1 CSI
	"standard": "ISO 8000\n" + fakeIssue + "\tGOLD\t-\ttrue\tforged",
	"level":    "gold\r" + fakeIssue,
	"reason":   "spam\n\nsteward endorsed:\ttrue",
	"path":     "report\u202etxt.exe",
	"invis":    "\u200b\u200b",
	"version":  "\u2028v2",
	"param":    "7\x7f\u2066x",
}

// benign is the same shape with ordinary text, for the count of lines.
var benign = map[string]string{
	"name": "Weather data", "license": "MIT", "standard": "ISO 8000", "level": "gold",
	"reason": "spam", "path": "report.txt", "invis": "x", "version": "v2", "param": "7",
}

// wantSafe fails t if out holds anything that acts on a terminal: a C0
// control other than line feed, DEL, a C1 control, a line or paragraph
// separator, a bidirectional control or a zero-width space.
func wantSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		bad := r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029' ||
			r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u200b'
		if bad {
			t.Errorf("%s prints %U at byte %d:\n%s", what, r, i, out)
			return
		}
	}
}

// wantNoForgedRow fails t if a line of out begins with what only a forged
// row would begin with.
func wantNoForgedRow(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, fakeIssue) || strings.HasPrefix(l, "steward endorsed:") {
			t.Errorf("%s prints a forged row %q:\n%s", what, l, out)
		}
	}
}

func testDID() protocol.DID {
	k, err := protocol.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return k.DID()
}

func render(print func(t *table)) string {
	var b strings.Builder
	t := newTable(&b)
	print(t)
	t.flush()
	return b.String()
}

func testAttribution(text map[string]string) *api.Attribution {
	did := testDID()
	id := protocol.ObjectID([]byte("subject"))
	standing := &api.Standing{Status: "flagged", Reason: text["reason"], Proposal: protocol.ObjectID([]byte("proposal"))}
	c := api.Contributor{DID: did, Role: "annotator", Weight: 0.5, Trust: protocol.Asserted, Claim: protocol.ObjectID([]byte("claim")), Issuer: did, Signers: []protocol.DID{did}, Created: time.Unix(1.7e9, 0).UTC(), Note: text["reason"]}
	return &api.Attribution{
		Subject: id, Kind: "dataset", Name: text["name"], Publisher: did, Standing: standing,
		Contributors: []api.Contributor{c},
		Endorsements: []api.EndorsementView{{ID: protocol.ObjectID([]byte("endorsement")), Issuer: did, Standard: text["standard"], Level: text["level"], Steward: false}},
		Lineage: []api.Ancestor{{ID: protocol.ObjectID([]byte("parent")), Name: text["invis"], Kind: "dataset", Depth: 1, Via: id,
			Contributors: []api.Contributor{c}, Standing: standing}},
	}
}

func testDataset(text map[string]string) *api.DatasetView {
	did := testDID()
	return &api.DatasetView{
		ID: protocol.ObjectID([]byte("dataset")), Name: text["name"], Description: text["reason"], License: text["license"],
		Version: text["version"], Publisher: did, Created: time.Unix(1.7e9, 0).UTC(), Signers: []protocol.DID{did},
		Files: []api.FileView{{Name: text["path"], SHA256: strings.Repeat("ab", 32), Size: 5}, {Name: text["invis"], SHA256: strings.Repeat("cd", 32), Size: 7}},
		Bytes: 12, Standing: &api.Standing{Status: "delisted", Reason: text["reason"]},
	}
}

func testGovState(text map[string]string) *api.GovState {
	did := testDID()
	prop := protocol.ObjectID([]byte("proposal"))
	value := text["param"]
	return &api.GovState{
		Network: protocol.NetworkIDOf([]byte("genesis")), StateHash: "sha256:00", Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Updates: 3,
		Stewards: []protocol.DID{did}, Threshold: 1,
		Revoked:  []api.GovRevoked{{DID: did, Effective: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Reason: text["reason"], Proposal: prop}},
		Datasets: map[protocol.ID]api.GovStanding{protocol.ObjectID([]byte("dataset")): {Status: "flagged", Reason: text["reason"], Proposal: prop}},
		Params:   map[string]string{"review-days": text["param"]},
		Proposals: []api.GovProposal{{ID: prop, Status: gov.ProposalOpen, Proposer: did, Yes: []protocol.DID{did},
			Action: gov.ActSetParam, Name: "motto", Value: &value, Reason: text["reason"], Expires: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}},
	}
}

func testGovLog(text map[string]string) []api.GovLogEntry {
	var e api.GovLogEntry
	e.ID, e.Author, e.Time, e.Depth, e.Result = protocol.ObjectID([]byte("u")), testDID(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1, "applied"
	e.Propose = &api.GovOp{Action: gov.ActDatasetStatus, Dataset: protocol.ObjectID([]byte("dataset")), Reason: text["reason"], Status: "flagged"}
	ignored := e
	ignored.Result, ignored.Why = "ignored", text["reason"]
	return []api.GovLogEntry{e, ignored}
}

func testLocated(text map[string]string) *api.LocateResult {
	return &api.LocateResult{SHA256: strings.Repeat("ab", 32), Datasets: []api.LocatedEntry{
		{ID: protocol.ObjectID([]byte("dataset")), Name: text["name"], Path: text["path"]},
		{ID: protocol.ObjectID([]byte("other")), Name: text["invis"], Path: text["standard"]},
	}}
}

func testDatasets(text map[string]string) []api.DatasetSummary {
	return []api.DatasetSummary{{ID: protocol.ObjectID([]byte("dataset")), Name: text["name"], License: text["license"], Publisher: testDID(), Files: 2, Bytes: 12},
		{ID: protocol.ObjectID([]byte("other")), Name: text["standard"], License: text["invis"]}}
}

// TestHostileTextPrinted prints what attribution, dataset show, dataset
// list, locate, gov state and gov log would print of hostile records: no
// escape sequence, control, separator or bidirectional control reaches
// the terminal, every record prints as many lines as an ordinary one (no
// forged row), and the hostile values show, quoted and escaped.
func TestHostileTextPrinted(t *testing.T) {
	for _, tc := range []struct {
		what  string
		print func(text map[string]string) func(*table)
	}{
		{"attribution", func(x map[string]string) func(*table) {
			return func(t *table) { printAttribution(t, testAttribution(x)) }
		}},
		{"dataset show", func(x map[string]string) func(*table) { return func(t *table) { printDataset(t, testDataset(x)) } }},
		{"dataset list", func(x map[string]string) func(*table) { return func(t *table) { printDatasets(t, testDatasets(x)) } }},
		{"locate", func(x map[string]string) func(*table) { return func(t *table) { printLocated(t, testLocated(x)) } }},
		{"gov state", func(x map[string]string) func(*table) { return func(t *table) { printGovState(t, testGovState(x)) } }},
		{"gov log", func(x map[string]string) func(*table) { return func(t *table) { printGovLog(t, testGovLog(x)) } }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			out, plain := render(tc.print(hostile)), render(tc.print(benign))
			wantSafe(t, tc.what, out)
			wantNoForgedRow(t, tc.what, out)
			if got, want := strings.Count(out, "\n"), strings.Count(plain, "\n"); got != want {
				t.Errorf("%s prints %d lines of hostile text, %d of ordinary text:\n%s\n---\n%s", tc.what, got, want, out, plain)
			}
			if !strings.Contains(out, `\x1b]0;owned\a\x1b[2J`) && !strings.Contains(out, `\nsteward endorsed:\ttrue`) && !strings.Contains(out, `\n`+fakeIssue) {
				t.Errorf("%s does not show the hostile text escaped:\n%s", tc.what, out)
			}
		})
	}
}

func TestSafeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Weather data", "Weather data"},
		{"Données de l’Île-de-France", "Données de l’Île-de-France"},
		{"ファイル שלום مرحبا", "ファイル שלום مرحبا"},
		{"❤️ 👩\u200d🔬", "❤️ 👩\u200d🔬"},
		{"a\u00a0b", "a\u00a0b"},
		{"", ""},
		{"x" + escTitle, `"x\x1b]0;owned\a\x1b[2J\x1b[H"`},
		{"a\nb\tc", `"a\nb\tc"`},
		{"a\rb", `"a\rb"`},
		{"report\u202etxt.exe", `"report\u202etxt.exe"`},
		{"a\u2066b\u2069", `"a\u2066b\u2069"`},
		{"a\u2028b", `"a\u2028b"`},
		{"MIT\u009b2J", `"MIT\u009b2J"`},
		{"a\x7f", `"a\x7f"`},
		{"\u200b\u200b", `"\u200b\u200b"`},
		{"\u3164", `"\u3164"`},
		{"   ", `"   "`},
		{"a\xffb", `"a\xffb"`},
		{`"quoted" looks escaped`, `"\"quoted\" looks escaped"`},
	} {
		if got := safeText(tc.in); got != tc.want {
			t.Errorf("safeText(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestSafeMessage(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`read "a.txt": no such file`, `read "a.txt": no such file`},
		{"open /tmp/x" + escTitle, `open /tmp/x\x1b]0;owned\a\x1b[2J\x1b[H`},
		{"first\nsecond\r", `first; second`},
		{"a\rb\u202ec\u009b\xff", `a\rb\u202ec\u009b\xff`},
		{"Données ファイル", "Données ファイル"},
	} {
		if got := safeMessage(tc.in); got != tc.want {
			t.Errorf("safeMessage(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestHostileJSON prints hostile records with --json: encoding/json
// escapes C0 controls and U+2028/9 but not DEL, C1 controls nor
// bidirectional controls; the output escapes those too, and reads back
// as the same values.
func TestHostileJSON(t *testing.T) {
	a := testAttribution(hostile)
	var out bytes.Buffer
	env := &Env{Stdout: &out, JSON: true}
	if err := env.PrintTable(a, nil); err != nil {
		t.Fatal(err)
	}
	wantSafe(t, "attribution --json", strings.ReplaceAll(out.String(), "\n", ""))
	var back api.Attribution
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out.String())
	}
	if !reflect.DeepEqual(&back, a) {
		t.Errorf("--json reads back as\n%+v\nwant\n%+v", back, *a)
	}
	for _, v := range hostile {
		out.Reset()
		if err := env.PrintTable(map[string]string{"v": v}, nil); err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["v"] != v {
			t.Errorf("%q: --json prints %s, reads back %q, %v", v, out.String(), m["v"], err)
		}
		wantSafe(t, "--json", strings.TrimSuffix(out.String(), "\n"))
	}
}

// TestHostileErrorMessage runs the CLI with a repo path that holds an
// escape sequence, a line break and a bidirectional override: the error
// names the repo, on one line, with nothing that acts on the terminal.
func TestHostileErrorMessage(t *testing.T) {
	repo := t.TempDir() + "/x" + escTitle + "\nforged line\u202e"
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	code := m.Run(context.Background(), []string{"--repo", repo, "dataset", "list"})
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, stderr.String())
	}
	msg := stderr.String()
	wantSafe(t, "the error", msg)
	if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, `\x1b]0;owned`) {
		t.Errorf("error %q: want one line naming the repo, escaped", msg)
	}
	stderr.Reset()
	code = m.Run(context.Background(), []string{"dataset", "list", "unexpected" + escTitle})
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
	}
	wantSafe(t, "the usage error", stderr.String())
}

// TestE2EHostileTextRefused hands a running daemon, through the real
// binary's `object put`, datasets signed elsewhere whose text would act on
// another user's terminal or whose paths collide: each is refused, the
// error is one safe line, nothing is stored; a dataset in other scripts is
// stored and listed as written.
func TestE2EHostileTextRefused(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	key, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name string) protocol.File {
		return protocol.File{Name: name, Digest: protocol.SumDigest([]byte(name)), Size: 1}
	}
	put := func(name string, files []protocol.File) testnet.Result {
		env, err := protocol.NewEnvelope(protocol.KindDataset, protocol.FileSubjects(files), protocol.Dataset{
			Name: name, License: "MIT", Publisher: key.DID(), Created: time.Now().UTC().Truncate(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		key.Sign(env)
		p := filepath.Join(dir, "envelope.json")
		if err := os.WriteFile(p, env.Encode(), 0o644); err != nil {
			t.Fatal(err)
		}
		return testnet.Run(t, nil, "object", "put", p, "--repo", repo)
	}
	for _, tc := range []struct {
		what  string
		name  string
		files []protocol.File
		want  string
	}{
		{"escape sequence in the name", "Weather " + escTitle, []protocol.File{file("a")}, "control character"},
		{"forged rows in the name", "x\nsteward endorsed:\ttrue", []protocol.File{file("a")}, "control character"},
		{"invisible name", "\u200b\u3164", []protocol.File{file("a")}, "no visible character"},
		{"override in a path", "D", []protocol.File{file("report\u202etxt.exe")}, "bidirectional control"},
		{"paths equal after NFC", "D", []protocol.File{file("caf\u00e9"), file("cafe\u0301")}, "Unicode normalisation (NFC)"},
		{"a file and its directory", "D", []protocol.File{file("a"), file("a/b")}, "a directory of"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			r := put(tc.name, tc.files)
			if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Fatalf("want one line of error naming %q:\n%s", tc.want, r)
			}
			wantSafe(t, "the error", r.Stderr)
		})
	}
	var list []api.DatasetSummary
	testnet.RunJSON(t, &list, "dataset", "list", "--repo", repo, "--json")
	if len(list) != 0 {
		t.Fatalf("stored %d hostile datasets: %+v", len(list), list)
	}
	const name = "Données de l’Île ファイル שלום"
	if r := put(name, []protocol.File{file("données/ファイル.csv")}); r.Code != 0 {
		t.Fatalf("object put of a dataset in other scripts:\n%s", r)
	}
	r := testnet.Run(t, nil, "dataset", "list", "--repo", repo)
	if r.Code != 0 || !strings.Contains(r.Stdout, name) {
		t.Errorf("dataset list does not print %q as written:\n%s", name, r)
	}
	wantSafe(t, "dataset list", r.Stdout)
	r = testnet.Run(t, nil, "object", "put", filepath.Join(dir, "missing"+escTitle+".json"), "--repo", repo)
	if r.Code != 1 || !strings.Contains(r.Stderr, `missing\x1b]0;owned`) {
		t.Errorf("object put of a missing file: want the path quoted and escaped:\n%s", r)
	}
	wantSafe(t, "the error", r.Stderr)
}
