package repo

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// Key files in these tests cost the least scrypt a file may ask for, so
// that each derivation takes milliseconds; the daemon's default is
// DefaultScrypt.N = 2^17.
func init() { DefaultScrypt.N = MinScryptN }

// passFile writes a passphrase file (with the newline an editor leaves).
func passFile(t *testing.T, pass string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(p, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// encryptedRepo is a repo whose keystore is encrypted under pass, with a
// named key alice.
func encryptedRepo(t *testing.T, pass string) (*Repo, *protocol.Key) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := Init(dir, InitOptions{Keystore: KeystoreConfig{PassphraseFile: passFile(t, pass)}})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := r.Keys.New("alice")
	if err != nil {
		t.Fatal(err)
	}
	return r, alice
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncryptedKeystoreRoundTrip(t *testing.T) {
	r, alice := encryptedRepo(t, "correct horse")
	for _, name := range []string{"node", "alice"} {
		b := readFile(t, r.Keys.Path(name))
		if !isEncryptedKeyFile(b) {
			t.Fatalf("%s.key is not encrypted: %q", name, b)
		}
		var f encryptedKeyFile
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if f.Version != 1 || f.KDF.Name != "scrypt" || f.AEAD != "xchacha20-poly1305" || len(f.KDF.Salt) != 16 || len(f.Nonce) != 24 {
			t.Errorf("%s.key: %+v, want version 1, scrypt, xchacha20-poly1305, 16-byte salt, 24-byte nonce", name, f)
		}
	}
	again, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.NodeKey.DID() != r.NodeKey.DID() {
		t.Errorf("node key after reopening: %s, want %s", again.NodeKey.DID(), r.NodeKey.DID())
	}
	got, err := again.Keys.Get("alice")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Private(), alice.Private()) {
		t.Error("alice after reopening is another key")
	}
}

func TestEncryptedKeystoreWrongPassphrase(t *testing.T) {
	r, _ := encryptedRepo(t, "correct horse")
	before := readFile(t, r.Keys.Path("node"))
	cfg := r.Config
	cfg.Keystore.PassphraseFile = passFile(t, "battery staple")
	if err := writeConfig(filepath.Join(r.Dir, ConfigFile), cfg); err != nil {
		t.Fatal(err)
	}
	_, err := Open(r.Dir)
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("open with a wrong passphrase: %v, want forbidden, wrong passphrase", err)
	}
	if !bytes.Equal(readFile(t, r.Keys.Path("node")), before) {
		t.Error("a wrong passphrase changed the node key file")
	}
	if _, err := EncryptKeys(r.Dir, KeystoreConfig{}, nil); !protocol.IsKind(err, protocol.Forbidden) {
		t.Errorf("key encrypt with a wrong passphrase: %v, want forbidden", err)
	}
}

// A file altered anywhere, or moved to another key's name, does not open.
func TestEncryptedKeyFileTampered(t *testing.T) {
	r, _ := encryptedRepo(t, "correct horse")
	bob, err := r.Keys.New("bob")
	if err != nil {
		t.Fatal(err)
	}
	orig := readFile(t, r.Keys.Path("alice"))
	edit := func(f func(*encryptedKeyFile)) []byte {
		var k encryptedKeyFile
		if err := json.Unmarshal(orig, &k); err != nil {
			t.Fatal(err)
		}
		f(&k)
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"ciphertext", edit(func(k *encryptedKeyFile) { k.Ciphertext[3] ^= 1 })},
		{"salt", edit(func(k *encryptedKeyFile) { k.KDF.Salt[0] ^= 1 })},
		{"nonce", edit(func(k *encryptedKeyFile) { k.Nonce[5] ^= 1 })},
		{"did", edit(func(k *encryptedKeyFile) { k.DID = bob.DID() })},
		{"scrypt r", edit(func(k *encryptedKeyFile) { k.KDF.R = 9 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "alice.key")
			if err := os.WriteFile(p, tc.file, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := readKey(p, "alice", []byte("correct horse"))
			if !protocol.IsKind(err, protocol.Forbidden) {
				t.Errorf("altered %s: %v, want forbidden", tc.name, err)
			}
		})
	}
	// alice's file under bob's name.
	if err := os.WriteFile(r.Keys.Path("bob"), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := again.Keys.Get("bob"); !protocol.IsKind(err, protocol.Forbidden) {
		t.Errorf("alice's file as bob.key: key %v, err %v; want forbidden", k != nil, err)
	}
}

// A hostile file cannot make the node derive with an unbounded cost: its
// parameters are refused before scrypt runs.
func TestEncryptedKeyFileKDFBounds(t *testing.T) {
	r, _ := encryptedRepo(t, "correct horse")
	orig := readFile(t, r.Keys.Path("alice"))
	for _, tc := range []struct {
		name    string
		n, r, p int
	}{
		{"64 GiB", 1 << 26, 8, 1},
		{"1 GiB", 1 << 20, 8, 1},
		{"n not a power of two", 3000, 8, 1},
		{"n too small", 16, 8, 1},
		{"r zero", 1 << 10, 0, 1},
		{"p huge", 1 << 10, 8, 1 << 20},
		{"r huge", 1 << 10, 1 << 20, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k encryptedKeyFile
			if err := json.Unmarshal(orig, &k); err != nil {
				t.Fatal(err)
			}
			k.KDF.N, k.KDF.R, k.KDF.P = tc.n, tc.r, tc.p
			b, _ := json.Marshal(k)
			p := filepath.Join(t.TempDir(), "alice.key")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := readKey(p, "alice", []byte("correct horse"))
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "scrypt") {
				t.Errorf("n %d r %d p %d: %v, want invalid scrypt parameters", tc.n, tc.r, tc.p, err)
			}
		})
	}
}

