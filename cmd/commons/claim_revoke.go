package main

import (
	"context"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node/api"
)

// ClaimRevokeCommand withdraws a claim.
type ClaimRevokeCommand struct{}

func (ClaimRevokeCommand) Synopsis() string { return "withdraw a claim you issued" }
func (ClaimRevokeCommand) Usage() string {
	return `usage: commons claim revoke ID --reason TEXT [--as KEY]

Signs and stores a revocation of the claim ID. Only the claim's own issuer
may revoke it: sign with the key that issued it.
`
}

func (ClaimRevokeCommand) Flags() []Flag {
	return []Flag{
		{Name: "reason", Value: "TEXT", Required: true, Help: "why the claim is withdrawn"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

func (ClaimRevokeCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, c, err := idAndClient(env, args)
	if err != nil {
		return err
	}
	p, err := c.Revoke(ctx, id, api.RevokeRequest{Reason: args.Get("reason"), As: args.Get("as")})
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) { printPublished(t, p) })
}
