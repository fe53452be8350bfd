package main

import (
	"context"
)

// ObjectGetCommand writes an object's envelope as stored.
type ObjectGetCommand struct{}

func (ObjectGetCommand) Synopsis() string { return "write an object's signed DSSE envelope to stdout" }
func (ObjectGetCommand) Flags() []Flag    { return queryFlags }
func (ObjectGetCommand) Usage() string {
	return `usage: commons object get ID [--local] [--timeout DURATION] > envelope.json

Writes the DSSE envelope of object ID to stdout exactly as the node stores
it, all signatures merged; the ID of a governance update (see ` + "`commons gov log`" + `)
gives the update's envelope. The envelope is itself JSON, so --json changes
nothing. Any conforming DSSE implementation can verify it.

` + queryHelp
}

func (ObjectGetCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	raw, err := c.GetObject(ctx, id, opts)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(raw)
	return err
}
