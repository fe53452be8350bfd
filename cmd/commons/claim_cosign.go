package main

import (
	"context"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
)

// ClaimCosignCommand adds a signature to an existing object.
type ClaimCosignCommand struct{}

func (ClaimCosignCommand) Synopsis() string { return "co-sign a claim (or any object); its ID stays" }
func (ClaimCosignCommand) Usage() string {
	return `usage: commons claim cosign ID [--as KEY]

Adds a signature to the object ID without changing its ID. A claim co-signed
by the subject's publisher is acknowledged; by the publisher and the
contributor, mutual. Any other key's signature adds nothing, and a key that
governance revoked cannot co-sign.
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
	p, err := c.Cosign(ctx, id, node.CosignRequest{As: args.Get("as")})
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) {
		printSigned(t, p, "signature added, ID unchanged", "already signed by this key")
	})
}
