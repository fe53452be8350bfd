package main

import (
	"context"

	"github.com/commons-p2p/commons/node"
)

// KeyRotateCommand replaces a key by a new one that inherits its identity.
type KeyRotateCommand struct{}

func (KeyRotateCommand) Synopsis() string {
	return "replace a key by a new one that carries on its identity"
}
func (KeyRotateCommand) Flags() []Flag {
	return []Flag{{Name: "note", Value: "TEXT", Help: "why the key is rotated, signed into the rotation"}}
}
func (KeyRotateCommand) Usage() string {
	return `usage: commons key rotate [NAME] [--note TEXT]

Replaces the key called NAME (the node key by default) by a new key. Both
keys sign a rotation that links them, so every node counts the new key's
signatures where the old key's would count (SPEC §4.6); when the old key is
a steward of the commons, a governance update by it hands its seat to the
new key, with its votes on open proposals. The old key moves to
keys/retired/: it signs nothing new, but 'commons claim revoke' still uses
it to withdraw what it issued.

Stop the daemon first: the command refuses while it runs. The daemon
publishes the rotation when it next starts. Rotating the node key changes
the node's peer ID: tell the peers that list this node as a bootstrap peer
its new address ('commons id'). A rotation that was interrupted is finished
by running the command again. A leaked key is revoked by governance, not
merely rotated: a thief holds it too. A revoked key can still be rotated;
the rotation then counts only once a current steward endorses it. See
docs/OPERATING.md, "A compromised key".
`
}

func (KeyRotateCommand) Run(_ context.Context, env *Env, args *Args) error {
	if len(args.Pos) > 1 {
		return usagef("unexpected argument %q: give at most one key name", args.Pos[1])
	}
	name := ""
	if len(args.Pos) == 1 {
		name = args.Pos[0]
	}
	dir, err := env.Repo()
	if err != nil {
		return err
	}
	r, err := node.RotateKey(dir, name, args.Get("note"), terminalAsker(env, false), nil)
	if err != nil {
		return err
	}
	return env.PrintTable(r, func(t *table) {
		t.row("key:", r.Name)
		t.row("from:", r.From.String())
		t.row("to:", r.To.String())
		t.row("rotation:", r.Rotation.String())
		if !r.GovUpdate.IsZero() {
			t.row("steward seat:", "handed on by governance update "+r.GovUpdate.String())
		}
		if r.PeerID != "" {
			t.row("peer id:", r.PeerID+" from the next start")
		}
		if r.Revoked {
			t.rowf("the old key is revoked: the rotation counts once a current steward endorses it")
			t.rowf("(commons endorse %s --standard key-rotation)", r.Rotation)
		}
		if r.Resumed {
			t.rowf("an interrupted rotation was finished")
		}
		t.rowf("start the daemon to publish the rotation")
	})
}
