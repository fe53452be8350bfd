package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// GovProposeCommand makes one kind of governance proposal; root.go
// registers one per action ("gov propose add-steward", …), so that each
// has its own usage and flags.
type GovProposeCommand struct{ Action gov.Action }

// govAction is one kind of proposal: its arguments, its own flags, and how
// they make the request. Everything is checked here, before the daemon is
// asked, so that a mistyped line signs nothing: a usage error exits 2, and
// an ID or did:key that does not parse exits 1, as in every command.
type govAction struct {
	synopsis string
	args     string // the positionals as usage spells them
	about    string // what the proposal does, for its usage
	flags    []Flag // besides --expires and --as
	request  func(pos []string, a *Args) (api.GovProposeRequest, error)
}

// datasetStatuses are the standings a commons gives a dataset (SPEC.md §8).
var datasetStatuses = []gov.DatasetStatus{gov.StatusAccepted, gov.StatusFlagged, gov.StatusDelisted}

var reasonFlag = Flag{Name: "reason", Value: "TEXT", Required: true, Help: "why, for the record"}

var govActions = map[gov.Action]govAction{
	gov.ActAddSteward: {
		synopsis: "propose that a key become a steward",
		args:     "DID|KEY",
		about:    "Proposes that DID (a did:key, or the name of a key of this node's keystore)\nbecome a steward of the commons.",
		request: func(pos []string, _ *Args) (api.GovProposeRequest, error) {
			did, err := didOrKey("DID", pos[0])
			return api.GovProposeRequest{DID: did}, err
		},
	},
	gov.ActRemoveSteward: {
		synopsis: "propose that a steward stop being one",
		args:     "DID|KEY",
		about:    "Proposes that the steward DID (a did:key, or a key name) stop being one. Its\nvotes on proposals still open stop counting once the removal passes.",
		request: func(pos []string, _ *Args) (api.GovProposeRequest, error) {
			did, err := didOrKey("DID", pos[0])
			return api.GovProposeRequest{DID: did}, err
		},
	},
	gov.ActSetThreshold: {
		synopsis: "propose how many stewards' yes votes pass a proposal",
		args:     "K",
		about:    "Proposes that a proposal pass once K current stewards vote yes. K is at\nleast 1 and at most the number of stewards.",
		request: func(pos []string, _ *Args) (api.GovProposeRequest, error) {
			k, err := strconv.Atoi(pos[0])
			if err != nil || k < 1 {
				return api.GovProposeRequest{}, usagef("K %q is not a positive integer: give how many stewards must vote yes, e.g. 2", pos[0])
			}
			return api.GovProposeRequest{Threshold: k}, nil
		},
	},
	gov.ActRevokeKey: {
		synopsis: "propose that a key be revoked from a given time",
		args:     "DID|KEY",
		about: "Proposes that the key DID (a did:key, or a key name) be revoked: once the\n" +
			"proposal passes, every claim it signed at or after the effective time\n" +
			"shows as revoked in attribution, on every node.",
		flags: []Flag{
			{Name: "effective", Value: "RFC3339", Required: true, Help: "from when the key is not to be trusted, e.g. 2026-11-01T00:00:00Z"},
			reasonFlag,
		},
		request: func(pos []string, a *Args) (api.GovProposeRequest, error) {
			did, err := didOrKey("DID", pos[0])
			if err != nil {
				return api.GovProposeRequest{}, err
			}
			eff := a.Get("effective")
			if _, err := time.Parse(time.RFC3339, eff); err != nil {
				return api.GovProposeRequest{}, usagef("--effective %q is not an RFC 3339 time: write e.g. 2026-11-01T00:00:00Z", eff)
			}
			reason, err := nonEmpty("--reason", a.Get("reason"))
			return api.GovProposeRequest{DID: did, Effective: eff, Reason: reason}, err
		},
	},
	gov.ActDatasetStatus: {
		synopsis: "propose a dataset's standing: accepted, flagged or delisted",
		args:     "ID accepted|flagged|delisted",
		about: "Proposes the standing of the dataset ID in the commons. Once the proposal\n" +
			"passes, `commons dataset show` and `commons attribution` say so.",
		flags: []Flag{reasonFlag},
		request: func(pos []string, a *Args) (api.GovProposeRequest, error) {
			id, err := parseID("ID", pos[0])
			if err != nil {
				return api.GovProposeRequest{}, err
			}
			if !id.IsObject() {
				return api.GovProposeRequest{}, badValue(protocol.E("", protocol.Invalid, "ID %s names an artifact (a file's digest); give the ID of a dataset", id))
			}
			if !slices.Contains(datasetStatuses, gov.DatasetStatus(pos[1])) {
				return api.GovProposeRequest{}, usagef("status %q is not one of accepted, flagged, delisted", pos[1])
			}
			reason, err := nonEmpty("--reason", a.Get("reason"))
			return api.GovProposeRequest{Dataset: id, Status: pos[1], Reason: reason}, err
		},
	},
	gov.ActSetParam: {
		synopsis: "propose a value for a parameter of the commons",
		args:     "NAME VALUE",
		about:    "Proposes that the commons' parameter NAME (as in the genesis' params) take\nVALUE.",
		request: func(pos []string, _ *Args) (api.GovProposeRequest, error) {
			name, err := nonEmpty("NAME", pos[0])
			return api.GovProposeRequest{Name: name, Value: pos[1]}, err
		},
	},
}

