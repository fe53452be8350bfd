package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/commons-p2p/commons/node/api"
)

// LicenseCommand shows the licences upstream of something and whether its
// own licence keeps their terms.
type LicenseCommand struct{}

func (LicenseCommand) Synopsis() string {
	return "the licences upstream, whether this one keeps their terms, what they oblige"
}
func (LicenseCommand) Flags() []Flag { return queryFlags }
func (LicenseCommand) Usage() string {
	return `usage: commons license ID [--json] [--local] [--timeout DURATION]

Shows the licence of ID, then every licence upstream of it along its whole
lineage (the parents of datasets, the inputs of derivations, to any depth)
with its dataset, publisher, depth and properties: public-domain,
permissive, attribution, share-alike, non-commercial, no-derivatives, or
unknown (a LicenseRef, text that is not an SPDX expression, an ancestor not
held here). Then whether ID's licence keeps the terms of every upstream
licence, each conflict with its reason, and the obligations that follow.
The table of licences and its sources: docs/LICENSES.md. This is a reading
of the licences' terms to help, not legal advice.

Exits 0 whether or not the licences are compatible: read "compatible".

` + queryHelp
}

func (LicenseCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	r, err := c.License(ctx, id, opts)
	if err != nil {
		return err
	}
	return env.PrintTable(r, func(t *table) { printLicense(t, r) })
}

func printLicense(t *table, r *api.LicenseReport) {
	t.row("subject:", r.Subject)
	t.row("license:", safe(licenseText(r.License, r.Properties)))
	if r.Standing != nil {
		t.row("standing:", standingText(r.Standing))
	}
	t.row("compatible:", r.Compatible)
	t.row()
	if len(r.Upstream) == 0 {
		t.row("upstream: none known")
	} else {
		t.row("DEPTH", "UPSTREAM", "NAME", "LICENSE", "PROPERTIES", "PUBLISHER")
		for _, u := range r.Upstream {
			name := safeText(u.Name)
			if u.Name == "" {
				name = "(" + u.Kind + ")"
			}
			if u.Standing != nil {
				name += " (" + safeText(string(u.Standing.Status)) + ")"
			}
			t.row(u.Depth, u.ID, safe(name), safe(licenseText(u.License, nil)), strings.Join(u.Properties, ","), didOrDash(u))
		}
	}
	if len(r.Conflicts) > 0 {
		t.row()
		t.row("CONFLICT WITH", "REASON")
		for _, c := range r.Conflicts {
			t.row(c.Upstream, c.Reason)
		}
	}
	if len(r.Obligations) > 0 {
		t.row()
		t.row("OBLIGATION", "LICENSE", "UPSTREAM", "WHAT")
		for _, o := range r.Obligations {
			t.row(o.Kind, o.License, len(o.Upstream), o.Text)
		}
	}
}

func licenseText(l string, props []string) string {
	if l == "" {
		return "(none stated)"
	}
	if len(props) == 0 {
		return safeText(l)
	}
	return fmt.Sprintf("%s (%s)", safeText(l), strings.Join(props, ", "))
}

func didOrDash(u api.LicenseUpstream) any {
	if u.Publisher.IsZero() {
		return "-"
	}
	return u.Publisher
}
