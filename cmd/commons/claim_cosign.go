package main

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
)

// ClaimCosignCommand adds a signature to an existing attribution claim.
type ClaimCosignCommand struct{}

func (ClaimCosignCommand) Synopsis() string { return "co-sign an attribution claim; its ID stays" }
func (ClaimCosignCommand) Usage() string {
	return `usage: commons claim cosign ID [--as KEY]

Adds a signature to the attribution claim ID without changing its ID. A claim
co-signed by the subject's publisher is acknowledged; by the publisher and the
contributor, mutual. Only the claim's contributor and the publisher of its
subject have a signature to add: any other key, and any object that is not an
attribution, is refused, since the signature would mean nothing; so is a key
that governance revoked.
`
}

func (ClaimCosignCommand) Flags() []Flag {
	return []Flag{{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"}}
}

func (ClaimCosignCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, c, err := idAndClient(env, args)
	if err != nil {
		return err
	}
	p, err := c.Cosign(ctx, id, api.CosignRequest{As: args.Get("as")})
	if err != nil {
		return err
	}
	return env.PrintTable(p, func(t *table) {
		printSigned(t, p, "signature added, ID unchanged", "already signed by this key")
	})
}
