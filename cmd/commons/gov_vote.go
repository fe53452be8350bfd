package main

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
)

// GovVoteCommand votes on an open governance proposal.
type GovVoteCommand struct{}

func (GovVoteCommand) Synopsis() string { return "vote yes or no on an open proposal" }
func (GovVoteCommand) Flags() []Flag    { return []Flag{govAsFlag} }
func (GovVoteCommand) Usage() string {
	return `usage: commons gov vote PROPOSAL_ID yes|no [--as KEY]

Votes on an open proposal as the node key, or as --as KEY; only the votes of
current stewards count, and anyone else is refused with nothing published.
A steward votes once on a proposal. The proposal passes when the yes votes
reach the threshold before it expires. Prints the vote's ID and the
proposal's status.
`
}

func (c GovVoteCommand) Run(ctx context.Context, env *Env, args *Args) error {
	req, err := c.request(args)
	if err != nil {
		return err
	}
	cl, err := env.Client()
	if err != nil {
		return err
	}
	p, err := cl.GovVote(ctx, req)
	if err != nil {
		return err
	}
	return env.PrintTable(p, func(t *table) { printGovPublished(t, p) })
}

// request checks the command line and makes the request it asks for.
func (GovVoteCommand) request(args *Args) (api.GovVoteRequest, error) {
	pos, err := args.positionals("PROPOSAL_ID", "yes|no")
	if err != nil {
		return api.GovVoteRequest{}, err
	}
	id, err := parseID("PROPOSAL_ID", pos[0])
	if err != nil {
		return api.GovVoteRequest{}, err
	}
	if pos[1] != "yes" && pos[1] != "no" {
		return api.GovVoteRequest{}, usagef("vote %q is neither yes nor no", pos[1])
	}
	return api.GovVoteRequest{Proposal: id, Vote: pos[1], As: args.Get("as")}, nil
}
