package main

import (
	"context"
	"strings"

	"github.com/commons-p2p/commons/node/api"
)

// SwarmPeersCommand lists the peers the node is connected to.
type SwarmPeersCommand struct{}

func (SwarmPeersCommand) Synopsis() string { return "list the connected peers" }
func (SwarmPeersCommand) Flags() []Flag    { return nil }
func (SwarmPeersCommand) Usage() string {
	return `usage: commons swarm peers

Lists the peers the node is connected to, one a line: the peer ID, the
node's score of it (0 is neutral; below 0 it misbehaved), its credit (0
for nothing; above 0 it answered this node's fetches with verified objects)
and the addresses of the open connections. --json prints an array, []
when there are none.
`
}

func (SwarmPeersCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	peers, err := c.Peers(ctx)
	if err != nil {
		return err
	}
	if peers == nil {
		peers = []api.PeerInfo{}
	}
	for i := range peers {
		if peers[i].Addrs == nil {
			peers[i].Addrs = []string{}
		}
	}
	return env.PrintTable(peers, func(t *table) {
		if len(peers) == 0 {
			t.row("no peers connected")
			return
		}
		t.row("PEER", "SCORE", "CREDIT", "ADDRS")
		for _, p := range peers {
			t.row(p.PeerID, score(p.Score), score(p.Credit), dash(strings.Join(p.Addrs, " ")))
		}
	})
}
