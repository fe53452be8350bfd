package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// Key files in these tests cost the least scrypt a file may ask for, so
// that each derivation takes milliseconds; the daemon's default is
// DefaultScrypt.N = 2^17.
func init() { repo.DefaultScrypt.N = repo.MinScryptN }

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
func encryptedRepo(t *testing.T, pass string) (*repo.Repo, *protocol.Key) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := repo.Init(dir, repo.InitOptions{Keystore: repo.KeystoreConfig{PassphraseFile: passFile(t, pass)}})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := r.Keys.New("alice")
	if err != nil {
		t.Fatal(err)
	}
	return r, alice
}

// keyFileEncrypted reports whether the key file at path is encrypted.
func keyFileEncrypted(t *testing.T, path string) bool {
	t.Helper()
	encrypted, err := repo.KeyFileEncrypted(path)
	if err != nil {
		t.Fatal(err)
	}
	return encrypted
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
				r.Config.Keystore = repo.KeystoreConfig{PassphraseEnv: "COMMONS_TEST_PASSPHRASE"}
				if err := r.WriteConfig(); err != nil {
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
			if !keyFileEncrypted(t, r.Keys.Path("carol")) {
				t.Errorf("key new through the daemon wrote %s in plain", k.Name)
			}
		})
	}
}

func TestDaemonRefusesWrongPassphrase(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  func(t *testing.T) repo.KeystoreConfig
		want string
	}{
		{"wrong file", func(t *testing.T) repo.KeystoreConfig {
			return repo.KeystoreConfig{PassphraseFile: passFile(t, "battery staple")}
		}, "wrong passphrase"},
		{"wrong env", func(t *testing.T) repo.KeystoreConfig {
			t.Setenv("COMMONS_TEST_PASSPHRASE", "battery staple")
			return repo.KeystoreConfig{PassphraseEnv: "COMMONS_TEST_PASSPHRASE"}
		}, "wrong passphrase"},
		{"unset env", func(t *testing.T) repo.KeystoreConfig {
			return repo.KeystoreConfig{PassphraseEnv: "COMMONS_TEST_UNSET"}
		}, "$COMMONS_TEST_UNSET is empty or unset"},
		{"none", func(t *testing.T) repo.KeystoreConfig { return repo.KeystoreConfig{} }, "the keystore is encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := encryptedRepo(t, "correct horse")
			r.Config.Keystore = tc.src(t)
			if err := r.WriteConfig(); err != nil {
				t.Fatal(err)
			}
			err := RunDaemon(t.Context(), r.Dir, DaemonOptions{APIAddr: "127.0.0.1:0", Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("daemon: %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(r.Dir, repo.APIFile)); err == nil {
				t.Error("the daemon served")
			}
		})
	}
}
