package main

import (
	"context"

	"github.com/commons-p2p/commons/node/repo"
)

// InitCommand creates a repo: node key, config and data directory.
type InitCommand struct{}

func (InitCommand) Synopsis() string { return "create a repo: node key, config and data directory" }
func (InitCommand) Usage() string {
	return `usage: commons init [--api ADDR] [--listen MULTIADDR]... [--genesis FILE] [--bootstrap MULTIADDR]... [--swarm-key FILE]
                   [--passphrase-file FILE | --passphrase-env NAME]

Creates the repo directory with a new node key, a config and an empty store.
--api and --listen are written into the config. With --genesis the repo
joins the network that FILE founds (see ` + "`commons genesis new`" + `); without,
it belongs to no network until the daemon starts, which then joins the
network of its --genesis or founds a commons of one. Each --bootstrap is a
peer, an address ending in /p2p/PEER as ` + "`commons id`" + ` prints it there,
saved in the config: the daemon joins the network through them at every
start. --swarm-key makes the network private: the repo keeps a copy of FILE
(see ` + "`commons swarm key new`" + `) and talks only to nodes that hold the same
key, over TCP. --passphrase-file or --passphrase-env encrypt the keystore
with the passphrase in FILE or in $NAME, and keep the name in the config for
the daemon to read at every start. An existing repo is never touched, and a bad flag creates
nothing: init refuses and changes nothing.
`
}

func (InitCommand) Flags() []Flag {
	return []Flag{
		{Name: "api", Value: "ADDR", Help: "the HTTP API's address (default " + repo.DefaultAPIAddr + ")"},
		{Name: "listen", Value: "MULTIADDR", Repeat: true, Help: "a libp2p listen address (default " + repo.DefaultListen + " and " + repo.DefaultListenQUIC + "; a private network listens on TCP only)"},
		{Name: "genesis", Value: "FILE", Help: "join the network this genesis founds"},
		{Name: "bootstrap", Value: "MULTIADDR", Repeat: true, Help: "a peer to join the network through, ending in /p2p/PEER"},
		{Name: "swarm-key", Value: "FILE", Help: "the swarm key of a private network"},
		passphraseFlags[0], passphraseFlags[1],
	}
}

func (InitCommand) Run(_ context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	if err := checkPeerAddrs("--bootstrap", args.All("bootstrap")); err != nil {
		return err
	}
	if err := checkListenFlags(args); err != nil {
		return err
	}
	keystore, err := keystoreFlags(args)
	if err != nil {
		return err
	}
	dir, err := env.Repo()
	if err != nil {
		return err
	}
	genesis, err := readGenesisFlag(args.Get("genesis"))
	if err != nil {
		return err
	}
	swarmKey, err := readSwarmKeyFlag(args.Get("swarm-key"))
	if err != nil {
		return err
	}
	r, err := repo.Init(dir, repo.InitOptions{
		Keystore:  keystore,
		APIAddr:   args.Get("api"),
		Listen:    args.All("listen"),
		Genesis:   genesis,
		Bootstrap: args.All("bootstrap"),
		SwarmKey:  swarmKey,
	})
	if err != nil {
		return err
	}
	out := struct {
		DID       string   `json:"did"`
		PeerID    string   `json:"peer_id"`
		Network   string   `json:"network"` // "" until the repo joins a network
		Repo      string   `json:"repo"`
		Bootstrap []string `json:"bootstrap"`
		Private   bool     `json:"private"` // the repo holds a swarm key
	}{r.NodeKey.DID().String(), r.PeerID.String(), r.Network.String(), r.Dir, r.Config.Bootstrap, swarmKey != nil}
	if out.Bootstrap == nil {
		out.Bootstrap = []string{}
	}
	return env.PrintTable(out, func(t *table) {
		t.rowf("created repo %s", out.Repo)
		t.row("did:", out.DID)
		t.row("peer id:", out.PeerID)
		if out.Network != "" {
			t.row("network:", safe(out.Network+" ("+safeText(r.Genesis.Name)+")"))
		} else {
			t.row("network:", "none yet (the daemon joins its --genesis, or founds a commons of one)")
		}
		for _, b := range out.Bootstrap {
			t.row("bootstrap:", b)
		}
		if out.Private {
			t.row("private:", "yes, only nodes with this swarm key")
		}
	})
}