// Converting a plain keystore leaves every key encrypted and no plain
// copy in the keystore directory; a wrong passphrase afterwards changes
// nothing; a running daemon makes it refuse.
func TestEncryptKeysConvertsPlainKeystore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob"} {
		if _, err := r.Keys.New(n); err != nil {
			t.Fatal(err)
		}
	}
	plain := map[string][]byte{}
	for _, n := range []string{"node", "alice", "bob"} {
		plain[n] = readFile(t, r.Keys.Path(n))
	}

	// The daemon's store holds the lock while it runs (node's
	// TestRepoLockIsTheStoreLock).
	unlock, err := r.Lock()
	if err != nil {
		t.Fatal(err)
	}
	pf := passFile(t, "correct horse")
	if _, err := EncryptKeys(dir, KeystoreConfig{PassphraseFile: pf}, nil); !protocol.IsKind(err, protocol.Exists) {
		t.Errorf("key encrypt while a daemon holds the repo: %v, want exists (a daemon is using the repo)", err)
	}
	unlock()
	if !bytes.Equal(readFile(t, r.Keys.Path("node")), plain["node"]) {
		t.Fatal("a refused conversion changed the node key")
	}

	done, err := EncryptKeys(dir, KeystoreConfig{PassphraseFile: pf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(done, " "), "node alice bob"; got != want {
		t.Errorf("encrypted %q, want %q", got, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, KeysDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("keys/ holds %d files, want 3", len(entries))
	}
	for _, e := range entries {
		b := readFile(t, filepath.Join(dir, KeysDir, e.Name()))
		if !isEncryptedKeyFile(b) {
			t.Errorf("%s is not encrypted", e.Name())
		}
		for n, p := range plain {
			if bytes.Contains(b, p) || bytes.Contains(b, p[4:36]) {
				t.Errorf("%s holds the plain key %s", e.Name(), n)
			}
		}
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.NodeKey.DID() != r.NodeKey.DID() || again.Config.Keystore.PassphraseFile != pf {
		t.Errorf("after conversion: node %s, keystore %+v; want %s, passphrase_file %s", again.NodeKey.DID(), again.Config.Keystore, r.NodeKey.DID(), pf)
	}

	before := readFile(t, again.Keys.Path("alice"))
	_, err = EncryptKeys(dir, KeystoreConfig{PassphraseFile: passFile(t, "battery staple")}, nil)
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("second conversion with another passphrase: %v, want forbidden, nothing was changed", err)
	}
	if !bytes.Equal(readFile(t, again.Keys.Path("alice")), before) {
		t.Error("a refused conversion changed alice")
	}
	if cfg, _ := readConfig(filepath.Join(dir, ConfigFile)); cfg.Keystore.PassphraseFile != pf {
		t.Errorf("a refused conversion changed the config: %+v", cfg.Keystore)
	}
}
