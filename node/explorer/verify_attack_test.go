package explorer

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// A node that serves a doctored envelope is caught by the reader's own
// browser: assets/verify.js, run here under Node.js's Web Crypto (the same
// API as the browser's), accepts the envelopes a node signs and refuses
// every change to them.

type verifyCase struct {
	name     string
	ID       string `json:"id"`
	Envelope string `json:"envelope"`
	ok       bool
}

func runVerifyJS(t *testing.T, cases []verifyCase) []struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason"`
} {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("COMMONS_SKIP_NODEJS") == "1" {
			t.Skip("COMMONS_SKIP_NODEJS=1: assets/verify.js is not checked")
		}
		t.Fatal("node (Node.js) is not on PATH: assets/verify.js cannot be checked; install Node.js (apt-get install nodejs) or set COMMONS_SKIP_NODEJS=1 to skip this test")
	}
	in, _ := json.Marshal(cases)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, filepath.Join("testdata", "verify.mjs"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node verify.mjs: %v\n%s", err, stderr.String())
	}
	var out []struct {
		OK     bool   `json:"ok"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out) != len(cases) {
		t.Fatalf("node verify.mjs answered %q: %v", stdout.String(), err)
	}
	return out
}

func TestVerifyJSCatchesDoctoredEnvelopes(t *testing.T) {
	a, _ := protocol.GenerateKey(rand.Reader)
	b, _ := protocol.GenerateKey(rand.Reader)
	ds := &protocol.Dataset{Name: "Weather", License: "CC-BY-4.0", Publisher: a.DID(), Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	env, err := protocol.NewEnvelope(protocol.KindDataset, protocol.FileSubjects([]protocol.File{{Name: "a.txt", Digest: protocol.SumDigest([]byte("a")), Size: 1}}), ds)
	if err != nil {
		t.Fatal(err)
	}
	a.Sign(env)
	b.Sign(env)
	id := env.ID().String()
	good := string(env.Encode())

	// edit rewrites the envelope's JSON.
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal([]byte(good), &m)
		f(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	sigs := func(m map[string]any) []any { return m["signatures"].([]any) }
	doctored := bytes.Replace(env.Payload, []byte("Weather"), []byte("Weathes"), 1)
	other := protocol.ObjectID([]byte("another payload")).String()

	cases := []verifyCase{
		{name: "as signed", ID: id, Envelope: good, ok: true},
		{name: "another payload under the same signatures", ID: id, Envelope: edit(func(m map[string]any) {
			m["payload"] = base64.StdEncoding.EncodeToString(doctored)
		})},
		{name: "another payload, asked for by its own ID", ID: protocol.ObjectID(doctored).String(), Envelope: edit(func(m map[string]any) {
			m["payload"] = base64.StdEncoding.EncodeToString(doctored)
		})},
		{name: "the envelope of another ID", ID: other, Envelope: good},
		{name: "a signature flipped", ID: id, Envelope: edit(func(m map[string]any) {
			s := sigs(m)[1].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(s["sig"].(string))
			raw[10] ^= 1
			s["sig"] = base64.StdEncoding.EncodeToString(raw)
		})},
		{name: "a signature given to another key", ID: id, Envelope: edit(func(m map[string]any) {
			sigs(m)[0].(map[string]any)["keyid"], sigs(m)[1].(map[string]any)["keyid"] = sigs(m)[1].(map[string]any)["keyid"], sigs(m)[0].(map[string]any)["keyid"]
		})},
		{name: "no signature", ID: id, Envelope: edit(func(m map[string]any) { m["signatures"] = []any{} })},
		{name: "a member added", ID: id, Envelope: edit(func(m map[string]any) { m["note"] = "trust me" })},
		{name: "another payload type", ID: id, Envelope: edit(func(m map[string]any) { m["payloadType"] = "text/plain" })},
		{name: "a signer that is no did:key", ID: id, Envelope: edit(func(m map[string]any) { sigs(m)[0].(map[string]any)["keyid"] = "did:web:evil.example" })},
		{name: "a short signature", ID: id, Envelope: edit(func(m map[string]any) { sigs(m)[0].(map[string]any)["sig"] = "AAAA" })},
		{name: "not JSON", ID: id, Envelope: good[:len(good)-1]},
	}
	// The vectors of SPEC §9 verify too: an independent signer's bytes.
	for _, v := range specVectors(t) {
		cases = append(cases, verifyCase{name: "SPEC vector " + v[0], ID: v[0], Envelope: v[1], ok: true})
	}
	for i, got := range runVerifyJS(t, cases) {
		c := cases[i]
		if got.OK != c.ok {
			t.Errorf("%s: verified %v (%s), want %v", c.name, got.OK, got.Reason, c.ok)
		}
		if !got.OK && got.Reason == "" {
			t.Errorf("%s: refused without saying why", c.name)
		}
	}
}

// specVectors are the IDs and envelopes of SPEC.md §9.4 and §9.5.
func specVectors(t *testing.T) [][2]string {
	b, err := os.ReadFile(filepath.Join("..", "..", "SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var out [][2]string
	for _, sec := range []string{"### §9.4 Dataset", "### §9.5 Attribution"} {
		part := s[strings.Index(s, sec):]
		id := part[strings.Index(part, "- ID: `")+len("- ID: `"):]
		id = id[:strings.Index(id, "`")]
		env := part[strings.Index(part, "Envelope:\n\n```json\n")+len("Envelope:\n\n```json\n"):]
		env = env[:strings.Index(env, "\n```")]
		out = append(out, [2]string{id, env})
	}
	return out
}
