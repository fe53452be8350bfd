package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// GovLogCommand lists the governance updates in the order the fold applies
// them.
type GovLogCommand struct{}

func (GovLogCommand) Synopsis() string {
	return "the governance updates, in the order the fold applies them"
}
func (GovLogCommand) Flags() []Flag { return nil }
func (GovLogCommand) Usage() string {
	return `usage: commons gov log

Lists every governance update this node holds, one a line, in the order
every node folds them (depth from the genesis, then ID): its depth, ID,
author and time, what it proposes or votes, and what the fold did with it:
the proposals it closed (passed, rejected, expired, void), or why it was
ignored (an author who is not a steward, a vote on a closed proposal, …).
With --json, the array of updates as the daemon gives it.
`
}

func (GovLogCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	raw, err := c.GovLog(ctx)
	if err != nil {
		return err
	}
	if env.JSON {
		return env.PrintTable(raw, nil)
	}
	var log []govLogView
	if err := json.Unmarshal(raw, &log); err != nil {
		return protocol.E("gov log", protocol.Other, "decode the daemon's log: %v", err)
	}
	return env.PrintTable(nil, func(t *table) { printGovLog(t, log) })
}

// govLogView is what gov log prints of one entry (gov.LogEntry's
// JSON form).
type govLogView struct {
	ID      protocol.ID  `json:"id"`
	Author  protocol.DID `json:"author"`
	Time    string       `json:"time"`
	Propose *struct {
		govOpView
		Status gov.DatasetStatus `json:"status"`
	} `json:"propose"`
	Vote *struct {
		Proposal protocol.ID `json:"proposal"`
		Yes      bool        `json:"yes"`
	} `json:"vote"`
	// Rotate is the rotation envelope of an update that hands its
	// author's seat on (SPEC §8.1).
	Rotate json.RawMessage `json:"rotate"`
	Depth  int             `json:"depth"`
	Result string          `json:"result"` // applied or ignored
	Why    string          `json:"why"`
	Closed []struct {
		Proposal protocol.ID        `json:"proposal"`
		Status   gov.ProposalStatus `json:"status"`
	} `json:"closed"`
}

func printGovLog(t *table, log []govLogView) {
	if len(log) == 0 {
		t.row("no governance updates yet")
		return
	}
	t.row("DEPTH", "UPDATE", "AUTHOR", "TIME", "WHAT")
	for _, e := range log {
		t.row(e.Depth, e.ID, e.Author, e.Time, describeGovEntry(e))
	}
}

// describeGovEntry says what an update does and what the fold made of it:
// "propose set-threshold 2: passed", "vote yes on ID: passed" (the
// proposal it voted on), "…; ID expired" for another proposal that
// closed at this point, "…: ignored, not-steward".
func describeGovEntry(e govLogView) string {
	var s string
	switch {
	case e.Propose != nil:
		s = "propose " + describeGovOp(e.Propose.govOpView, e.Propose.Status)
	case e.Vote != nil && e.Vote.Yes:
		s = "vote yes on " + e.Vote.Proposal.String()
	case e.Vote != nil:
		s = "vote no on " + e.Vote.Proposal.String()
	case len(e.Rotate) > 0:
		s = "rotate to an unreadable key"
		if o, err := protocol.VerifyObject(e.Rotate); err == nil && o.Rotation != nil {
			s = "rotate to " + o.Rotation.To.String()
		}
	}
	if e.Result == "ignored" {
		return s + ": ignored, " + dash(e.Why)
	}
	for _, c := range e.Closed {
		if c.Proposal == e.ID || e.Vote != nil && c.Proposal == e.Vote.Proposal {
			s += fmt.Sprintf(": %s", c.Status)
		} else {
			s += fmt.Sprintf("; %s %s", c.Proposal, c.Status)
		}
	}
	return s
}
