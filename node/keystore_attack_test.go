package node

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Key files in these tests cost the least scrypt a file may ask for, so
// that each derivation takes milliseconds; the daemon's default is
// DefaultScrypt.N = 2^17.
func init() { DefaultScrypt.N = minScryptN }

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
		b := readFile(t, r.Keys.path(name))
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
	again, err := OpenRepo(r.Dir)
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
	before := readFile(t, r.Keys.path("node"))
	cfg := r.Config
	cfg.Keystore.PassphraseFile = passFile(t, "battery staple")
	if err := writeConfig(filepath.Join(r.Dir, configFile), cfg); err != nil {
		t.Fatal(err)
	}
	_, err := OpenRepo(r.Dir)
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("open with a wrong passphrase: %v, want forbidden, wrong passphrase", err)
	}
	if !bytes.Equal(readFile(t, r.Keys.path("node")), before) {
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
	orig := readFile(t, r.Keys.path("alice"))
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
	if err := os.WriteFile(r.Keys.path("bob"), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := OpenRepo(r.Dir)
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
	orig := readFile(t, r.Keys.path("alice"))
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

// runDaemon runs the daemon on dir until the test ends; it fails
// the test if the daemon does not serve.
func runDaemon(t *testing.T, dir string) *api.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunDaemon(ctx, dir, DaemonOptions{APIAddr: "127.0.0.1:0", Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			done <- nil
			t.Fatalf("daemon stopped before it served: %v", err)
		default:
		}
		if c, err := NewClient(dir); err == nil {
			if _, err := c.ID(t.Context()); err == nil {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("daemon did not serve within 30s")
		}
	}
}

// The daemon opens an encrypted keystore with the passphrase from the
// file or the variable the config names, and signs with its keys.
func TestDaemonEncryptedKeystore(t *testing.T) {
	for _, src := range []string{"file", "env"} {
		t.Run(src, func(t *testing.T) {
			r, alice := encryptedRepo(t, "correct horse")
			if src == "env" {
				t.Setenv("COMMONS_TEST_PASSPHRASE", "correct horse")
				r.Config.Keystore = KeystoreConfig{PassphraseEnv: "COMMONS_TEST_PASSPHRASE"}
				if err := writeConfig(filepath.Join(r.Dir, configFile), r.Config); err != nil {
					t.Fatal(err)
				}
			}
			c := runDaemon(t, r.Dir)
			for as, want := range map[string]protocol.DID{"": r.NodeKey.DID(), "alice": alice.DID()} {
				p, err := c.AddDataset(t.Context(), api.AddDatasetRequest{Name: "d " + as, License: "CC0-1.0", Files: []api.FileEntry{fileEntry("a", "a")}, As: as})
				if err != nil {
					t.Fatal(err)
				}
				if p.Signer != want {
					t.Errorf("signed as %q by %s, want %s", as, p.Signer, want)
				}
			}
			k, err := c.NewKey(t.Context(), "carol")
			if err != nil {
				t.Fatal(err)
			}
			if !isEncryptedKeyFile(readFile(t, r.Keys.path("carol"))) {
				t.Errorf("key new through the daemon wrote %s in plain", k.Name)
			}
		})
	}
}

func TestDaemonRefusesWrongPassphrase(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  func(t *testing.T) KeystoreConfig
		want string
	}{
		{"wrong file", func(t *testing.T) KeystoreConfig {
			return KeystoreConfig{PassphraseFile: passFile(t, "battery staple")}
		}, "wrong passphrase"},
		{"wrong env", func(t *testing.T) KeystoreConfig {
			t.Setenv("COMMONS_TEST_PASSPHRASE", "battery staple")
			return KeystoreConfig{PassphraseEnv: "COMMONS_TEST_PASSPHRASE"}
		}, "wrong passphrase"},
		{"unset env", func(t *testing.T) KeystoreConfig { return KeystoreConfig{PassphraseEnv: "COMMONS_TEST_UNSET"} }, "$COMMONS_TEST_UNSET is empty or unset"},
		{"none", func(t *testing.T) KeystoreConfig { return KeystoreConfig{} }, "the keystore is encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := encryptedRepo(t, "correct horse")
			r.Config.Keystore = tc.src(t)
			if err := writeConfig(filepath.Join(r.Dir, configFile), r.Config); err != nil {
				t.Fatal(err)
			}
			err := RunDaemon(t.Context(), r.Dir, DaemonOptions{APIAddr: "127.0.0.1:0", Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("daemon: %v, want %q", err, tc.want)
			}
			if exists(filepath.Join(r.Dir, apiFile)) {
				t.Error("the daemon served")
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
		plain[n] = readFile(t, r.Keys.path(n))
	}

	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	pf := passFile(t, "correct horse")
	if _, err := EncryptKeys(dir, KeystoreConfig{PassphraseFile: pf}, nil); !protocol.IsKind(err, protocol.Exists) {
		t.Errorf("key encrypt while the store is open: %v, want exists (a daemon is using the repo)", err)
	}
	st.Close()
	if !bytes.Equal(readFile(t, r.Keys.path("node")), plain["node"]) {
		t.Fatal("a refused conversion changed the node key")
	}

	done, err := EncryptKeys(dir, KeystoreConfig{PassphraseFile: pf}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(done, " "), "node alice bob"; got != want {
		t.Errorf("encrypted %q, want %q", got, want)
	}
	entries, err := os.ReadDir(filepath.Join(dir, keysDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("keys/ holds %d files, want 3", len(entries))
	}
	for _, e := range entries {
		b := readFile(t, filepath.Join(dir, keysDir, e.Name()))
		if !isEncryptedKeyFile(b) {
			t.Errorf("%s is not encrypted", e.Name())
		}
		for n, p := range plain {
			if bytes.Contains(b, p) || bytes.Contains(b, p[4:36]) {
				t.Errorf("%s holds the plain key %s", e.Name(), n)
			}
		}
	}
	again, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.NodeKey.DID() != r.NodeKey.DID() || again.Config.Keystore.PassphraseFile != pf {
		t.Errorf("after conversion: node %s, keystore %+v; want %s, passphrase_file %s", again.NodeKey.DID(), again.Config.Keystore, r.NodeKey.DID(), pf)
	}

	before := readFile(t, again.Keys.path("alice"))
	_, err = EncryptKeys(dir, KeystoreConfig{PassphraseFile: passFile(t, "battery staple")}, nil)
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("second conversion with another passphrase: %v, want forbidden, nothing was changed", err)
	}
	if !bytes.Equal(readFile(t, again.Keys.path("alice")), before) {
		t.Error("a refused conversion changed alice")
	}
	if cfg, _ := readConfig(filepath.Join(dir, configFile)); cfg.Keystore.PassphraseFile != pf {
		t.Errorf("a refused conversion changed the config: %+v", cfg.Keystore)
	}
}