var (
	expiresFlag = Flag{Name: "expires", Value: "DURATION", Help: "how long the proposal stays open for votes (default " + shortDuration(api.DefaultProposalLife) + ")"}
	govAsFlag   = Flag{Name: "as", Value: "KEY", Help: "sign with this key of the keystore, a steward's (default: the node key)"}
)

func (c GovProposeCommand) action() govAction { return govActions[c.Action] }

func (c GovProposeCommand) Synopsis() string { return c.action().synopsis }

func (c GovProposeCommand) Flags() []Flag {
	return append(slices.Clone(c.action().flags), expiresFlag, govAsFlag)
}

func (c GovProposeCommand) Usage() string {
	a := c.action()
	var flags strings.Builder
	for _, f := range a.flags {
		fmt.Fprintf(&flags, " --%s %s", f.Name, f.Value)
	}
	return fmt.Sprintf(`usage: commons gov propose %s %s%s [--expires DURATION] [--as KEY]

%s

The proposal is signed by the node key, or by --as KEY, which must be a
current steward's: anyone else is refused and nothing is published. It
counts as its proposer's yes vote, so with threshold 1 it passes at once;
otherwise it stays open for the other stewards' votes (commons gov vote)
until it expires. Prints the proposal's ID and status.
`, c.Action, a.args, flags.String(), a.about)
}

func (c GovProposeCommand) Run(ctx context.Context, env *Env, args *Args) error {
	req, err := c.request(args)
	if err != nil {
		return err
	}
	cl, err := env.Client()
	if err != nil {
		return err
	}
	p, err := cl.GovPropose(ctx, req)
	if err != nil {
		return err
	}
	return env.PrintTable(p, func(t *table) { printGovPublished(t, p) })
}

// request checks the command line and makes the request it asks for.
func (c GovProposeCommand) request(args *Args) (api.GovProposeRequest, error) {
	a, ok := govActions[c.Action]
	if !ok {
		return api.GovProposeRequest{}, usagef("unknown proposal %q", c.Action)
	}
	pos, err := args.positionals(strings.Fields(a.args)...)
	if err != nil {
		return api.GovProposeRequest{}, err
	}
	req, err := a.request(pos, args)
	if err != nil {
		return api.GovProposeRequest{}, err
	}
	if args.Has("expires") {
		if req.Expires, err = parseExpires(args.Get("expires")); err != nil {
			return api.GovProposeRequest{}, err
		}
	}
	req.Action, req.As = string(c.Action), args.Get("as")
	return req, nil
}

// parseExpires checks --expires, a positive Go duration, and returns it as
// given.
func parseExpires(s string) (string, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return "", usagef("--expires %q is not a duration: write a number and a unit, e.g. 72h, 30m", s)
	case d <= 0:
		return "", usagef("--expires %s is not positive: give how long the proposal stays open, e.g. 72h", s)
	case d > gov.MaxExpiry:
		return "", badValue(protocol.E("", protocol.Invalid, "--expires %s is above %s, the longest a proposal stays open", s, shortDuration(gov.MaxExpiry)))
	}
	return s, nil
}

// didOrKey checks an argument that names a key: a did:key, checked here, or
// a key name, which the daemon resolves.
func didOrKey(what, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", usagef("%s is empty: give a did:key or a key name", what)
	}
	if strings.HasPrefix(s, "did:") {
		if _, err := protocol.ParseDID(s); err != nil {
			return "", badArg(what, err)
		}
	}
	return s, nil
}

func nonEmpty(what, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", usagef("%s is empty", what)
	}
	return s, nil
}

// printGovPublished is the text form of gov propose and gov vote.
func printGovPublished(t *table, p api.GovPublished) {
	t.rowf("%s %s", p.Kind, p.ID)
	if p.Proposal != p.ID {
		t.row("proposal:", p.Proposal)
	}
	t.row("status:", p.Status)
	t.row("author:", p.Author)
	t.row("state hash:", p.StateHash)
}
