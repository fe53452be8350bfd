package gov

import (
	"encoding/json"
	"maps"

	"github.com/commons-p2p/commons/protocol"
)

// govProposalJSON is the JSON form of a proposal in `gov state --json`:
// the members of every proposal, and those its action uses.
type govProposalJSON struct {
	ID            protocol.ID    `json:"id"`
	Action        Action         `json:"action"`
	Status        ProposalStatus `json:"status"`
	Proposer      protocol.DID   `json:"proposer"`
	Time          string         `json:"time"`
	Expires       string         `json:"expires"`
	DID           protocol.DID   `json:"did,omitzero"`
	Dataset       protocol.ID    `json:"dataset,omitzero"`
	Name          string         `json:"name,omitempty"`
	Threshold     int            `json:"threshold,omitempty"`
	Effective     string         `json:"effective,omitempty"`
	DatasetStatus DatasetStatus  `json:"dataset_status,omitempty"`
	Value         *string        `json:"value,omitempty"` // set-param, even ""
	Reason        string         `json:"reason,omitempty"`
	Yes           []protocol.DID `json:"yes"`
	No            []protocol.DID `json:"no"`
	ClosedBy      protocol.ID    `json:"closed_by,omitzero"`
	Void          string         `json:"void,omitempty"`
}

// MarshalJSON writes p as `gov state --json` lists it: "id", "action",
// "status", "proposer", "time", "expires", the fields of the action
// ("did", "dataset", "name", "threshold", "effective", "dataset_status",
// "value", "reason"), "yes" and "no" (DIDs), and "closed_by" and "void"
// when they apply.
func (p ProposalState) MarshalJSON() ([]byte, error) {
	q := p.Proposal
	j := govProposalJSON{
		ID: p.ID, Action: q.Action, Status: p.Status, Proposer: p.Proposer,
		Time: formatGovTime(p.Time), Expires: formatGovTime(q.Expires),
		DID: q.DID, Threshold: q.Threshold, Effective: formatOptionalTime(q.Effective),
		Dataset: q.Dataset, DatasetStatus: q.Status, Reason: q.Reason, Name: q.Name,
		Yes: nonNil(p.Yes), No: nonNil(p.No), ClosedBy: p.ClosedBy, Void: p.Void,
	}
	if op := opOf(q.Action); op != nil && op.uses(fieldValue) {
		j.Value = &q.Value // even when empty: removing a param is setting it to ""
	}
	return json.Marshal(j)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type govRevokedJSON struct {
	DID       protocol.DID `json:"did"`
	Effective string       `json:"effective"`
	Reason    string       `json:"reason"`
	Proposal  protocol.ID  `json:"proposal"`
}

type govRotatedJSON struct {
	From   protocol.DID `json:"from"`
	To     protocol.DID `json:"to"`
	Update protocol.ID  `json:"update"`
}

type govDatasetJSON struct {
	Status   DatasetStatus `json:"status"`
	Reason   string        `json:"reason"`
	Proposal protocol.ID   `json:"proposal"`
}

// MarshalJSON writes s as `gov state --json` shows it: "network",
// "state_hash", "time" (the fold's clock), "updates" (applied), "heads",
// "stewards", "threshold", "revoked" (sorted by DID), "rotated" (sorted
// by the retired key; only when a rotation was applied), "datasets" (by
// ID), "params" and "proposals" (in fold order). Everything but
// "state_hash" and "heads" is the canonical form of §8.7, spelled for
// reading.
func (s *State) MarshalJSON() ([]byte, error) {
	revoked := []govRevokedJSON{}
	for _, r := range s.Revoked() {
		revoked = append(revoked, govRevokedJSON{r.DID, formatGovTime(r.Effective), r.Reason, r.Proposal})
	}
	var rotated []govRotatedJSON
	for _, r := range s.Rotations() {
		rotated = append(rotated, govRotatedJSON(r))
	}
	datasets := make(map[protocol.ID]govDatasetJSON, s.f.datasets.len())
	for id, d := range s.Datasets() {
		datasets[id] = govDatasetJSON(d)
	}
	return json.Marshal(struct {
		Network   protocol.NetworkID             `json:"network"`
		StateHash string                         `json:"state_hash"`
		Time      string                         `json:"time"`
		Updates   int                            `json:"updates"`
		Heads     []protocol.ID                  `json:"heads"`
		Stewards  []protocol.DID                 `json:"stewards"`
		Threshold int                            `json:"threshold"`
		Revoked   []govRevokedJSON               `json:"revoked"`
		Rotated   []govRotatedJSON               `json:"rotated,omitempty"`
		Datasets  map[protocol.ID]govDatasetJSON `json:"datasets"`
		Params    map[string]string              `json:"params"`
		Proposals []ProposalState                `json:"proposals"`
	}{
		s.network, s.Hash(), formatGovTime(s.Time()), s.f.updates, s.heads, s.Stewards(), s.f.threshold,
		revoked, rotated, datasets, maps.Clone(s.f.params.m), nonNil(s.Proposals()),
	})
}
