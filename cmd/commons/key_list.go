package main

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
)

// KeyListCommand lists the keystore.
type KeyListCommand struct{}

func (KeyListCommand) Synopsis() string { return "list the signing keys" }
func (KeyListCommand) Flags() []Flag    { return nil }
func (KeyListCommand) Usage() string {
	return `usage: commons key list

Lists the node's keys, the node key first, with their DIDs; then the keys
that 'commons key rotate' retired, marked so.
`
}

func (KeyListCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	keys, err := c.Keys(ctx)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []api.KeyInfo{}
	}
	return env.PrintTable(keys, func(t *table) {
		t.row("NAME", "DID", "")
		for _, k := range keys {
			state := ""
			if k.Retired {
				state = "retired"
			}
			t.row(k.Name, k.DID, state)
		}
	})
}
