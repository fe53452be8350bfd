package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/commons-p2p/commons/store"
)

// AttributionCommand answers who contributed to something, at what trust.
type AttributionCommand struct{}

func (AttributionCommand) Synopsis() string { return "who contributed, at what trust, and the lineage" }
func (AttributionCommand) Flags() []Flag    { return queryFlags }
func (AttributionCommand) Usage() string {
	return `usage: commons attribution ID [--local] [--timeout DURATION]

Shows the attribution claims about ID with the trust each has earned —
asserted (no one but its issuer vouched for it), acknowledged (the
publisher co-signed it), mutual (contributor and publisher, two parties,
both signed), certified (a current steward endorsed it), revoked (withdrawn
by its issuer, or its issuer's key revoked by governance) — then the
endorsements of ID, then its lineage: every ancestor dataset with its own
contributors. An artifact's publisher is the issuer of its derivations that
a steward endorsed.

` + queryHelp
}

func (AttributionCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	a, err := c.Attribution(ctx, id, opts)
	if err != nil {
		return err
	}
	return env.Print(a, func(t *tabwriter.Writer) { printAttribution(t, a) })
}

func printAttribution(t *tabwriter.Writer, a *store.Attribution) {
	fmt.Fprintf(t, "subject:\t%s (%s)\n", a.Subject, a.Kind)
	if a.Name != "" {
		fmt.Fprintf(t, "name:\t%s\n", a.Name)
	}
	if !a.Publisher.IsZero() {
		fmt.Fprintf(t, "publisher:\t%s\n", a.Publisher)
	}
	if a.Standing != nil {
		fmt.Fprintf(t, "standing:\t%s\n", standingText(a.Standing))
	}
	fmt.Fprintln(t)
	printContributors(t, "", a.Contributors)
	if len(a.Endorsements) > 0 {
		fmt.Fprintln(t, "\nENDORSED BY\tSTANDARD\tLEVEL\tSTEWARD\tENDORSEMENT")
		for _, e := range a.Endorsements {
			std := e.Standard
			if e.Withdrawn {
				std += " (withdrawn)"
			}
			fmt.Fprintf(t, "%s\t%s\t%s\t%t\t%s\n", e.Issuer, std, dash(e.Level), e.Steward, e.ID)
		}
	}
	if len(a.Lineage) == 0 {
		return
	}
	fmt.Fprintln(t, "\nlineage:")
	for _, anc := range a.Lineage {
		name := anc.Name
		if name == "" {
			name = anc.Kind
		}
		if anc.Standing != nil {
			name += " [" + anc.Standing.Status + "]"
		}
		fmt.Fprintf(t, "\n  depth %d\t%s\t%s\tvia %s\n", anc.Depth, anc.ID, name, anc.Via)
		printContributors(t, "  ", anc.Contributors)
	}
}

func printContributors(t *tabwriter.Writer, indent string, cs []store.Contributor) {
	if len(cs) == 0 {
		fmt.Fprintf(t, "%sno contributors claimed\n", indent)
		return
	}
	fmt.Fprintf(t, "%sCONTRIBUTOR\tROLE\tWEIGHT\tTRUST\tSIGNERS\tCLAIM\n", indent)
	for _, c := range cs {
		fmt.Fprintf(t, "%s%s\t%s\t%s\t%s\t%d\t%s\n", indent, c.DID, c.Role,
			strconv.FormatFloat(c.Weight, 'f', -1, 64), c.Trust, len(c.Signers), c.Claim)
	}
}

// standingText reads a dataset's standing in the commons: "delisted: the
// reason (proposal ID)".
func standingText(s *store.Standing) string {
	out := s.Status
	if s.Reason != "" {
		out += ": " + s.Reason
	}
	if !s.Proposal.IsZero() {
		out += " (proposal " + s.Proposal.String() + ")"
	}
	return out
}
