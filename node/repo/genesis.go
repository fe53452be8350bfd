package repo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// GenesisFile is DIR/genesis.json: the genesis of the network the repo
// belongs to, byte for byte as it was given (its ID is the network ID), mode
// 0644. A repo without one belongs to no network yet; the daemon founds a
// commons of one at its first start (SPEC.md §7.1).
const GenesisFile = "genesis.json"

// ReadGenesis reads and checks DIR/genesis.json; it returns nil and the
// zero NetworkID when there is none.
func ReadGenesis(dir string) (*protocol.Genesis, protocol.NetworkID, error) {
	b, err := readGenesisBytes(dir)
	if b == nil || err != nil {
		return nil, protocol.NetworkID{}, err
	}
	g, nid, err := protocol.DecodeGenesis(b)
	if err != nil {
		return nil, protocol.NetworkID{}, fmt.Errorf("%s: %w", filepath.Join(dir, GenesisFile), err)
	}
	return g, nid, nil
}

// readGenesisBytes reads DIR/genesis.json as it is; nil when there is none.
func readGenesisBytes(dir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, GenesisFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	return b, nil
}

// JoinNetwork makes the repo a member of the network that genesis (the
// bytes of a genesis file) founds, storing the bytes as they are. A repo
// that already belongs to that network is left as it is; one that belongs
// to another refuses, with an error of kind Exists naming both networks,
// and changes nothing.
func (r *Repo) JoinNetwork(genesis []byte) error {
	g, nid, err := protocol.DecodeGenesis(genesis)
	if err != nil {
		return err
	}
	if r.Genesis != nil {
		return r.SameNetwork(nid, g)
	}
	if err := writeGenesis(r.Dir, genesis, nid, g); err != nil {
		return err
	}
	r.Genesis, r.Network = g, nid
	return nil
}

// writeGenesis writes genesis.json into the repo in dir, which has none:
// when another process wrote one meanwhile, it must be of network nid.
func writeGenesis(dir string, genesis []byte, nid protocol.NetworkID, g *protocol.Genesis) error {
	err := writeFileNew(filepath.Join(dir, GenesisFile), genesis, 0o644)
	if errors.Is(err, fs.ErrExist) {
		other := &Repo{Dir: dir}
		if other.Genesis, other.Network, err = ReadGenesis(dir); err != nil {
			return err
		}
		return other.SameNetwork(nid, g)
	}
	if err != nil {
		return fmt.Errorf("join network: %w", err)
	}
	return nil
}

// SameNetwork refuses a genesis of a network other than the repo's.
func (r *Repo) SameNetwork(nid protocol.NetworkID, g *protocol.Genesis) error {
	if nid == r.Network {
		return nil
	}
	if r.IsCommonsOfOne() {
		return protocol.E("join network", protocol.Exists,
			"repo %s founded its own commons of one (network %s), not network %s (%q) of the genesis given; nothing was changed (to move it into %s, keeping its keys and objects, stop the daemon and run `commons join FILE --repo %s`)",
			r.Dir, r.Network, nid, g.Name, nid, r.Dir)
	}
	return protocol.E("join network", protocol.Exists,
		"repo %s belongs to network %s (%q), not to network %s (%q) of the genesis given; a repo belongs to one network for good, so nothing was changed (to join %s, create another repo with `commons init --genesis FILE`)",
		r.Dir, r.Network, r.Genesis.Name, nid, g.Name, nid)
}

// SettleNetwork decides, at the daemon's start, the network the repo
// belongs to: that of the genesis given, if any, else, for a repo that has
// none, a commons of one founded now. It sets it on r, in memory only; the
// commit it returns writes genesis.json, and the daemon calls it once its
// store is open and its listeners are up, so that a start that fails has
// founded nothing (SPEC.md §7.1). commit does nothing for a repo that had
// a genesis already.
func (r *Repo) SettleNetwork(genesis []byte, now time.Time, log *slog.Logger) (commit func() error, err error) {
	if genesis == nil && r.Genesis == nil {
		if genesis, err = protocol.EncodeGenesis(protocol.CommonsOfOne(r.NodeKey.DID(), now)); err != nil {
			return nil, err // unreachable: a commons of one is valid
		}
	}
	if genesis == nil {
		return func() error { return nil }, nil
	}
	g, nid, err := protocol.DecodeGenesis(genesis)
	if err != nil {
		return nil, err
	}
	if r.Genesis != nil {
		return func() error { return nil }, r.SameNetwork(nid, g)
	}
	r.Genesis, r.Network = g, nid
	return func() error {
		// The running node reads r: only the file is written here.
		if err := writeGenesis(r.Dir, genesis, nid, g); err != nil {
			return err
		}
		log.Info("joined network", "network", nid, "name", g.Name, "stewards", len(g.Stewards), "threshold", g.Threshold)
		return nil
	}, nil
}

// IsCommonsOfOne reports whether the repo's genesis is the commons of one
// its daemon founds (SPEC.md §7.1): byte for byte what SettleNetwork
// writes for the node key, at the time it names.
func (r *Repo) IsCommonsOfOne() bool {
	if r.Genesis == nil || r.NodeKey == nil {
		return false
	}
	want, err := protocol.EncodeGenesis(protocol.CommonsOfOne(r.NodeKey.DID(), r.Genesis.Created))
	if err != nil {
		return false
	}
	got, err := readGenesisBytes(r.Dir)
	return err == nil && bytes.Equal(got, want)
}

// ReplaceGenesis writes genesis over the repo's genesis.json, atomically,
// leaving r as it is: the caller has decided that the repo leaves its
// network (as `commons join` leaves a commons of one) and holds the lock.
func (r *Repo) ReplaceGenesis(genesis []byte) error {
	return writeFileAtomic(filepath.Join(r.Dir, GenesisFile), genesis, 0o644)
}

// Policy is what attribution obeys until governance speaks: the stewards
// of the genesis, no key revoked. A repo with no genesis yet is the commons
// of one it will found: the node key is the only steward.
func (r *Repo) Policy() protocol.Policy {
	if r.Genesis == nil {
		return protocol.Stewards{r.NodeKey.DID(): true}
	}
	return r.Genesis.Policy()
}

// writeFileNew writes data to path, which must not exist: it fails with an
// error matching fs.ErrExist when it does, even if another process creates
// it meanwhile. A crash leaves no file or the whole file.
func writeFileNew(path string, data []byte, mode os.FileMode) error {
	return writeThroughTemp(path, data, mode, os.Link) // unlike rename, link never replaces path
}
