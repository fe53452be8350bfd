package main

import (
	"context"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node/api"
)

// EndorseCommand publishes an endorsement.
type EndorseCommand struct{}

func (EndorseCommand) Synopsis() string { return "vouch that a dataset or claim meets a standard" }
func (EndorseCommand) Usage() string {
	return `usage: commons endorse ID --standard S [--level L] [--note TEXT] [--as KEY]

Signs and stores an endorsement: the signer vouches that the dataset or
claim ID meets standard S. A claim endorsed by a current steward of the
commons is certified.
`
}

func (EndorseCommand) Flags() []Flag {
	return []Flag{
		{Name: "standard", Value: "S", Required: true, Help: "the standard or check that was met, e.g. pii-scrubbed"},
		{Name: "level", Value: "L", Help: "the level reached"},
		{Name: "note", Value: "TEXT", Help: "a free-text note"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

func (EndorseCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, c, err := idAndClient(env, args)
	if err != nil {
		return err
	}
	p, err := c.Endorse(ctx, api.EndorseRequest{
		Subject:  id,
		Standard: args.Get("standard"),
		Level:    args.Get("level"),
		Note:     args.Get("note"),
		As:       args.Get("as"),
	})
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) { printPublished(t, p) })
}
