package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
)

// KeyListCommand lists the keystore.
type KeyListCommand struct{}

func (KeyListCommand) Synopsis() string { return "list the signing keys" }
func (KeyListCommand) Flags() []Flag    { return nil }
func (KeyListCommand) Usage() string {
	return `usage: commons key list

Lists the node's keys, the node key first, with their DIDs.
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
		keys = []node.KeyInfo{}
	}
	return env.Print(keys, func(t *tabwriter.Writer) {
		fmt.Fprintln(t, "NAME\tDID")
		for _, k := range keys {
			fmt.Fprintf(t, "%s\t%s\n", k.Name, k.DID)
		}
	})
}
