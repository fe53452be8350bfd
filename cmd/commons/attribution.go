package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/commons-p2p/commons/node/api"
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
endorsements of ID, then what names ID directly among its parents or inputs
(commons derived shows what was made from those too), then its lineage:
every ancestor dataset with its own contributors. An artifact's publisher
is the issuer of its derivations that a steward endorsed.

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
	return env.PrintTable(a, func(t *table) { printAttribution(t, a) })
}

func printAttribution(t *table, a *api.Attribution) {
	t.row("subject:", fmt.Sprintf("%s (%s)", a.Subject, a.Kind))
	if a.Name != "" {
		t.row("name:", a.Name)
	}
	if !a.Publisher.IsZero() {
		t.row("publisher:", a.Publisher)
	}
	if a.Standing != nil {
		t.row("standing:", standingText(a.Standing))
	}
	t.row()
	printContributors(t, "", a.Contributors)
	if len(a.Endorsements) > 0 {
		t.row()
		t.row("ENDORSED BY", "STANDARD", "LEVEL", "STEWARD", "ENDORSEMENT")
		for _, e := range a.Endorsements {
			std := safeText(e.Standard)
			if e.Withdrawn {
				std += " (withdrawn)"
			}
			t.row(e.Issuer, safe(std), dash(e.Level), e.Steward, e.ID)
		}
	}
	if len(a.Derived) > 0 {
		t.row()
		t.row("made from it:")
		t.row("  ID", "WHAT", "NAME", "PUBLISHER")
		for _, it := range a.Derived {
			t.row("  "+it.ID.String(), safe(whatItIs(it)), safe(dash(safeText(it.Name))), it.Publisher)
		}
	}
	if len(a.Lineage) == 0 {
		return
	}
	// The ancestors are one table and each one's contributors another:
	// a line of a single cell between them keeps their columns apart, so
	// an ID in one does not widen a role in the other.
	t.row()
	t.row("lineage:")
	t.row("  DEPTH", "ANCESTOR", "NAME", "VIA")
	names := make([]string, len(a.Lineage))
	for i, anc := range a.Lineage {
		names[i] = safeText(anc.Name)
		if anc.Name == "" {
			names[i] = anc.Kind
		}
		if anc.Standing != nil {
			names[i] += " [" + safeText(string(anc.Standing.Status)) + "]"
		}
		t.row(fmt.Sprintf("  %d", anc.Depth), anc.ID, safe(names[i]), anc.Via)
	}
	for i, anc := range a.Lineage {
		t.row()
		t.row(safe(fmt.Sprintf("contributors of %s (%s):", names[i], anc.ID)))
		printContributors(t, "  ", anc.Contributors)
	}
}

func printContributors(t *table, indent string, cs []api.Contributor) {
	if len(cs) == 0 {
		t.row(indent + "no contributors claimed")
		return
	}
	t.row(indent+"CONTRIBUTOR", "ROLE", "WEIGHT", "TRUST", "SIGNERS", "CLAIM")
	for _, c := range cs {
		t.row(safe(indent+safeText(c.DID.String())), c.Role,
			strconv.FormatFloat(c.Weight, 'f', -1, 64), c.Trust, len(c.Signers), c.Claim)
	}
}

// standingText reads a dataset's standing in the commons: "delisted: the
// reason (proposal ID)".
func standingText(s *api.Standing) string {
	out := string(s.Status)
	if s.Reason != "" {
		out += ": " + s.Reason
	}
	if !s.Proposal.IsZero() {
		out += " (proposal " + s.Proposal.String() + ")"
	}
	return out
}
