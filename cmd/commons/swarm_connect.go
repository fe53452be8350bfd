package main

import (
	"context"
	"strconv"
)

// SwarmConnectCommand connects the node to one peer.
type SwarmConnectCommand struct{}

func (SwarmConnectCommand) Synopsis() string { return "connect to a peer at its address" }
func (SwarmConnectCommand) Flags() []Flag    { return nil }
func (SwarmConnectCommand) Usage() string {
	return `usage: commons swarm connect MULTIADDR

Asks the daemon to connect to the peer at MULTIADDR, an address ending in
/p2p/PEER as ` + "`commons id`" + ` prints it on that node, and shows the peer once
connected. The connection lasts until either node drops it; peers to join
through at every start belong in ` + "`commons init --bootstrap`" + ` or
` + "`commons daemon --bootstrap`" + `.
`
}

func (SwarmConnectCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("MULTIADDR")
	if err != nil {
		return err
	}
	if err := checkPeerAddrs("MULTIADDR", pos); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	p, err := c.Connect(ctx, pos[0])
	if err != nil {
		return err
	}
	if p.Addrs == nil {
		p.Addrs = []string{}
	}
	return env.PrintTable(p, func(t *table) {
		t.rowf("connected to %s", p.PeerID)
		for _, a := range p.Addrs {
			t.row("addr:", a)
		}
		t.row("score:", score(p.Score))
		t.row("credit:", score(p.Credit))
	})
}

// score spells a peer's score as briefly as it allows.
func score(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }
