package main

import (
	"context"

	"strconv"
	"strings"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// CreditCommand shares the credit for something among everyone upstream.
type CreditCommand struct{}

func (CreditCommand) Synopsis() string {
	return "the share of credit of every contributor through the lineage"
}

func (CreditCommand) Flags() []Flag {
	return append([]Flag{
		{Name: "min-trust", Value: "LEVEL", Help: "count the claims at this trust and above: asserted, acknowledged, mutual or certified (default " + api.DefaultCreditTrust.String() + ")"},
	}, queryFlags...)
}

func (CreditCommand) Usage() string {
	return `usage: commons credit ID [--min-trust LEVEL] [--json] [--local] [--timeout DURATION]

Shares the credit for ID among everyone who contributed to it or to what it
was made from, through parents and derivation inputs, to any depth. Each
subject's share is split among the contributors of its claims at LEVEL and
above (by their weights) and its parents or inputs (by the weights given
with --parent ID=WEIGHT or --input ID=WEIGHT, 1 by default); a revoked claim
never counts. What no one is credited with — subjects no claim counts for,
delisted datasets, ancestors not found — is unattributed. The shares and the
unattributed part add up to exactly 1. --json gives, for each share, the
claims and routes through the lineage that make it.

` + queryHelp
}

func (CreditCommand) Run(ctx context.Context, env *Env, args *Args) error {
	min := api.DefaultCreditTrust
	if args.Has("min-trust") {
		if err := min.UnmarshalText([]byte(args.Get("min-trust"))); err != nil || min == protocol.Revoked {
			return usagef("--min-trust %q: want asserted, acknowledged, mutual or certified", args.Get("min-trust"))
		}
	}
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	cr, err := c.Credit(ctx, id, min, opts)
	if err != nil {
		return err
	}
	return env.PrintTable(cr, func(t *table) { printCredit(t, cr) })
}

func printCredit(t *table, c *api.Credit) {
	t.row("subject:", c.Subject)
	t.row("min trust:", c.MinTrust)
	t.row()
	t.row("SHARE", "CONTRIBUTOR", "CLAIMS")
	for _, s := range c.Shares {
		t.row(percent(s.Share), s.DID, len(s.Paths)+s.MorePaths)
	}
	t.row(percent(c.Unattributed), "(unattributed)", "")
	for _, m := range c.Missing {
		t.row("missing:", m)
	}
}

// percent writes a share as a percentage with enough digits to tell small
// shares apart.
func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 4, 64) + "%" }

// parseWeightedIDs reads the values of a flag of the form ID[=WEIGHT]
// (--parent, --input): the IDs, and their weights when any value gives
// one (the others weigh 1), or nil when none does.
func parseWeightedIDs(what string, ss []string) ([]protocol.ID, []float64, error) {
	ids := make([]protocol.ID, len(ss))
	weights := make([]float64, len(ss))
	weighted := false
	for i, s := range ss {
		idText, wText, hasWeight := strings.Cut(s, "=")
		id, err := parseID(what, idText)
		if err != nil {
			return nil, nil, err
		}
		ids[i], weights[i] = id, 1
		if !hasWeight {
			continue
		}
		w, err := strconv.ParseFloat(wText, 64)
		if err == nil {
			err = protocol.CheckWeight(w)
		}
		if err != nil {
			return nil, nil, usagef("%s %s: weight %q is not a number in (0,1]", what, idText, wText)
		}
		weights[i], weighted = w, true
	}
	if !weighted {
		weights = nil
	}
	return ids, weights, nil
}
