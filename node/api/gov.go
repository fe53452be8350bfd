package api

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// GovState answers GET /v1/gov/state: the governance state as the daemon
// folded it (SPEC.md §8.7), spelled for reading. Times are UTC, to the
// second.
type GovState struct {
	Network   protocol.NetworkID          `json:"network"`
	StateHash string                      `json:"state_hash"`
	Time      time.Time                   `json:"time"` // the fold's clock
	Updates   int                         `json:"updates"`
	Heads     []protocol.ID               `json:"heads"`
	Stewards  []protocol.DID              `json:"stewards"` // sorted by text
	Threshold int                         `json:"threshold"`
	Revoked   []GovRevoked                `json:"revoked"`           // sorted by DID
	Rotated   []GovRotated                `json:"rotated,omitempty"` // sorted by the retired key
	Datasets  map[protocol.ID]GovStanding `json:"datasets"`
	Params    map[string]string           `json:"params"`
	Proposals []GovProposal               `json:"proposals"` // in fold order, closed ones included
}

// GovRevoked is a key governance revoked: claims it signed from Effective
// on are revoked.
type GovRevoked struct {
	DID       protocol.DID `json:"did"`
	Effective time.Time    `json:"effective"`
	Reason    string       `json:"reason"`
	Proposal  protocol.ID  `json:"proposal"`
}

// GovRotated is a steward's seat handed from one key to another.
type GovRotated struct {
	From   protocol.DID `json:"from"`
	To     protocol.DID `json:"to"`
	Update protocol.ID  `json:"update"`
}

// GovStanding is the status governance gave a dataset.
type GovStanding struct {
	Status   gov.DatasetStatus `json:"status"`
	Reason   string            `json:"reason"`
	Proposal protocol.ID       `json:"proposal"`
}

// GovProposal is a proposal as the fold left it: the members of every
// proposal, and those its action uses.
type GovProposal struct {
	ID            protocol.ID        `json:"id"`
	Action        gov.Action         `json:"action"`
	Status        gov.ProposalStatus `json:"status"`
	Proposer      protocol.DID       `json:"proposer"`
	Time          time.Time          `json:"time"`
	Expires       time.Time          `json:"expires"` // after this, votes no longer count
	DID           protocol.DID       `json:"did,omitzero"`
	Dataset       protocol.ID        `json:"dataset,omitzero"`
	Name          string             `json:"name,omitempty"`
	Threshold     int                `json:"threshold,omitempty"`
	Effective     time.Time          `json:"effective,omitzero"`
	DatasetStatus gov.DatasetStatus  `json:"dataset_status,omitempty"`
	Value         *string            `json:"value,omitempty"` // set-param, even ""
	Reason        string             `json:"reason,omitempty"`
	Yes           []protocol.DID     `json:"yes"` // the votes recorded while it was open
	No            []protocol.DID     `json:"no"`
	ClosedBy      protocol.ID        `json:"closed_by,omitzero"` // the update at whose point it closed
	Void          string             `json:"void,omitempty"`     // why it is void
}

// IsSteward says whether d is among the stewards.
func (s *GovState) IsSteward(d protocol.DID) bool { return slices.Contains(s.Stewards, d) }

// Proposal returns the proposal made by update id, or nil.
func (s *GovState) Proposal(id protocol.ID) *GovProposal {
	for i := range s.Proposals {
		if s.Proposals[i].ID == id {
			return &s.Proposals[i]
		}
	}
	return nil
}

// GovLogEntry is one update of GET /v1/gov/log, which lists them in the
// order the fold applies them: the update's payload (SPEC.md §8.1) with
// its ID, and what the fold did with it.
type GovLogEntry struct {
	ID      protocol.ID   `json:"id"`
	Network protocol.ID   `json:"network"`
	Author  protocol.DID  `json:"author"`
	Parents []protocol.ID `json:"parents"`
	Time    time.Time     `json:"time"`
	// Exactly one of Propose, Vote and Rotate is set.
	Propose *GovOp   `json:"propose,omitempty"`
	Vote    *GovVote `json:"vote,omitempty"`
	// Rotate is the envelope of the rotation that hands the author's seat
	// on (SPEC.md §8.4), as written.
	Rotate json.RawMessage `json:"rotate,omitempty"`
	Depth  int             `json:"depth"`
	Result string          `json:"result"`           // applied or ignored
	Why    string          `json:"why,omitempty"`    // why it was ignored
	Closed []GovClosure    `json:"closed,omitempty"` // the proposals that closed at this point
}

// GovOp is the operation a proposal asks for. Only the members of its
// action are set.
type GovOp struct {
	Action    gov.Action        `json:"action"`
	DID       protocol.DID      `json:"did,omitzero"`
	Dataset   protocol.ID       `json:"dataset,omitzero"`
	Name      string            `json:"name,omitempty"`
	Threshold int               `json:"threshold,omitempty"`
	Effective time.Time         `json:"effective,omitzero"`
	Status    gov.DatasetStatus `json:"status,omitempty"`
	Value     string            `json:"value,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	Expires   time.Time         `json:"expires"`
}

// GovVote is a steward's vote on a proposal.
type GovVote struct {
	Proposal protocol.ID `json:"proposal"`
	Yes      bool        `json:"yes"`
}

// GovClosure is a proposal that closed at a point of the fold.
type GovClosure struct {
	Proposal protocol.ID        `json:"proposal"`
	Status   gov.ProposalStatus `json:"status"`
}
