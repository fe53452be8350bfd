package node

import (
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// The lock a repo command takes (repo.Repo.Lock) is the one the store
// takes while the daemon runs: each keeps the other out.
func TestRepoLockIsTheStoreLock(t *testing.T) {
	r, err := repo.Init(filepath.Join(t.TempDir(), "repo"), repo.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	if unlock, err := r.Lock(); !protocol.IsKind(err, protocol.Exists) {
		if err == nil {
			unlock()
		}
		t.Errorf("lock while the store is open: %v, want exists (a daemon is using the repo)", err)
	}
	if _, err := repo.EncryptKeys(r.Dir, repo.KeystoreConfig{}, func() ([]byte, error) { return []byte("pass"), nil }); !protocol.IsKind(err, protocol.Exists) {
		t.Errorf("key encrypt while the store is open: %v, want exists (a daemon is using the repo)", err)
	}
	st.Close()
	unlock, err := r.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := openStoreLocked(r, nil); !protocol.IsKind(err, protocol.Exists) {
		if err == nil {
			st.Close()
		}
		t.Errorf("open the store while the repo is locked: %v, want exists", err)
	}
	unlock()
}

// The config checks max_conns_inbound against the host's default of
// max_conns without importing the host's package: the two must agree.
func TestConfigKnowsTheHostsDefaultMaxConns(t *testing.T) {
	at := repo.Config{API: repo.DefaultAPIAddr, Limits: repo.Limits{MaxConnsInbound: p2p.DefaultMaxConns}}
	if err := at.Validate(); err != nil {
		t.Errorf("max_conns_inbound at p2p.DefaultMaxConns %d: %v", p2p.DefaultMaxConns, err)
	}
	above := repo.Config{API: repo.DefaultAPIAddr, Limits: repo.Limits{MaxConnsInbound: p2p.DefaultMaxConns + 1}}
	if err := above.Validate(); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("max_conns_inbound above p2p.DefaultMaxConns %d: %v, want invalid", p2p.DefaultMaxConns, err)
	}
}
