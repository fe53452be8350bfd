package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// dsse runs testdata/dsse.mjs, the independent Node.js implementation of
// SPEC.md §1, §2 and §4, and returns its stdout and whether it exited 0.
func dsse(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("COMMONS_SKIP_NODEJS") == "1" {
			t.Skip("COMMONS_SKIP_NODEJS=1: the vectors are not checked against the independent implementation, testdata/dsse.mjs")
		}
		t.Fatal("node (Node.js) is not on PATH: the vectors cannot be checked against the independent implementation, testdata/dsse.mjs; install Node.js (apt-get install nodejs) or set COMMONS_SKIP_NODEJS=1 to skip these tests")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, append([]string{filepath.Join("testdata", "dsse.mjs")}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("node dsse.mjs %s: %v", strings.Join(args, " "), err)
	}
	if err != nil {
		t.Logf("node dsse.mjs %s: %s", args[0], strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), err == nil
}

func TestNodeDID(t *testing.T) {
	for seed, key := range map[string]*protocol.Key{seedHex: vectorKey, otherSeedHex: otherKey} {
		out, ok := dsse(t, "did", seed)
		if got := strings.TrimSpace(out); !ok || got != key.DID().String() {
			t.Errorf("node did %s = %q, want %s", seed, got, key.DID())
		}
	}
	if vectorKey.DID().String() != vectorDID {
		t.Errorf("Go did = %s, want %s", vectorKey.DID(), vectorDID)
	}
}

// TestNodeSignsGoVerifies: Node signs each vector payload, in every base64
// variant DSSE allows; Go verifies it, and since Ed25519 is deterministic the
// envelope Go re-encodes is the vector, byte for byte.
func TestNodeSignsGoVerifies(t *testing.T) {
	for _, v := range vectors() {
		var seeds []string
		for _, s := range v.env.Signatures {
			if s.KeyID == vectorKey.DID() {
				seeds = append(seeds, seedHex)
			} else {
				seeds = append(seeds, otherSeedHex)
			}
		}
		payloadFile := filepath.Join("testdata", "vector-"+v.name+"-payload.json")
		for _, variant := range []string{"std", "std-nopad", "url", "url-nopad"} {
			out, ok := dsse(t, "sign", strings.Join(seeds, ","), payloadFile, "--b64", variant)
			if !ok {
				t.Fatalf("%s/%s: node could not sign", v.name, variant)
			}
			o, err := protocol.VerifyObject([]byte(out))
			if err != nil {
				t.Errorf("%s/%s: Go refuses what node signed: %v\n%s", v.name, variant, err, out)
				continue
			}
			if got, want := o.Envelope.Encode(), v.env.Encode(); !bytes.Equal(got, want) {
				t.Errorf("%s/%s: node's envelope decodes to\n%s\nwant\n%s", v.name, variant, got, want)
			}
		}
	}
	// A payload type Go does not know still verifies as DSSE.
	tmp := filepath.Join(t.TempDir(), "hello")
	os.WriteFile(tmp, []byte("hello world"), 0o644)
	out, _ := dsse(t, "sign", seedHex, tmp, "--type", "http://example.com/HelloWorld")
	env, err := protocol.DecodeEnvelope([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(); err != nil || env.PayloadType != "http://example.com/HelloWorld" || string(env.Payload) != "hello world" {
		t.Errorf("Go verifying node's HelloWorld envelope: %v", err)
	}
}

// TestGoSignsNodeVerifies: node verifies every vector Go made, computes the
// same ID, and refuses an envelope with one bad signature among good ones.
func TestGoSignsNodeVerifies(t *testing.T) {
	for _, v := range vectors() {
		out, ok := dsse(t, "verify", filepath.Join("testdata", "vector-"+v.name+"-envelope.json"))
		if !ok {
			t.Errorf("%s: node refuses what Go signed", v.name)
			continue
		}
		var got struct {
			ID          string   `json:"id"`
			PayloadType string   `json:"payloadType"`
			Signers     []string `json:"signers"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != v.env.ID().String() {
			t.Errorf("%s: node computes id %s, Go %s", v.name, got.ID, v.env.ID())
		}
		var want []string
		for _, d := range v.env.Signers() {
			want = append(want, d.String())
		}
		if strings.Join(got.Signers, " ") != strings.Join(want, " ") {
			t.Errorf("%s: node signers %v, want %v", v.name, got.Signers, want)
		}
	}

	// A freshly signed envelope with a third key, and spoiled copies of it.
	env := vectorByName("attribution")
	third := mustKey(seq(0x40))
	third.Sign(env)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, ok := dsse(t, "verify", write("good.json", env.Encode())); !ok {
		t.Error("node refuses a three-signature envelope Go signed")
	}
	w := toWire(t, env.Encode())
	sig, _ := base64.StdEncoding.DecodeString(w.Signatures[2].Sig)
	sig[0] ^= 1
	w.Signatures[2].Sig = base64.StdEncoding.EncodeToString(sig)
	if _, ok := dsse(t, "verify", write("badsig.json", w.bytes())); ok {
		t.Error("node accepts an envelope with one bad signature")
	}
	w = toWire(t, env.Encode())
	w.Signatures[0].KeyID = w.Signatures[1].KeyID
	if _, ok := dsse(t, "verify", write("badkeyid.json", w.bytes())); ok {
		t.Error("node accepts a signature under another key's keyid")
	}
	w = toWire(t, env.Encode())
	w.Payload = base64.StdEncoding.EncodeToString(append(env.Payload, ' '))
	if _, ok := dsse(t, "verify", write("badpayload.json", w.bytes())); ok {
		t.Error("node accepts a changed payload")
	}
}
