package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

func TestInitRefusesExistingRepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := Init(dir, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	key, _ := os.ReadFile(filepath.Join(dir, KeysDir, "node.key"))
	_, err := Init(dir, InitOptions{APIAddr: "127.0.0.1:9"})
	if !protocol.IsKind(err, protocol.Exists) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("second init: %v, want an exists error", err)
	}
	cfg2, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	key2, _ := os.ReadFile(filepath.Join(dir, KeysDir, "node.key"))
	if string(cfg) != string(cfg2) || string(key) != string(key2) {
		t.Error("second init changed the repo")
	}
	fi, err := os.Stat(filepath.Join(dir, KeysDir, "node.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("node key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestConfigRefusesOpenAPIWithoutToken(t *testing.T) {
	_, err := Init(filepath.Join(t.TempDir(), "r"), InitOptions{APIAddr: "0.0.0.0:5780"})
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "api_token") {
		t.Fatalf("init with a public API and no token: %v", err)
	}
	_, err = Init(filepath.Join(t.TempDir(), "r"), InitOptions{Listen: []string{"/ip4/1.2.3.4/tcpx/1"}})
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "multiaddr") {
		t.Fatalf("init with a bad listen address: %v", err)
	}
}
