package main

import (
	"context"
	"fmt"

	"github.com/commons-p2p/commons/node/api"
)

// DerivedCommand answers what was made from a dataset, a model or an
// artifact.
type DerivedCommand struct{}

func (DerivedCommand) Synopsis() string {
	return "what was made from a dataset: derived datasets, models, and theirs"
}
func (DerivedCommand) Flags() []Flag { return queryFlags }
func (DerivedCommand) Usage() string {
	return `usage: commons derived ID [--json] [--local] [--timeout DURATION]

Shows what was made from ID, network-wide: the datasets that name it among
their parents, the derivations (models, artifacts) that name it among their
inputs, and what was made from those in turn, with the depth at which each
was found and the parent or input it names (VIA). Each is the word of its
publisher, who signed it; a derivation its publisher withdrew is left out.
For an artifact, what was made from the derivations that made it.

The daemon finds them through the derived-from key of each (SPEC.md §7.2)
on the network's DHT, and verifies that each names what it was found
through before it stores it.

` + queryHelp
}

func (DerivedCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	d, err := c.Derived(ctx, id, opts)
	if err != nil {
		return err
	}
	return env.PrintTable(d, func(t *table) { printDerived(t, d) })
}

func printDerived(t *table, d *api.Derived) {
	t.row("subject:", d.Subject)
	if len(d.Derived) == 0 {
		t.row("nothing made from it is known")
		return
	}
	t.row()
	t.row("DEPTH", "ID", "WHAT", "NAME", "PUBLISHER", "VIA")
	for _, it := range d.Derived {
		t.row(it.Depth, it.ID, safe(whatItIs(it)), safe(dash(safeText(it.Name))), it.Publisher, it.Via)
	}
}

// modelActivities are the activities that make a model of their inputs.
var modelActivities = map[string]bool{
	"trained-on": true, "fine-tuned-on": true, "pretrained-on": true, "distilled-from": true,
}

// whatItIs says in a few words what a child is: a dataset, a model and
// how it was made, or an artifact and how.
func whatItIs(it api.DerivedItem) string {
	if it.Kind != "derivation" {
		return it.Kind
	}
	noun := "artifact"
	if modelActivities[it.Activity] {
		noun = "model"
	}
	return fmt.Sprintf("%s, %s", noun, safeText(it.Activity))
}
