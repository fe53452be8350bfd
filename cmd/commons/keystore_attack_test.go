package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

// A plain keystore is encrypted in place by `key encrypt`, which refuses
// while the daemon runs; the daemon then starts with the passphrase from
// the variable the config names, signs with the node key and a named key,
// writes new keys encrypted, and does not start with a wrong passphrase.
// The binary uses the production scrypt cost, a fraction of a second per
// key file.
func TestE2EEncryptedKeystore(t *testing.T) {
	const env = "COMMONS_E2E_PASSPHRASE"
	t.Setenv(env, "correct horse battery")
	repo := filepath.Join(t.TempDir(), "repo")
	r := func(args ...string) []string { return append(args, "--repo", repo, "--json") }
	d := testnet.Start(t, repo)
	var alice keyJSON
	testnet.RunJSON(t, &alice, r("key", "new", "alice")...)
	testnet.RunFails(t, nil, []string{"a daemon is using repo", "stop it first"}, r("key", "encrypt", "--passphrase-env", env)...)
	if code := d.Stop(t); code != 0 {
		t.Fatalf("daemon exit %d:\n%s", code, d.Stderr())
	}

	var enc struct {
		Encrypted []string `json:"encrypted"`
	}
	testnet.RunJSON(t, &enc, r("key", "encrypt", "--passphrase-env", env)...)
	if !slices.Equal(enc.Encrypted, []string{"node", "alice"}) {
		t.Errorf("key encrypt: %q, want node and alice", enc.Encrypted)
	}
	checkEncrypted := func(want int) {
		t.Helper()
		entries, err := os.ReadDir(filepath.Join(repo, "keys"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != want {
			t.Errorf("keys/ holds %d files, want %d", len(entries), want)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(repo, "keys", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) == 0 || b[0] != '{' {
				t.Errorf("keys/%s is not an encrypted key file", e.Name())
			}
		}
	}
	checkEncrypted(2)

	testnet.Start(t, repo)
	var me idJSON
	testnet.RunJSON(t, &me, r("id")...)
	var p publishedJSON
	tree := testnet.WriteTree(t, map[string]string{"a.txt": "a"})
	testnet.RunJSON(t, &p, r("dataset", "add", tree, "--name", "by alice", "--license", "CC0-1.0", "--as", "alice")...)
	if p.Signer != alice.DID {
		t.Errorf("dataset add --as alice signed by %s, want %s", p.Signer, alice.DID)
	}
	testnet.RunJSON(t, &p, r("dataset", "add", tree, "--name", "by the node", "--license", "CC0-1.0")...)
	if p.Signer != me.DID {
		t.Errorf("dataset add signed by %s, want the node key %s", p.Signer, me.DID)
	}
	var bob keyJSON
	testnet.RunJSON(t, &bob, r("key", "new", "bob")...)
	checkEncrypted(3)
}

func TestE2EDaemonRefusesWrongPassphrase(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var created idJSON
	testnet.RunJSON(t, &created, "init", "--repo", repo, "--passphrase-file", pass, "--json")
	node, err := os.ReadFile(filepath.Join(repo, "keys", "node.key"))
	if err != nil || len(node) == 0 || node[0] != '{' {
		t.Fatalf("init --passphrase-file wrote a node key that is not encrypted (%v)", err)
	}
	if err := os.WriteFile(pass, []byte("battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testnet.RunFails(t, nil, []string{"wrong passphrase"}, "daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	if _, err := os.Stat(filepath.Join(repo, "api")); err == nil {
		t.Error("the daemon served with a wrong passphrase")
	}
}
