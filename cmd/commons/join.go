package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/commons-p2p/commons/node"
)

// JoinCommand moves a repo that founded a commons of one into a network.
type JoinCommand struct{}

func (JoinCommand) Synopsis() string {
	return "move a repo that founded a commons of one into the network a genesis founds"
}
func (JoinCommand) Flags() []Flag { return nil }
func (JoinCommand) Usage() string {
	return `usage: commons join GENESIS_FILE

Moves the repo into the network that GENESIS_FILE founds, once. A daemon
started on a repo never given a genesis founds a commons of one, its node
key the only steward; join is how such a repo (or one in no network yet)
joins a real network afterwards. It keeps the keys and every object
(datasets, claims, endorsements, derivations), and drops the commons of
one's governance: its governance updates are deleted and its genesis
replaced, and unless the node key is a steward of the new network its
endorsements certify nothing there. A repo of any other network refuses,
and nothing is changed. Stop the daemon first: join refuses while one runs
on the repo. Start it again afterwards, with --bootstrap to reach the
network's peers.
`
}

func (JoinCommand) Run(_ context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("GENESIS_FILE")
	if err != nil {
		return err
	}
	dir, err := env.Repo()
	if err != nil {
		return err
	}
	genesis, err := readGenesisFile("GENESIS_FILE", pos[0])
	if err != nil {
		return err
	}
	j, err := node.Join(dir, genesis, terminalAsker(env, false), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if !j.Left.IsZero() {
		// What was dropped is said on stderr, with --json too.
		fmt.Fprintf(env.Stderr, "commons: warning: left the commons of one %s (%s): its %d governance updates were deleted, and its node key is no longer its only steward\n",
			j.Left, safeText(j.LeftName), j.DroppedUpdates)
		if !j.Steward {
			fmt.Fprintln(env.Stderr, "commons: warning: the node key is not a steward of the network joined: the endorsements it signed certify nothing there")
		}
	}
	return env.PrintTable(j, func(t *table) { printJoined(t, j) })
}

func printJoined(t *table, j node.Joined) {
	if j.Already {
		t.rowf("repo %s belongs to network %s (%s) already; nothing was changed", j.Repo, j.Network, j.Name)
		return
	}
	t.rowf("repo %s joined network %s", j.Repo, j.Network)
	t.row("name:", j.Name)
	if !j.Left.IsZero() {
		t.row("left:", safe(fmt.Sprintf("%s (%s)", j.Left, safeText(j.LeftName))))
		t.row("dropped:", fmt.Sprintf("%d governance updates of the commons of one", j.DroppedUpdates))
	}
	t.row("kept:", fmt.Sprintf("the keys and %d objects", j.Objects))
	t.row("steward:", yesNo(j.Steward, "yes, the node key is a steward of this network", "no"))
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
