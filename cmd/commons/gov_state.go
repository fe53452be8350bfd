package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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
	raw, err := c.GovState(ctx)
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintTable(raw, nil)
	}
	var s govStateView
	if err := json.Unmarshal(raw, &s); err != nil {
		return protocol.E("gov state", protocol.Other, "decode the daemon's state: %v", err)
	}
	return env.PrintTable(nil, func(t *table) { printGovState(t, &s) })
}

// govStateView is what gov state prints of the state document
// (gov.State's JSON form).
type govStateView struct {
	Network   protocol.NetworkID              `json:"network"`
	StateHash string                          `json:"state_hash"`
	Time      string                          `json:"time"`
	Updates   int                             `json:"updates"`
	Heads     []string                        `json:"heads"`
	Stewards  []protocol.DID                  `json:"stewards"`
	Threshold int                             `json:"threshold"`
	Revoked   []govRevokedView                `json:"revoked"`
	Datasets  map[protocol.ID]govStandingView `json:"datasets"`
	Params    map[string]string               `json:"params"`
	Proposals []govProposalView               `json:"proposals"`
}

type govRevokedView struct {
	DID       protocol.DID `json:"did"`
	Effective string       `json:"effective"`
	Reason    string       `json:"reason"`
	Proposal  protocol.ID  `json:"proposal"`
}

type govStandingView struct {
	Status   gov.DatasetStatus `json:"status"`
	Reason   string            `json:"reason"`
	Proposal protocol.ID       `json:"proposal"`
}

// govOpView is the operation of a proposal, spelled alike in the state
// and in the log, but for the dataset status.
type govOpView struct {
	Action    gov.Action   `json:"action"`
	DID       protocol.DID `json:"did"`
	Threshold int          `json:"threshold"`
	Effective string       `json:"effective"`
	Reason    string       `json:"reason"`
	Dataset   protocol.ID  `json:"dataset"`
	Name      string       `json:"name"`
	Value     string       `json:"value"`
	Expires   string       `json:"expires"`
}

type govProposalView struct {
	govOpView
	ID            protocol.ID        `json:"id"`
	Status        gov.ProposalStatus `json:"status"`
	DatasetStatus gov.DatasetStatus  `json:"dataset_status"`
	Proposer      protocol.DID       `json:"proposer"`
	Yes           []protocol.DID     `json:"yes"`
	No            []protocol.DID     `json:"no"`
}

func printGovState(t *table, s *govStateView) {
	t.row("network:", s.Network)
	t.row("state hash:", s.StateHash)
	t.row("updates:", fmt.Sprintf("%d applied, up to %s", s.Updates, s.Time))
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
			t.row(r.DID, r.Effective, dash(r.Reason))
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
		t.row(p.ID, current(p.Yes), current(p.No), p.Expires, describeGovOp(p.govOpView, p.DatasetStatus))
	}
	if open > 0 {
		t.row("(yes and no count the votes of current stewards)")
	}
	t.row()
	t.row("open proposals:", open)
	t.row("closed proposals:", fmt.Sprintf("%d (commons gov log shows them)", closed))
}

// describeGovOp says in a few words what a proposal proposes.
func describeGovOp(op govOpView, status gov.DatasetStatus) string {
	s := string(op.Action)
	switch op.Action {
	case gov.ActAddSteward, gov.ActRemoveSteward:
		s += " " + op.DID.String()
	case gov.ActSetThreshold:
		s += " " + strconv.Itoa(op.Threshold)
	case gov.ActRevokeKey:
		s += fmt.Sprintf(" %s from %s", op.DID, op.Effective)
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
