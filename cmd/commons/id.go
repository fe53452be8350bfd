package main

import (
	"context"
	"fmt"
	"text/tabwriter"
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
	return env.Print(info, func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "did:\t%s\n", info.DID)
		fmt.Fprintf(t, "peer id:\t%s\n", info.PeerID)
		fmt.Fprintf(t, "network:\t%s\n", dash(info.Network))
		if len(info.Addrs) == 0 {
			fmt.Fprintf(t, "addr:\tnone (not listening)\n")
		}
		for _, a := range info.Addrs {
			fmt.Fprintf(t, "addr:\t%s\n", a)
		}
		fmt.Fprintf(t, "repo:\t%s\n", info.Repo)
		fmt.Fprintf(t, "version:\t%s\n", dash(info.Version))
	})
}
