package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// GovStateCommand shows the governance state the daemon folded.
type GovStateCommand struct{}

func (GovStateCommand) Synopsis() string {
	return "stewards, threshold, revoked keys, dataset status, open proposals"
}
func (GovStateCommand) Flags() []Flag { return nil }
func (GovStateCommand) Usage() string {
	return `usage: commons gov state

Shows the commons' governance as this node folded it from the updates it
holds: the network, the state hash (equal on every node that holds the same
updates), the stewards and the threshold, the revoked keys with the time
from which their claims are revoked, the status of datasets, the open
proposals with their yes and no votes, and the params. With --json, the
state document as the daemon gives it, closed proposals included.
`
}

func (GovStateCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	s, err := c.GovState(ctx)
	if err != nil {
		return err
	}
	return env.PrintTable(s, func(t *table) { printGovState(t, s) })
}

func printGovState(t *table, s *api.GovState) {
	t.row("network:", s.Network)
	t.row("state hash:", s.StateHash)
	t.row("updates:", fmt.Sprintf("%d applied, up to %s", s.Updates, govTime(s.Time)))
	for _, h := range s.Heads {
		t.row("head:", h)
	}
	t.row("threshold:", fmt.Sprintf("%d of %d stewards", s.Threshold, len(s.Stewards)))

	t.row()
	t.row("STEWARD")
	for _, d := range s.Stewards {
		t.row(d)
	}
	if len(s.Revoked) > 0 {
		t.row()
		t.row("REVOKED KEY", "EFFECTIVE", "REASON")
		for _, r := range s.Revoked {
			t.row(r.DID, govTime(r.Effective), dash(r.Reason))
		}
	}
	if len(s.Datasets) > 0 {
		t.row()
		t.row("DATASET", "STATUS", "REASON")
		ids := slices.SortedFunc(maps.Keys(s.Datasets), func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
		for _, id := range ids {
			d := s.Datasets[id]
			t.row(id, d.Status, dash(d.Reason))
		}
	}
	if len(s.Params) > 0 {
		t.row()
		t.row("PARAM", "VALUE")
		for _, name := range slices.Sorted(maps.Keys(s.Params)) {
			t.row(name, s.Params[name])
		}
	}
	open, closed := 0, 0
	for _, p := range s.Proposals {
		if p.Status != gov.ProposalOpen {
			closed++
			continue
		}
		if open == 0 {
			t.row()
			t.row("OPEN PROPOSAL", "YES", "NO", "EXPIRES", "PROPOSES")
		}
		open++
		// Only the votes of current stewards count toward the threshold.
		current := func(ds []protocol.DID) int {
			k := 0
			for _, d := range ds {
				if slices.Contains(s.Stewards, d) {
					k++
				}
			}
			return k
		}
		t.row(p.ID, current(p.Yes), current(p.No), govTime(p.Expires), describeGovOp(govOpOf(p), p.DatasetStatus))
	}
	if open > 0 {
		t.row("(yes and no count the votes of current stewards)")
	}
	t.row()
	t.row("open proposals:", open)
	t.row("closed proposals:", fmt.Sprintf("%d (commons gov log shows them)", closed))
}

// govOpOf is the operation proposal p proposes.
func govOpOf(p api.GovProposal) api.GovOp {
	op := api.GovOp{Action: p.Action, DID: p.DID, Dataset: p.Dataset, Name: p.Name, Threshold: p.Threshold, Effective: p.Effective, Reason: p.Reason, Expires: p.Expires}
	if p.Value != nil {
		op.Value = *p.Value
	}
	return op
}

// govTime spells a time of governance as the daemon does: UTC, to the
// second.
func govTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// describeGovOp says in a few words what a proposal proposes.
func describeGovOp(op api.GovOp, status gov.DatasetStatus) string {
	s := string(op.Action)
	switch op.Action {
	case gov.ActAddSteward, gov.ActRemoveSteward:
		s += " " + op.DID.String()
	case gov.ActSetThreshold:
		s += " " + strconv.Itoa(op.Threshold)
	case gov.ActRevokeKey:
		s += fmt.Sprintf(" %s from %s", op.DID, govTime(op.Effective))
	case gov.ActDatasetStatus:
		s += fmt.Sprintf(" %s %s", op.Dataset, status)
	case gov.ActSetParam:
		s += fmt.Sprintf(" %s=%q", op.Name, op.Value)
	}
	if op.Reason != "" {
		s += fmt.Sprintf(" (%s)", op.Reason)
	}
	return s
}
