package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// TestJoinOnlyLeavesItsOwnCommonsOfOne: join moves a repo out of the
// commons of one its daemon founded for its own key, and out of no other:
// not a commons of one founded for another key, nor one whose bytes differ.
func TestJoinOnlyLeavesItsOwnCommonsOfOne(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	target := testGenesis(t, "target", randomDID(t))
	encode := func(g *protocol.Genesis) []byte {
		b, err := protocol.EncodeGenesis(g)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tt := range []struct {
		name    string
		genesis func(me protocol.DID) []byte
		moves   bool
	}{
		{"its own commons of one", func(me protocol.DID) []byte { return encode(protocol.CommonsOfOne(me, created)) }, true},
		{"no network yet", func(protocol.DID) []byte { return nil }, true},
		{"another key's commons of one", func(protocol.DID) []byte { return encode(protocol.CommonsOfOne(randomDID(t), created)) }, false},
		{"a network of one steward, named otherwise", func(me protocol.DID) []byte {
			g := protocol.CommonsOfOne(me, created)
			g.Name = "my lab"
			return encode(g)
		}, false},
		{"its commons of one, written otherwise", func(me protocol.DID) []byte {
			return append(encode(protocol.CommonsOfOne(me, created)), '\n')
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			r, err := repo.Init(dir, repo.InitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			own := tt.genesis(r.NodeKey.DID())
			if own != nil {
				if err := os.WriteFile(filepath.Join(dir, repo.GenesisFile), own, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			j, err := Join(dir, target, nil, nil)
			stored, _ := os.ReadFile(filepath.Join(dir, repo.GenesisFile))
			if !tt.moves {
				if !protocol.IsKind(err, protocol.Exists) || string(stored) != string(own) {
					t.Fatalf("join: %v, genesis now %q; want refused, nothing changed", err, stored)
				}
				return
			}
			if err != nil || j.Network != protocol.NetworkIDOf(target) || string(stored) != string(target) {
				t.Fatalf("join: %+v, %v; genesis now %q", j, err, stored)
			}
			if (own == nil) != j.Left.IsZero() {
				t.Errorf("join reports leaving %q", j.Left)
			}
		})
	}
}

// TestJoinDeletesProviderRecords: the DHT provider records a commons of
// one held (providers/) are its network's peers', and join deletes them;
// a join refused, or of the network the repo is in already, keeps them.
func TestJoinDeletesProviderRecords(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	target := testGenesis(t, "target", randomDID(t))
	for _, tt := range []struct {
		name    string
		genesis func(me protocol.DID) []byte
		deletes bool
	}{
		{"its own commons of one", func(me protocol.DID) []byte {
			b, _ := protocol.EncodeGenesis(protocol.CommonsOfOne(me, created))
			return b
		}, true},
		{"another network", func(protocol.DID) []byte { return testGenesis(t, "other", randomDID(t)) }, false},
		{"the network joined already", func(protocol.DID) []byte { return target }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			r, err := repo.Init(dir, repo.InitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, repo.GenesisFile), tt.genesis(r.NodeKey.DID()), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := p2p.OpenDatastore(r.ProviderRecordsDir(), p2p.DatastoreLimits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Put(context.Background(), ds.NewKey("/providers/AKEY/APEER"), []byte{1}); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}

			_, err = Join(dir, target, nil, nil)
			if tt.deletes && err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(r.ProviderRecordsDir())
			if deleted := os.IsNotExist(statErr); deleted != tt.deletes {
				t.Errorf("join (%v): providers/ deleted %v, want %v (stat: %v)", err, deleted, tt.deletes, statErr)
			}
		})
	}
}
