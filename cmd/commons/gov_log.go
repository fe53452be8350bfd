package main

import (
	"context"
	"fmt"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
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
	log, err := c.GovLog(ctx)
	if err != nil {
		return err
	}
	return env.PrintTable(log, func(t *table) { printGovLog(t, log) })
}

func printGovLog(t *table, log []api.GovLogEntry) {
	if len(log) == 0 {
		t.row("no governance updates yet")
		return
	}
	t.row("DEPTH", "UPDATE", "AUTHOR", "TIME", "WHAT")
	for _, e := range log {
		t.row(e.Depth, e.ID, e.Author, govTime(e.Time), describeGovEntry(e))
	}
}

// describeGovEntry says what an update does and what the fold made of it:
// "propose set-threshold 2: passed", "vote yes on ID: passed" (the
// proposal it voted on), "…; ID expired" for another proposal that
// closed at this point, "…: ignored, not-steward".
func describeGovEntry(e api.GovLogEntry) string {
	var s string
	switch {
	case e.Propose != nil:
		s = "propose " + describeGovOp(*e.Propose, e.Propose.Status)
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
