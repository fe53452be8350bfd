package main

import (
	"context"
	"strconv"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// ClaimAddCommand publishes an attribution claim.
type ClaimAddCommand struct{}

func (ClaimAddCommand) Synopsis() string {
	return "claim that someone contributed to a dataset or artifact"
}
func (ClaimAddCommand) Usage() string {
	return `usage: commons claim add --subject ID --role ROLE --weight W [--contributor DID|KEY] [--note TEXT] [--as KEY]

Signs and stores an attribution claim: CONTRIBUTOR did ROLE (author,
annotator, curator, source, funder, …) on the subject, with a weight in
(0, 1]. The contributor defaults to the signer. The claim's trust rises as
others co-sign or endorse it (see commons attribution).
`
}

func (ClaimAddCommand) Flags() []Flag {
	return []Flag{
		{Name: "subject", Value: "ID", Required: true, Help: "the dataset, model or artifact the claim is about"},
		{Name: "role", Value: "ROLE", Required: true, Help: "what the contributor did: author, annotator, curator, source, funder, …"},
		{Name: "weight", Value: "W", Required: true, Help: "the share of the contribution, a number in (0, 1]"},
		{Name: "contributor", Value: "DID|KEY", Help: "who contributed: a did:key or a key name (default: the signer)"},
		{Name: "note", Value: "TEXT", Help: "a free-text note"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

func (ClaimAddCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	subject, err := parseID("--subject", args.Get("subject"))
	if err != nil {
		return err
	}
	weight, err := parseWeight(args.Get("weight"))
	if err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	p, err := c.AddClaim(ctx, api.AddClaimRequest{
		Subject:     subject,
		Contributor: args.Get("contributor"),
		Role:        args.Get("role"),
		Weight:      weight,
		Note:        args.Get("note"),
		As:          args.Get("as"),
	})
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) { printPublished(t, p) })
}

// parseWeight reads a weight in (0, 1].
func parseWeight(s string) (float64, error) {
	w, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, badValue(protocol.E("claim add", protocol.Invalid, "--weight %q is not a number; want a number in (0, 1], e.g. 0.3", s))
	}
	if !(w > 0 && w <= 1) {
		return 0, badValue(protocol.E("claim add", protocol.Invalid, "--weight %s is outside (0, 1]: a weight is more than 0 and at most 1", s))
	}
	return w, nil
}
