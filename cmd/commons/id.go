package main

import (
	"context"
)

// IDCommand shows the node's identity.
type IDCommand struct{}

func (IDCommand) Synopsis() string { return "show the node's DID, peer ID and addresses" }
func (IDCommand) Flags() []Flag    { return nil }
func (IDCommand) Usage() string {
	return `usage: commons id

Shows the identity of the running node: its did:key and its libp2p peer ID,
two spellings of one key, then the network it belongs to and the addresses
other nodes reach it at. Each address ends in /p2p/PEER: give one to
` + "`commons swarm connect`" + ` or ` + "`commons init --bootstrap`" + ` on another node.
`
}

func (IDCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	info, err := c.ID(ctx)
	if err != nil {
		return err
	}
	if info.Addrs == nil {
		info.Addrs = []string{}
	}
	return env.PrintTable(info, func(t *table) {
		t.row("did:", info.DID)
		t.row("peer id:", info.PeerID)
		t.row("network:", dash(info.Network))
		if len(info.Addrs) == 0 {
			t.row("addr:", "none (not listening)")
		}
		for _, a := range info.Addrs {
			t.row("addr:", a)
		}
		t.row("repo:", info.Repo)
		t.row("version:", dash(info.Version))
	})
}
