package main

// End-to-end tests: build the real binary, start real daemons on temporary
// repos, and drive every command through the command line with --json, as
// a user or a script would. The harness is the testnet
// package (testnet.Start, testnet.Run); the JSON shapes read are in
// e2e_contract_test.go.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// TestScenario walks the story through one daemon, then carries
// envelopes to a second one.
func TestScenario(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var id idJSON
	testnet.RunJSON(t, &id, r("id")...)
	if !strings.HasPrefix(id.DID, "did:key:z") || id.PeerID == "" {
		t.Fatalf("id: %+v", id)
	}

	var alice, bob keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	testnet.RunJSON(t, &bob, "--json", "key", "--repo", repo, "new", "bob") // global flags anywhere
	if alice.Name != "alice" || !strings.HasPrefix(alice.DID, "did:key:z") || alice.DID == id.DID {
		t.Fatalf("key new alice: %+v", alice)
	}
	var keys []keyJSON
	testnet.RunJSON(t, &keys, r("key", "list")...)
	want := []keyJSON{{"node", id.DID}, {"alice", alice.DID}, {"bob", bob.DID}}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("key list = %+v, want %+v", keys, want)
	}

	// A parent dataset with a subdirectory, published by the node key; flags
	// after the positional.
	parentFiles := map[string]string{"a.csv": "x,y\n1,2\n", "b.txt": "bee", "sub/c.json": `{"c":3}`}
	parentDir := testnet.WriteTree(t, parentFiles)
	var parent publishedJSON
	testnet.RunJSON(t, &parent, r("dataset", "add", parentDir, "--name", "Parent corpus", "--license=CC-BY-4.0", "--description", "three files")...)
	if parent.ID == "" || parent.Files != 3 || parent.Bytes != int64(len("x,y\n1,2\n")+3+len(`{"c":3}`)) {
		t.Fatalf("dataset add: %+v", parent)
	}
	var shown datasetJSON
	testnet.RunJSON(t, &shown, r("dataset", "show", parent.ID)...)
	if shown.ID != parent.ID || shown.Name != "Parent corpus" || shown.License != "CC-BY-4.0" || shown.Publisher != id.DID || len(shown.Parents) != 0 {
		t.Errorf("dataset show: %+v", shown)
	}
	if len(shown.Files) != 3 {
		t.Fatalf("dataset show files: %+v", shown.Files)
	}
	for i, name := range []string{"a.csv", "b.txt", "sub/c.json"} {
		f := shown.Files[i]
		if f.Name != name || f.SHA256 != sha256Hex(parentFiles[name]) || f.Size != int64(len(parentFiles[name])) {
			t.Errorf("dataset show file %d: %+v, want %s", i, f, name)
		}
	}

	// A child dataset that derives from it.
	childDir := testnet.WriteTree(t, map[string]string{"d.txt": "derived"})
	var child publishedJSON
	testnet.RunJSON(t, &child, r("dataset", "add", childDir, "--name", "Child", "--license", "CC0-1.0", "--parent", parent.ID)...)
	testnet.RunJSON(t, &shown, r("dataset", "show", child.ID)...)
	if len(shown.Parents) != 1 || shown.Parents[0] != parent.ID {
		t.Errorf("child's parents = %q, want [%s]", shown.Parents, parent.ID)
	}
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	testnet.RunJSON(t, &list, r("dataset", "list")...)
	if len(list) != 2 {
		t.Errorf("dataset list: %+v, want the two datasets", list)
	}

	// Alice claims; the publisher co-signs: contributor and publisher
	// both signed, so mutual.
	var claim publishedJSON
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", parent.ID, "--role", "annotator", "--weight", "0.3", "--as", "alice")...)
	c := trustOf(t, repo, parent.ID, claim.ID)
	if c.DID != alice.DID || c.Role != "annotator" || c.Weight != 0.3 || c.Trust != "asserted" || fmt.Sprint(c.Signers) != fmt.Sprint([]string{alice.DID}) {
		t.Errorf("alice's claim: %+v, want asserted, signed by alice", c)
	}
	var cosigned publishedJSON
	testnet.RunJSON(t, &cosigned, r("claim", "cosign", claim.ID)...)
	if cosigned.ID != claim.ID {
		t.Errorf("cosign changed the ID: %s, want %s", cosigned.ID, claim.ID)
	}
	if c = trustOf(t, repo, parent.ID, claim.ID); c.Trust != "mutual" || len(c.Signers) != 2 {
		t.Errorf("after the publisher co-signed: %+v, want mutual with two signers", c)
	}

	// Alice claims for bob; the publisher co-signs, bob does not: acknowledged.
	var forBob publishedJSON
	testnet.RunJSON(t, &forBob, r("claim", "add", "--subject", parent.ID, "--role", "curator", "--weight", "0.2", "--contributor", "bob", "--as", "alice", "--note", "for bob")...)
	testnet.RunJSON(t, &cosigned, r("claim", "cosign", forBob.ID)...)
	if c = trustOf(t, repo, parent.ID, forBob.ID); c.DID != bob.DID || c.Trust != "acknowledged" {
		t.Errorf("claim for bob co-signed by the publisher: %+v, want acknowledged", c)
	}

	// The node key is the only steward of a commons of one: its
	// endorsement certifies the claim.
	var endorsed publishedJSON
	testnet.RunJSON(t, &endorsed, r("endorse", claim.ID, "--standard", "pii-scrubbed", "--level", "full")...)
	if endorsed.ID == "" {
		t.Errorf("endorse: %+v", endorsed)
	}
	if c = trustOf(t, repo, parent.ID, claim.ID); c.Trust != "certified" {
		t.Errorf("after a steward's endorsement: %+v, want certified", c)
	}

	// Alice withdraws her claim: revoked, whatever else holds.
	var revoked publishedJSON
	testnet.RunJSON(t, &revoked, r("claim", "revoke", claim.ID, "--reason", "wrong dataset", "--as", "alice")...)
	if revoked.ID == "" {
		t.Errorf("claim revoke: %+v", revoked)
	}
	if c = trustOf(t, repo, parent.ID, claim.ID); c.Trust != "revoked" {
		t.Errorf("after revocation: %+v, want revoked", c)
	}

	// The child's attribution carries the parent in its lineage, with the
	// parent's contributors.
	var ca attributionJSON
	testnet.RunJSON(t, &ca, r("attribution", child.ID)...)
	if ca.Subject != child.ID || len(ca.Lineage) != 1 || ca.Lineage[0].ID != parent.ID {
		t.Fatalf("child's attribution: %+v, want the parent in its lineage", ca)
	}
	found := false
	for _, lc := range ca.Lineage[0].Contributors {
		found = found || lc.Claim == forBob.ID && lc.DID == bob.DID
	}
	if !found {
		t.Errorf("the parent in the child's lineage lacks its contributors: %+v", ca.Lineage[0].Contributors)
	}

	// A model trained on the child, by digest and by file.
	model := testnet.WriteTree(t, map[string]string{"model.bin": "weights"})
	var derived, derived2 publishedJSON
	testnet.RunJSON(t, &derived, r("derive", "--file", filepath.Join(model, "model.bin"), "--input", child.ID, "--activity", "trained-on")...)
	testnet.RunJSON(t, &derived2, r("derive", "--digest", "sha256:"+sha256Hex("other weights"), "--input", child.ID, "--input", parent.ID, "--activity", "fine-tuned-on", "--name", "m2")...)
	if derived.ID == "" || derived2.ID == "" || derived.ID == derived2.ID {
		t.Errorf("derive: %+v and %+v", derived, derived2)
	}

	// locate finds the file by its bytes, wherever it lies.
	var loc locateJSON
	testnet.RunJSON(t, &loc, r("locate", filepath.Join(parentDir, "sub", "c.json"))...)
	if loc.SHA256 != sha256Hex(parentFiles["sub/c.json"]) || len(loc.Datasets) != 1 ||
		loc.Datasets[0].ID != parent.ID || loc.Datasets[0].Name != "Parent corpus" || loc.Datasets[0].Path != "sub/c.json" {
		t.Errorf("locate: %+v", loc)
	}
	var byDigest locateJSON
	testnet.RunJSON(t, &byDigest, r("locate", "sha256:"+loc.SHA256)...)
	if !reflect.DeepEqual(byDigest, loc) {
		t.Errorf("locate by digest: %+v, want %+v", byDigest, loc)
	}

	// object get: the envelope, byte for byte, with or without --json.
	got := testnet.Run(t, nil, "object", "get", forBob.ID, "--repo", repo)
	gotJSON := testnet.Run(t, nil, "object", "get", forBob.ID, "--repo", repo, "--json")
	if got.Code != 0 || gotJSON.Code != 0 || got.Stdout != gotJSON.Stdout {
		t.Fatalf("object get:\n%s\n%s", got, gotJSON)
	}
	env, err := protocol.DecodeEnvelope([]byte(got.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(); err != nil || env.ID().String() != forBob.ID || len(env.Signatures) != 2 {
		t.Fatalf("object get: the envelope does not verify as %s with two signatures: %v", forBob.ID, err)
	}
	parentEnv := testnet.Run(t, nil, "object", "get", parent.ID, "--repo", repo)

	// A second node takes the envelopes, from a file and from stdin, and
	// gives them the same IDs.
	repo2 := filepath.Join(t.TempDir(), "repo2")
	testnet.Start(t, repo2)
	envFile := filepath.Join(t.TempDir(), "claim.json")
	if err := os.WriteFile(envFile, []byte(got.Stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	var put publishedJSON
	r2 := testnet.Run(t, []byte(parentEnv.Stdout), "object", "put", "-", "--repo", repo2, "--json")
	if r2.Code != 0 {
		t.Fatalf("object put - of the parent dataset:\n%s", r2)
	}
	r2.Decode(t, &put)
	if put.ID != parent.ID {
		t.Errorf("object put of the parent on a second node: id %s, want %s", put.ID, parent.ID)
	}
	testnet.RunJSON(t, &put, "object", "put", envFile, "--repo", repo2, "--json")
	if put.ID != forBob.ID {
		t.Errorf("object put on a second node: id %s, want %s", put.ID, forBob.ID)
	}
	again := testnet.Run(t, nil, "object", "get", forBob.ID, "--repo", repo2)
	if again.Stdout != got.Stdout {
		t.Errorf("the second node stores other bytes:\n%s\n%s", again.Stdout, got.Stdout)
	}

	// A tampered copy is refused, with a message that says why.
	tampered := tamper(t, []byte(got.Stdout))
	tamperedFile := filepath.Join(t.TempDir(), "tampered.json")
	os.WriteFile(tamperedFile, tampered, 0o644)
	testnet.RunFails(t, nil, []string{"does not verify"}, "object", "put", tamperedFile, "--repo", repo2, "--json")
	var a2 attributionJSON
	testnet.RunJSON(t, &a2, "attribution", parent.ID, "--repo", repo2, "--json")
	if len(a2.Contributors) != 1 {
		t.Errorf("second node after a tampered put: %+v, want only the one good claim", a2.Contributors)
	}

	// Without --json every command prints a readable text, not JSON.
	for _, args := range [][]string{
		{"id"}, {"key", "list"}, {"dataset", "list"}, {"dataset", "show", child.ID},
		{"attribution", child.ID}, {"attribution", parent.ID}, {"locate", filepath.Join(parentDir, "a.csv")}, {"version"},
		{"claim", "cosign", forBob.ID},
	} {
		res := testnet.Run(t, nil, append(args, "--repo", repo)...)
		if res.Code != 0 || res.Stdout == "" || strings.ContainsAny(res.Stdout[:1], "{[") || res.Stderr != "" {
			t.Errorf("commons %s (text):\n%s", strings.Join(args, " "), res)
		}
	}
}

// tamper changes the claim's weight inside the payload and keeps the
// signatures: a well-formed envelope whose signatures do not verify.
func tamper(t *testing.T, raw []byte) []byte {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(w["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(payload, []byte(`"weight":0.2`), []byte(`"weight":0.9`), 1)
	if bytes.Equal(changed, payload) {
		t.Fatalf("no weight to tamper with in %s", payload)
	}
	w["payload"] = base64.StdEncoding.EncodeToString(changed)
	out, _ := json.Marshal(w)
	return out
}

// TestBadInput drives every kind of bad input through the CLI: each fails
// with a message naming what was wrong, and nothing is stored.
func TestBadInput(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }

	var ds, claim publishedJSON
	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	testnet.RunJSON(t, &ds, r("dataset", "add", testnet.WriteTree(t, map[string]string{"f": "data"}), "--name", "D", "--license", "MIT")...)
	testnet.RunJSON(t, &claim, r("claim", "add", "--subject", ds.ID, "--role", "author", "--weight", "1")...)
	snapshot := func() string {
		return testnet.Run(t, nil, r("dataset", "list")...).Stdout + testnet.Run(t, nil, r("attribution", ds.ID)...).Stdout
	}
	before := snapshot()
	configBefore, err := os.ReadFile(filepath.Join(repo, "config.json"))
	if err != nil {
		t.Fatal(err)
	}

	envelope := []byte(testnet.Run(t, nil, "object", "get", claim.ID, "--repo", repo).Stdout)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var w map[string]any
	json.Unmarshal(envelope, &w)
	sigs := w["signatures"].([]any)
	sig := sigs[0].(map[string]any)
	s, _ := base64.StdEncoding.DecodeString(sig["sig"].(string))
	s[0] ^= 1
	sig["sig"] = base64.StdEncoding.EncodeToString(s)
	badSig, _ := json.Marshal(w)

	// Values the command line alone refuses are usage errors, exit 2:
	// TestUsageErrorsExit2.
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"tampered signature", []string{"object", "put", write("badsig.json", badSig)}, []string{"does not verify"}},
		{"malformed JSON", []string{"object", "put", write("malformed.json", []byte(`{"payloadType": "x", "payload": `))}, []string{"malformed JSON"}},
		{"not an envelope", []string{"object", "put", write("array.json", []byte(`[1,2,3]`))}, []string{"malformed JSON"}},
		{"empty file", []string{"object", "put", write("empty.json", nil)}, []string{"empty"}},
		{"oversized envelope", []string{"object", "put", write("huge.json", bytes.Repeat([]byte(" "), protocol.MaxEnvelopeSize+1))}, []string{`huge.json" is over the envelope size limit`}},
		{"object file does not exist", []string{"object", "put", filepath.Join(dir, "nope.json")}, []string{`nope.json" does not exist`}},
		{"unknown --as key", []string{"claim", "add", "--subject", ds.ID, "--role", "author", "--weight", "0.5", "--as", "nobody"}, []string{`"nobody"`}},
		{"unknown --contributor key", []string{"claim", "add", "--subject", ds.ID, "--role", "author", "--weight", "0.5", "--contributor", "nobody"}, []string{`"nobody"`}},
		{"bad role", []string{"claim", "add", "--subject", ds.ID, "--role", "Chief Cook", "--weight", "0.5"}, []string{"role"}},
		{"revocation by another key", []string{"claim", "revoke", claim.ID, "--reason", "not mine", "--as", "alice"}, []string{claim.ID, alice.DID, "may not revoke"}},
		{"dataset path does not exist", []string{"dataset", "add", filepath.Join(dir, "missing-dir"), "--name", "X", "--license", "MIT"}, []string{`missing-dir" does not exist`}},
		{"locate path does not exist", []string{"locate", filepath.Join(dir, "missing.csv")}, []string{`missing.csv" does not exist`}},
		{"derive file does not exist", []string{"derive", "--file", filepath.Join(dir, "missing.bin"), "--input", ds.ID, "--activity", "trained-on"}, []string{`missing.bin" does not exist`}},
		{"unknown object", []string{"object", "get", protocol.ObjectID([]byte("nothing")).String()}, []string{protocol.ObjectID([]byte("nothing")).String()}},
		{"cosign an unknown object", []string{"claim", "cosign", protocol.ObjectID([]byte("{}")).String()}, []string{protocol.ObjectID([]byte("{}")).String()}},
		{"key name taken", []string{"key", "new", "alice"}, []string{`"alice" already exists`}},
		{"bad key name", []string{"key", "new", "Alice Smith"}, []string{`"Alice Smith"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testnet.RunFails(t, nil, tt.want, r(tt.args...)...)
		})
	}

	t.Run("init on the existing repo", func(t *testing.T) {
		testnet.RunFails(t, nil, []string{repo, "already holds a commons repo"}, "init", "--repo", repo, "--api", "127.0.0.1:0")
		after, _ := os.ReadFile(filepath.Join(repo, "config.json"))
		if !bytes.Equal(after, configBefore) {
			t.Errorf("init changed the config:\n%s\n%s", configBefore, after)
		}
	})

	// The daemon checks what the CLI checks: a client that skips the CLI's
	// checks is refused too.
	t.Run("daemon refuses what the CLI would", func(t *testing.T) {
		c, err := node.NewClient(repo)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, w := range []float64{0, 1.5, -1} {
			_, err := c.AddClaim(ctx, api.AddClaimRequest{Subject: protocol.MustParseID(ds.ID), Role: "author", Weight: w})
			if protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), "weight") {
				t.Errorf("weight %v through the API: got %v, want invalid naming the weight", w, err)
			}
		}
		if _, err := c.PutObject(ctx, []byte(`{"payloadType"`)); protocol.KindOf(err) != protocol.Invalid {
			t.Errorf("malformed envelope through the API: got %v, want invalid", err)
		}
		if _, err := c.PutObject(ctx, badSig); protocol.KindOf(err) != protocol.Invalid {
			t.Errorf("bad signature through the API: got %v, want invalid", err)
		}
	})

	if after := snapshot(); after != before {
		t.Errorf("bad input changed what the node holds:\nbefore %s\nafter  %s", before, after)
	}
	var id idJSON
	testnet.RunJSON(t, &id, r("id")...) // and the daemon still serves
}

// TestInitAndDaemon: init writes the flags into the config, the daemon
// uses them, SIGINT stops it cleanly and removes DIR/api.
func TestInitAndDaemon(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	var created idJSON
	testnet.RunJSON(t, &created, "init", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0", "--json")
	if created.Repo != repo || !strings.HasPrefix(created.DID, "did:key:z") || created.PeerID == "" {
		t.Fatalf("init: %+v", created)
	}
	cfg, err := os.ReadFile(filepath.Join(repo, "config.json"))
	if err != nil || !strings.Contains(string(cfg), "127.0.0.1:0") || !strings.Contains(string(cfg), "/ip4/127.0.0.1/tcp/0") {
		t.Fatalf("config after init --api --listen: %s %v", cfg, err)
	}
	if st, err := os.Stat(filepath.Join(repo, "keys", "node.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("node key: %v %v, want mode 0600", st, err)
	}
	testnet.RunFails(t, nil, []string{"already holds a commons repo", "nothing was changed"}, "init", "--repo", repo)
	if after, _ := os.ReadFile(filepath.Join(repo, "config.json")); !bytes.Equal(after, cfg) {
		t.Errorf("a second init changed the config")
	}

	d := testnet.Start(t, repo)
	var id idJSON
	testnet.RunJSON(t, &id, "id", "--repo", repo, "--json")
	if id.DID != created.DID || id.PeerID != created.PeerID {
		t.Errorf("daemon runs as %+v, init made %+v", id, created)
	}
	if code := d.Stop(t); code != 0 {
		t.Errorf("daemon exit code after SIGINT = %d, want 0\n%s", code, d.Stderr())
	}
	if _, err := os.Stat(filepath.Join(repo, "api")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DIR/api is still there after the daemon stopped: %v", err)
	}
	testnet.RunFails(t, nil, []string{"no commons daemon is running for repo " + repo, "commons daemon --repo " + repo}, "id", "--repo", repo)
}

func TestDaemonStopsOnSIGTERM(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, repo)
	d.Signal(syscall.SIGTERM)
	select {
	case <-d.Exited():
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not stop on SIGTERM")
	}
	if code := d.State().ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, d.Stderr())
	}
	if _, err := os.Stat(filepath.Join(repo, "api")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DIR/api is still there: %v", err)
	}
}

// TestNoDaemon needs no daemon: every client command says, in one line,
// that none runs for the repo and how to start one.
func TestNoDaemon(t *testing.T) {
	empty := t.TempDir()
	want := []string{"no commons daemon is running for repo " + empty, "commons daemon --repo " + empty}
	testnet.RunFails(t, nil, want, "--repo", empty, "id")
	testnet.RunFails(t, nil, want, "key", "list", "--repo", empty, "--json")
	testnet.RunFails(t, nil, want, "dataset", "list", "--repo", empty)

	// $COMMONS_PATH names the repo when --repo does not.
	if r := testnet.RunEnv(t, []string{repo.EnvPath + "=" + empty}, nil, "id"); r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "repo "+empty) {
		t.Errorf("COMMONS_PATH: %s", r)
	}
}

// TestCommandLine checks what the CLI decides alone: usage errors exit 2
// with the usage on stderr; help and version exit 0.
func TestCommandLine(t *testing.T) {
	empty := t.TempDir()
	usage := []struct {
		args []string
		want string
	}{
		{nil, "usage: commons COMMAND"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"dataset"}, "dataset needs a subcommand"},
		{[]string{"dataset", "frob"}, `unknown command "dataset frob"`},
		{[]string{"id", "--bogus"}, "unknown flag --bogus"},
		{[]string{"id", "extra"}, `unexpected argument "extra"`},
		{[]string{"dataset", "add", ".", "--license", "MIT"}, "missing --name NAME"},
		{[]string{"dataset", "add", "--name", "X", "--license", "MIT"}, "missing PATH"},
		{[]string{"dataset", "add", ".", "--name", "X", "--name", "Y", "--license", "MIT"}, "flag --name given twice"},
		{[]string{"claim", "add", "--subject", "x", "--role", "author"}, "missing --weight W"},
		{[]string{"claim", "revoke", "ID"}, "missing --reason TEXT"},
		{[]string{"derive", "--input", "x", "--activity", "trained-on"}, "exactly one of --digest"},
		{[]string{"derive", "--digest", "sha256:00", "--file", "f", "--input", "x", "--activity", "trained-on"}, "exactly one of --digest"},
		{[]string{"object", "get"}, "missing ID"},
		{[]string{"--name", "x", "id"}, "unknown flag --name before the command"},
		{[]string{"id", "--repo"}, "flag --repo needs a value"},
		{[]string{"swarm"}, "swarm needs a subcommand"},
		{[]string{"swarm", "key"}, "swarm key needs a subcommand"},
		{[]string{"swarm", "key", "old"}, `unknown command "swarm key old"`},
		{[]string{"swarm", "connect"}, "missing MULTIADDR"},
		{[]string{"swarm", "peers", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range usage {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := testnet.Run(t, nil, append(tt.args, "--repo="+empty)...)
			if tt.args == nil || tt.args[len(tt.args)-1] == "--repo" {
				res = testnet.Run(t, nil, tt.args...)
			}
			if res.Code != 2 || !strings.Contains(res.Stderr, tt.want) || res.Stdout != "" {
				t.Errorf("want exit 2 and %q on stderr:\n%s", tt.want, res)
			}
		})
	}

	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "dataset", "add"}, {"dataset", "add", "--help"}, {"claim", "-h"}, {"attribution", "--help", "--json"},
		{"help", "swarm", "key", "new"}, {"swarm", "key", "--help"}, {"swarm", "connect", "-h"}} {
		res := testnet.Run(t, nil, args...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "usage: commons") {
			t.Errorf("commons %s:\n%s", strings.Join(args, " "), res)
		}
	}
	var v struct {
		Version string `json:"version"`
		Go      string `json:"go"`
	}
	testnet.RunJSON(t, &v, "version", "--json")
	if v.Version != node.Version || v.Go == "" {
		t.Errorf("version: %+v", v)
	}
}
