# Turns names of package protocol that moved to package gov
# (github.com/commons-p2p/commons/protocol/gov) into their new names.
# Qualified names only: sed -i -E -f RENAMES.sed FILE... then add the import.
# An embedded *protocol.GovUpdate field is now named Update: selectors such as
# x.GovUpdate become x.Update by hand. Within a file moved into package gov,
# RENAMES-bare.sed renames the bare names.
s/\bprotocol\.MaxGovHeldBytes\b/gov.MaxHeldBytes/g
s/\bprotocol\.MaxGovHeld\b/gov.MaxHeld/g
s/\bprotocol\.Governance\b/gov.DAG/g
s/\bprotocol\.AddResult\b/gov.AddResult/g
s/\bprotocol\.NewGovernance\b/gov.New/g
s/\bprotocol\.Fold\b/gov.Fold/g
s/\bprotocol\.IgnoredNotSteward\b/gov.IgnoredNotSteward/g
s/\bprotocol\.IgnoredUnknownProposal\b/gov.IgnoredUnknownProposal/g
s/\bprotocol\.IgnoredClosedProposal\b/gov.IgnoredClosedProposal/g
s/\bprotocol\.IgnoredDuplicateVote\b/gov.IgnoredDuplicateVote/g
s/\bprotocol\.IgnoredAlreadySteward\b/gov.IgnoredAlreadySteward/g
s/\bprotocol\.IgnoredKeyRevoked\b/gov.IgnoredKeyRevoked/g
s/\bprotocol\.IgnoredKeyRotated\b/gov.IgnoredKeyRotated/g
s/\bprotocol\.VoidNoChange\b/gov.VoidNoChange/g
s/\bprotocol\.VoidOnlySteward\b/gov.VoidOnlySteward/g
s/\bprotocol\.VoidKeyRevoked\b/gov.VoidKeyRevoked/g
s/\bprotocol\.VoidTooManyStewards\b/gov.VoidTooManyStewards/g
s/\bprotocol\.VoidThresholdTooHigh\b/gov.VoidThresholdTooHigh/g
s/\bprotocol\.VoidTooManyParams\b/gov.VoidTooManyParams/g
s/\bprotocol\.VoidKeyRotated\b/gov.VoidKeyRotated/g
s/\bprotocol\.GovLogEntry\b/gov.LogEntry/g
s/\bprotocol\.GovActionFields\b/gov.ActionFields/g
s/\bprotocol\.GovProposalStatus\b/gov.ProposalStatus/g
s/\bprotocol\.ProposalOpen\b/gov.ProposalOpen/g
s/\bprotocol\.ProposalPassed\b/gov.ProposalPassed/g
s/\bprotocol\.ProposalRejected\b/gov.ProposalRejected/g
s/\bprotocol\.ProposalExpired\b/gov.ProposalExpired/g
s/\bprotocol\.ProposalVoid\b/gov.ProposalVoid/g
s/\bprotocol\.GovRevocation\b/gov.Revocation/g
s/\bprotocol\.GovDatasetStanding\b/gov.DatasetStanding/g
s/\bprotocol\.GovProposalState\b/gov.ProposalState/g
s/\bprotocol\.GovClosure\b/gov.Closure/g
s/\bprotocol\.GovState\b/gov.State/g
s/\bprotocol\.GovRotationRecord\b/gov.RotationRecord/g
s/\bprotocol\.GovPayloadType\b/gov.PayloadType/g
s/\bprotocol\.MaxGovUpdateSize\b/gov.MaxUpdateSize/g
s/\bprotocol\.MaxGovParents\b/gov.MaxParents/g
s/\bprotocol\.MaxGovExpiry\b/gov.MaxExpiry/g
s/\bprotocol\.DefaultGovExpiry\b/gov.DefaultExpiry/g
s/\bprotocol\.GovAction\b/gov.Action/g
s/\bprotocol\.ActAddSteward\b/gov.ActAddSteward/g
s/\bprotocol\.ActRemoveSteward\b/gov.ActRemoveSteward/g
s/\bprotocol\.ActSetThreshold\b/gov.ActSetThreshold/g
s/\bprotocol\.ActRevokeKey\b/gov.ActRevokeKey/g
s/\bprotocol\.ActDatasetStatus\b/gov.ActDatasetStatus/g
s/\bprotocol\.ActSetParam\b/gov.ActSetParam/g
s/\bprotocol\.DatasetStatus\b/gov.DatasetStatus/g
s/\bprotocol\.StatusAccepted\b/gov.StatusAccepted/g
s/\bprotocol\.StatusFlagged\b/gov.StatusFlagged/g
s/\bprotocol\.StatusDelisted\b/gov.StatusDelisted/g
s/\bprotocol\.GovProposal\b/gov.Proposal/g
s/\bprotocol\.GovVote\b/gov.Vote/g
s/\bprotocol\.GovUpdate\b/gov.Update/g
s/\bprotocol\.NewGovUpdate\b/gov.NewUpdate/g
s/\bprotocol\.NewGovRotation\b/gov.NewRotation/g
s/\bprotocol\.DecodeGovUpdate\b/gov.DecodeUpdate/g
s/\bprotocol\.SetGovCheckpoints\b/gov.SetCheckpoints/g
s/\bprotocol\.GovHashAfresh\b/gov.HashAfresh/g
s/\bprotocol\.SetGovHeldMax\b/gov.SetHeldMax/g
s/\bprotocol\.WithClearParamOp\b/gov.WithClearParamOp/g
