package protocol

import "slices"

// The governance enums are strings, and write themselves as such. These
// read them back, refusing a name the protocol does not know, so that a
// client decodes what the daemon wrote and nothing else.

// govProposalStatuses are the statuses of a proposal.
var govProposalStatuses = []GovProposalStatus{ProposalOpen, ProposalPassed, ProposalRejected, ProposalExpired, ProposalVoid}

// datasetStatuses are the standings governance gives a dataset.
var datasetStatuses = []DatasetStatus{StatusAccepted, StatusFlagged, StatusDelisted}

// UnmarshalText reads an action's name: one of the operations.
func (a *GovAction) UnmarshalText(b []byte) error {
	if opOf(GovAction(b)) == nil {
		return E("parse action", Invalid, "unknown action %q (want one of %s)", clip(string(b)), govActionList())
	}
	*a = GovAction(b)
	return nil
}

// UnmarshalText reads a proposal's status: open, passed, rejected,
// expired or void.
func (s *GovProposalStatus) UnmarshalText(b []byte) error {
	if !slices.Contains(govProposalStatuses, GovProposalStatus(b)) {
		return E("parse proposal status", Invalid, "unknown proposal status %q (want open, passed, rejected, expired or void)", clip(string(b)))
	}
	*s = GovProposalStatus(b)
	return nil
}

// UnmarshalText reads a dataset's status: accepted, flagged or delisted.
func (s *DatasetStatus) UnmarshalText(b []byte) error {
	if !slices.Contains(datasetStatuses, DatasetStatus(b)) {
		return E("parse dataset status", Invalid, "unknown dataset status %q (want accepted, flagged or delisted)", clip(string(b)))
	}
	*s = DatasetStatus(b)
	return nil
}
