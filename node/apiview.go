package node

import (
	"slices"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// The store answers in plain Go values; these turn them into the HTTP
// API's types, the only ones the wire is written from.

// apiAttribution is the API's form of a, with the standing governance
// gives the subject and each ancestor.
func apiAttribution(a *store.Attribution, standing func(protocol.ID) *api.Standing) *api.Attribution {
	return answer.FromStore(a, standing)
}

// apiGovState is the API's form of the governance state s.
func apiGovState(s *gov.State) *api.GovState {
	out := &api.GovState{
		Network:   s.Network(),
		StateHash: s.Hash(),
		Time:      s.Time().UTC(),
		Updates:   s.Updates(),
		Heads:     s.Heads(),
		Stewards:  s.Stewards(),
		Threshold: s.Threshold(),
		Revoked:   []api.GovRevoked{},
		Datasets:  map[protocol.ID]api.GovStanding{},
		Params:    s.Params(),
		Proposals: []api.GovProposal{},
	}
	for _, r := range s.Revoked() {
		out.Revoked = append(out.Revoked, api.GovRevoked{DID: r.DID, Effective: r.Effective.UTC(), Reason: r.Reason, Proposal: r.Proposal})
	}
	for _, r := range s.Rotations() {
		out.Rotated = append(out.Rotated, api.GovRotated(r))
	}
	for id, d := range s.Datasets() {
		out.Datasets[id] = api.GovStanding(d)
	}
	for _, p := range s.Proposals() {
		out.Proposals = append(out.Proposals, apiGovProposal(p))
	}
	return out
}

func apiGovProposal(p gov.ProposalState) api.GovProposal {
	q := p.Proposal
	out := api.GovProposal{
		ID: p.ID, Action: q.Action, Status: p.Status, Proposer: p.Proposer,
		Time: p.Time.UTC(), Expires: q.Expires.UTC(),
		DID: q.DID, Dataset: q.Dataset, Name: q.Name, Threshold: q.Threshold,
		Effective: q.Effective.UTC(), DatasetStatus: q.Status, Reason: q.Reason,
		Yes: nonNil(p.Yes), No: nonNil(p.No), ClosedBy: p.ClosedBy, Void: p.Void,
	}
	if fields, _ := gov.ActionFields(q.Action); slices.Contains(fields, "value") {
		v := q.Value // even when empty: removing a param is setting it to ""
		out.Value = &v
	}
	return out
}

// apiGovLog is the API's form of the governance log.
func apiGovLog(log []gov.LogEntry) []api.GovLogEntry {
	out := make([]api.GovLogEntry, len(log))
	for i, e := range log {
		u := e.Update
		v := api.GovLogEntry{
			ID: u.ID, Network: u.Network.ID(), Author: u.Author, Parents: u.Parents, Time: u.Time.UTC(),
			Depth: e.Depth, Result: "applied", Why: e.Ignored,
		}
		if e.Ignored != "" {
			v.Result = "ignored"
		}
		switch {
		case u.Propose != nil:
			q := u.Propose
			v.Propose = &api.GovOp{
				Action: q.Action, DID: q.DID, Dataset: q.Dataset, Name: q.Name, Threshold: q.Threshold,
				Effective: q.Effective.UTC(), Status: q.Status, Value: q.Value, Reason: q.Reason, Expires: q.Expires.UTC(),
			}
		case u.Vote != nil:
			v.Vote = &api.GovVote{Proposal: u.Vote.Proposal, Yes: u.Vote.Yes}
		case u.Rotate != nil:
			v.Rotate = u.Rotate.Envelope.Encode()
		}
		for _, c := range e.Closed {
			v.Closed = append(v.Closed, api.GovClosure(c))
		}
		out[i] = v
	}
	return out
}
