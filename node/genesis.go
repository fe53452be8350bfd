package node

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// genesisFile is DIR/genesis.json: the genesis of the network the repo
// belongs to, byte for byte as it was given (its ID is the network ID), mode
// 0644. A repo without one belongs to no network yet; the daemon founds a
// commons of one at its first start (SPEC.md §7.1).
const genesisFile = "genesis.json"

// readGenesis reads and checks DIR/genesis.json; it returns nil and the
// zero NetworkID when there is none.
func readGenesis(dir string) (*protocol.Genesis, protocol.NetworkID, error) {
	p := filepath.Join(dir, genesisFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, protocol.NetworkID{}, nil
	}
	if err != nil {
		return nil, protocol.NetworkID{}, fmt.Errorf("read genesis: %w", err)
	}
	g, nid, err := protocol.DecodeGenesis(b)
	if err != nil {
		return nil, protocol.NetworkID{}, fmt.Errorf("%s: %w", p, err)
	}
	return g, nid, nil
}

// JoinNetwork makes the repo a member of the network that genesis (the
// bytes of a genesis file) founds, storing the bytes as they are. A repo
// that already belongs to that network is left as it is; one that belongs
// to another refuses, with an error of kind Exists naming both networks,
// and changes nothing.
func (r *Repo) JoinNetwork(genesis []byte) error {
	const op = "join network"
	g, nid, err := protocol.DecodeGenesis(genesis)
	if err != nil {
		return err
	}
	if r.Genesis != nil {
		return r.sameNetwork(nid, g)
	}
	err = writeFileNew(filepath.Join(r.Dir, genesisFile), genesis, 0o644)
	if errors.Is(err, fs.ErrExist) { // another process wrote one since OpenRepo
		if r.Genesis, r.Network, err = readGenesis(r.Dir); err != nil {
			return err
		}
		return r.sameNetwork(nid, g)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r.Genesis, r.Network = g, nid
	return nil
}

// sameNetwork refuses a genesis of a network other than the repo's.
func (r *Repo) sameNetwork(nid protocol.NetworkID, g *protocol.Genesis) error {
	if nid == r.Network {
		return nil
	}
	return protocol.E("join network", protocol.Exists,
		"repo %s belongs to network %s (%q), not to network %s (%q) of the genesis given; a repo belongs to one network for good, so nothing was changed (to join %s, create another repo with `commons init --genesis FILE`)",
		r.Dir, r.Network, r.Genesis.Name, nid, g.Name, nid)
}

// FoundCommonsOfOne gives a repo that belongs to no network a genesis of
// its own: the node key the only steward, threshold 1, created now. It does
// nothing to a repo that has a genesis.
func (r *Repo) FoundCommonsOfOne(now time.Time) error {
	if r.Genesis != nil {
		return nil
	}
	b, err := protocol.EncodeGenesis(protocol.CommonsOfOne(r.NodeKey.DID(), now))
	if err != nil {
		return err // unreachable: a commons of one is valid
	}
	return r.JoinNetwork(b)
}

// settleNetwork is what the daemon does at start: join the network of the
// genesis given, if any, else found a commons of one when the repo has no
// genesis yet.
func (r *Repo) settleNetwork(genesis []byte, now time.Time, log *slog.Logger) error {
	had := r.Genesis != nil
	var err error
	if genesis != nil {
		err = r.JoinNetwork(genesis)
	} else {
		err = r.FoundCommonsOfOne(now)
	}
	if err != nil {
		return err
	}
	if !had {
		log.Info("joined network", "network", r.Network, "name", r.Genesis.Name, "stewards", len(r.Genesis.Stewards), "threshold", r.Genesis.Threshold)
	}
	return nil
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
