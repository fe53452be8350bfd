package gov

import (
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// The operations a proposal can ask for (SPEC.md §8.5), one entry each in
// govOps: the members of §8.1 it uses, the check of their values, when it
// is void and what it does when it passes. The decoder, the fold, the
// canonical form (§8.7), the JSON of `gov state` and the node's reading of
// a proposal request read this table, so a new operation is a new entry
// here, its rows in SPEC.md §8.1 and §8.5, and, for the command line, an
// entry of the table in cmd/commons/gov_propose.go; a member that no
// operation used before is a new row of govFields and a field of
// Proposal. TestNewGovOperationIsOneEntry adds one this way.

// govField is a member of §8.1 that an operation may use.
type govField uint8

const (
	fieldDID govField = 1 << iota
	fieldThreshold
	fieldEffective
	fieldReason
	fieldDataset
	fieldStatus
	fieldName
	fieldValue
)

// govFields lists the members in the order their names sort, the order of
// the canonical form, with whether a proposal sets each. value is never
// required: absent is "" (§8.1).
var govFields = []struct {
	field govField
	name  string
	set   func(*Proposal) bool
}{
	{fieldDataset, "dataset", func(p *Proposal) bool { return !p.Dataset.IsZero() }},
	{fieldStatus, "status", func(p *Proposal) bool { return p.Status != "" }},
	{fieldDID, "did", func(p *Proposal) bool { return !p.DID.IsZero() }},
	{fieldEffective, "effective", func(p *Proposal) bool { return !p.Effective.IsZero() }},
	{fieldName, "name", func(p *Proposal) bool { return p.Name != "" }},
	{fieldReason, "reason", func(p *Proposal) bool { return p.Reason != "" }},
	{fieldThreshold, "threshold", func(p *Proposal) bool { return p.Threshold != 0 }},
	{fieldValue, "value", func(p *Proposal) bool { return p.Value != "" }},
}

// govOp is one operation.
type govOp struct {
	action Action
	fields govField
	// check refuses values of its fields that their types allow and the
	// operation does not; nil when the types say all.
	check func(p *Proposal) error
	// void says why p would change nothing or cannot be carried out in
	// the state as it stands, "" when it can (§8.5).
	void func(s *govFold, p *Proposal) string
	// effect carries p out, passed at update u, and reports whether the
	// stewards or the threshold changed (§8.6 then settles again).
	effect func(s *govFold, p *Proposal, u *Update) bool
}

// govOps are the operations, in the order SPEC.md §8.5 lists them.
var govOps = []govOp{
	{ActAddSteward, fieldDID, nil, voidAddSteward, effectAddSteward},
	{ActRemoveSteward, fieldDID, nil, voidRemoveSteward, effectRemoveSteward},
	{ActSetThreshold, fieldThreshold, checkThreshold, voidSetThreshold, effectSetThreshold},
	{ActRevokeKey, fieldDID | fieldEffective | fieldReason, checkRevokeKey, voidRevokeKey, effectRevokeKey},
	{ActDatasetStatus, fieldDataset | fieldStatus | fieldReason, checkDatasetStatus, voidDatasetStatus, effectDatasetStatus},
	{ActSetParam, fieldName | fieldValue, checkSetParam, voidSetParam, effectSetParam},
}

// opOf returns the operation of action a, or nil.
func opOf(a Action) *govOp {
	i := slices.IndexFunc(govOps, func(op govOp) bool { return op.action == a })
	if i < 0 {
		return nil
	}
	return &govOps[i]
}

func (op *govOp) uses(f govField) bool { return op.fields&f != 0 }

// ActionFields returns the members of §8.1 that action a uses, in the
// order of the canonical form, and whether a is an action at all: what a
// client fills in from a request, leaving the check of values to the
// decoder.
func ActionFields(a Action) ([]string, bool) {
	op := opOf(a)
	if op == nil {
		return nil, false
	}
	var out []string
	for _, f := range govFields {
		if op.uses(f.field) {
			out = append(out, f.name)
		}
	}
	return out, true
}

func checkThreshold(p *Proposal) error {
	if p.Threshold < 1 || p.Threshold > protocol.MaxStewards {
		return protocol.E("", protocol.Invalid, "threshold %d is outside [1, %d]", p.Threshold, protocol.MaxStewards)
	}
	return nil
}

func checkRevokeKey(p *Proposal) error { return protocol.CheckReason("reason", p.Reason) }

func checkDatasetStatus(p *Proposal) error {
	if !p.Dataset.IsObject() {
		return protocol.E("", protocol.Invalid, "dataset %s is an artifact, want the ID of a dataset", p.Dataset)
	}
	switch p.Status {
	case StatusAccepted, StatusFlagged, StatusDelisted:
	default:
		return protocol.E("", protocol.Invalid, "status %q, want accepted, flagged or delisted", protocol.Clip(string(p.Status)))
	}
	return protocol.CheckReason("reason", p.Reason)
}

func checkSetParam(p *Proposal) error {
	if err := protocol.CheckToken("name", p.Name); err != nil {
		return err
	}
	return protocol.CheckParamValue("value", p.Value)
}

func voidAddSteward(s *govFold, p *Proposal) string {
	_, steward := s.stewards.m[p.DID]
	_, revoked := s.revoked.get(p.DID)
	_, retired := s.rotated.m[p.DID]
	switch {
	case steward:
		return VoidNoChange
	case revoked:
		return VoidKeyRevoked
	case retired:
		return VoidKeyRotated
	case len(s.stewards.m) >= protocol.MaxStewards:
		return VoidTooManyStewards
	}
	return ""
}

func effectAddSteward(s *govFold, p *Proposal, _ *Update) bool {
	s.stewards.set(s.epoch, p.DID, struct{}{})
	if _, ok := s.ever.m[p.DID]; !ok {
		s.ever.set(s.epoch, p.DID, struct{}{})
	}
	return true
}

func voidRemoveSteward(s *govFold, p *Proposal) string {
	_, seated := s.stewards.m[s.seat(p.DID)]
	switch {
	case !seated:
		return VoidNoChange
	case len(s.stewards.m) == 1:
		return VoidOnlySteward
	}
	return ""
}

func effectRemoveSteward(s *govFold, p *Proposal, _ *Update) bool {
	s.removeSteward(s.seat(p.DID))
	return true
}

func voidSetThreshold(s *govFold, p *Proposal) string {
	switch {
	case p.Threshold > len(s.stewards.m):
		return VoidThresholdTooHigh
	case p.Threshold == s.threshold:
		return VoidNoChange
	}
	return ""
}

func effectSetThreshold(s *govFold, p *Proposal, _ *Update) bool {
	s.threshold = p.Threshold
	return true
}

func voidRevokeKey(s *govFold, p *Proposal) string {
	_, steward := s.stewards.m[p.DID]
	rv, revoked := s.revoked.get(p.DID)
	switch {
	case revoked && rv.Effective.Equal(p.Effective) && rv.Reason == p.Reason:
		return VoidNoChange
	case steward && len(s.stewards.m) == 1:
		return VoidOnlySteward
	}
	return ""
}

func effectRevokeKey(s *govFold, p *Proposal, u *Update) bool {
	s.revoked.set(s.epoch, p.DID, Revocation{DID: p.DID, Effective: p.Effective, Reason: p.Reason, Proposal: u.ID})
	if _, steward := s.stewards.m[p.DID]; steward {
		s.removeSteward(p.DID)
		return true
	}
	return false
}

func voidDatasetStatus(s *govFold, p *Proposal) string {
	if cur, ok := s.datasets.get(p.Dataset); ok && cur.Status == p.Status && cur.Reason == p.Reason {
		return VoidNoChange
	}
	return ""
}

func effectDatasetStatus(s *govFold, p *Proposal, u *Update) bool {
	s.datasets.set(s.epoch, p.Dataset, govDataset{
		DatasetStanding: DatasetStanding{Status: p.Status, Reason: p.Reason, Proposal: u.ID},
		id:              p.Dataset, text: govIDText(p.Dataset), proposal: u,
	})
	return false
}

func voidSetParam(s *govFold, p *Proposal) string {
	cur, set := s.params.m[p.Name]
	switch {
	case cur == p.Value:
		return VoidNoChange
	case !set && len(s.params.m) >= protocol.MaxParams:
		return VoidTooManyParams
	}
	return ""
}

func effectSetParam(s *govFold, p *Proposal, _ *Update) bool {
	if p.Value == "" {
		s.params.del(s.epoch, p.Name)
	} else {
		s.params.set(s.epoch, p.Name, p.Value)
	}
	return false
}
