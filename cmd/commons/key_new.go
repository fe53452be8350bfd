package main

import (
	"context"
)

// KeyNewCommand creates a named key in the node's keystore.
type KeyNewCommand struct{}

func (KeyNewCommand) Synopsis() string { return "create a named signing key" }
func (KeyNewCommand) Flags() []Flag    { return nil }
func (KeyNewCommand) Usage() string {
	return `usage: commons key new NAME

Creates an Ed25519 key called NAME in the node's keystore. Sign with it by
adding --as NAME to a command. NAME is 1 to 64 lowercase letters, digits,
- and _.
`
}

func (KeyNewCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("NAME")
	if err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	k, err := c.NewKey(ctx, pos[0])
	if err != nil {
		return err
	}
	return env.PrintTable(k, func(t *table) {
		t.rowf("created key %s", k.Name)
		t.row("did:", k.DID)
	})
}
