package node

import (
	"log/slog"
	"os"
	"strings"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Joined is what Join did.
type Joined struct {
	Repo    string             `json:"repo"`
	Network protocol.NetworkID `json:"network"` // the network the repo now belongs to
	Name    string             `json:"name"`
	// Left is the commons of one the repo founded and has left; zero ("")
	// when the repo belonged to no network yet.
	Left     protocol.NetworkID `json:"left"`
	LeftName string             `json:"left_name"`
	// DroppedUpdates counts the governance updates of the commons of one
	// that were deleted; Objects counts the objects kept.
	DroppedUpdates int   `json:"dropped_governance_updates"`
	Objects        int64 `json:"objects"`
	// Steward reports whether the node key is a steward of the network
	// joined: when not, its endorsements no longer certify anything.
	Steward bool `json:"steward"`
	// Already is true when the repo belonged to that network already:
	// nothing was changed.
	Already bool `json:"already"`
}

// Join moves the repo in dir into the network that genesis (a
// genesis file's bytes) founds, keeping its keys and objects. It is for a
// repo that founded a commons of one at its daemon's first start (or
// belongs to no network yet), and works once: a repo of any other network
// refuses, changing nothing. The commons of one's governance (its updates,
// the node key's place as its only steward) is dropped: its updates are
// deleted from the store, the DHT provider records the repo holds
// (providers/, records of the old network's peers) are deleted, and
// genesis.json is replaced. The daemon must be
// stopped: the store's lock is taken first, and a running daemon holds it.
// SPEC.md §7.1.
func Join(dir string, genesis []byte, ask repo.PassphraseAsker, log *slog.Logger) (Joined, error) {
	const op = "join"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g, nid, err := protocol.DecodeGenesis(genesis)
	if err != nil {
		return Joined{}, protocol.E(op, protocol.KindOf(err), "genesis: %w", err)
	}
	r, err := repo.OpenAsking(dir, ask)
	if err != nil {
		return Joined{}, err
	}
	st, err := openStoreLocked(r, log)
	if err != nil {
		return Joined{}, err
	}
	defer st.Close()
	// Read again under the lock: another join may have finished since.
	if r.Genesis, r.Network, err = repo.ReadGenesis(dir); err != nil {
		return Joined{}, err
	}
	out := Joined{Repo: dir, Network: nid, Name: g.Name, Steward: g.Policy().IsSteward(r.NodeKey.DID())}
	switch {
	case r.Genesis == nil:
	case r.Network == nid:
		out.Already = true
		return out, nil
	case !r.IsCommonsOfOne():
		return Joined{}, r.SameNetwork(nid, g)
	default:
		out.Left, out.LeftName = r.Network, r.Genesis.Name
	}
	stats, err := st.Stats()
	if err != nil {
		return Joined{}, err
	}
	out.Objects = stats.Objects
	// The updates go first: a crash between the two steps leaves a
	// commons of one without its updates, which a second join completes,
	// never a repo of the new network holding the old one's updates.
	if out.DroppedUpdates, err = st.DropGovUpdates(); err != nil {
		return Joined{}, err
	}
	// The provider records are the old network's peers': none of them
	// is a peer of the new one. Deleted before genesis.json too, so that
	// a crash between leaves a commons of one.
	if err := os.RemoveAll(r.ProviderRecordsDir()); err != nil {
		return Joined{}, protocol.E(op, protocol.KindOf(err), "delete the provider records: %w", err)
	}
	if err := r.ReplaceGenesis(genesis); err != nil {
		return Joined{}, protocol.E(op, protocol.KindOf(err), "write genesis: %w", err)
	}
	log.Info("joined network", "network", nid, "name", g.Name, "left", out.Left, "dropped_governance_updates", out.DroppedUpdates)
	return out, nil
}

// openStoreLocked opens the repo's store, which takes the lock that a
// running daemon holds: its error when a daemon runs says so once.
func openStoreLocked(r *repo.Repo, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(store.Options{Dir: r.DataDir(), Logger: log})
	if err != nil && strings.Contains(err.Error(), "directory lock") {
		return nil, protocol.E("open store", protocol.Exists, "a daemon is using repo %s: stop it first", r.Dir)
	}
	return st, err
}
