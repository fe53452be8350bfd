package gov

import (
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// The governance enums are strings, and write themselves as such. These
// read them back, refusing a name the protocol does not know, so that a
// client decodes what the daemon wrote and nothing else.

// govProposalStatuses are the statuses of a proposal.
var govProposalStatuses = []ProposalStatus{ProposalOpen, ProposalPassed, ProposalRejected, ProposalExpired, ProposalVoid}

// datasetStatuses are the standings governance gives a dataset.
var datasetStatuses = []DatasetStatus{StatusAccepted, StatusFlagged, StatusDelisted}

// UnmarshalText reads an action's name: one of the operations.
func (a *Action) UnmarshalText(b []byte) error {
	if opOf(Action(b)) == nil {
		return protocol.E("parse action", protocol.Invalid, "unknown action %q (want one of %s)", protocol.Clip(string(b)), govActionList())
	}
	*a = Action(b)
	return nil
}

// UnmarshalText reads a proposal's status: open, passed, rejected,
// expired or void.
func (s *ProposalStatus) UnmarshalText(b []byte) error {
	if !slices.Contains(govProposalStatuses, ProposalStatus(b)) {
		return protocol.E("parse proposal status", protocol.Invalid, "unknown proposal status %q (want open, passed, rejected, expired or void)", protocol.Clip(string(b)))
	}
	*s = ProposalStatus(b)
	return nil
}

// UnmarshalText reads a dataset's status: accepted, flagged or delisted.
func (s *DatasetStatus) UnmarshalText(b []byte) error {
	if !slices.Contains(datasetStatuses, DatasetStatus(b)) {
		return protocol.E("parse dataset status", protocol.Invalid, "unknown dataset status %q (want accepted, flagged or delisted)", protocol.Clip(string(b)))
	}
	*s = DatasetStatus(b)
	return nil
}
