package testnet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// GovState is the governance state document of GET /v1/gov/state
// (protocol.GovState's JSON form), as far as the scenarios and the
// measurements read it. The client gives the document as raw JSON; this
// reads it with the protocol's own types.
type GovState struct {
	Network   protocol.NetworkID          `json:"network"`
	StateHash string                      `json:"state_hash"`
	Updates   int                         `json:"updates"`
	Stewards  []protocol.DID              `json:"stewards"`
	Threshold int                         `json:"threshold"`
	Revoked   []GovRevoked                `json:"revoked"`
	Rotated   []GovRotated                `json:"rotated"`
	Datasets  map[protocol.ID]GovStanding `json:"datasets"`
	Params    map[string]string           `json:"params"`
	Proposals []GovProposal               `json:"proposals"`
}

// GovRevoked is a key governance revoked.
type GovRevoked struct {
	DID       protocol.DID `json:"did"`
	Effective string       `json:"effective"`
	Reason    string       `json:"reason"`
	Proposal  protocol.ID  `json:"proposal"`
}

// GovRotated is a steward's seat handed from one key to another.
type GovRotated struct {
	From   protocol.DID `json:"from"`
	To     protocol.DID `json:"to"`
	Update protocol.ID  `json:"update"`
}

// GovStanding is a dataset's status.
type GovStanding struct {
	Status   protocol.DatasetStatus `json:"status"`
	Proposal protocol.ID            `json:"proposal"`
}

// GovProposal is a proposal and its votes.
type GovProposal struct {
	ID       protocol.ID                `json:"id"`
	Action   protocol.GovAction         `json:"action"`
	Status   protocol.GovProposalStatus `json:"status"`
	Proposer protocol.DID               `json:"proposer"`
	Name     string                     `json:"name"`
	Yes      []protocol.DID             `json:"yes"`
	No       []protocol.DID             `json:"no"`
}

// IsSteward says whether d is among the stewards.
func (s *GovState) IsSteward(d protocol.DID) bool { return slices.Contains(s.Stewards, d) }

// Proposal returns the proposal id, or nil.
func (s *GovState) Proposal(id protocol.ID) *GovProposal {
	for i := range s.Proposals {
		if s.Proposals[i].ID == id {
			return &s.Proposals[i]
		}
	}
	return nil
}

// GovLogEntry is one update of GET /v1/gov/log.
type GovLogEntry struct {
	ID     protocol.ID  `json:"id"`
	Author protocol.DID `json:"author"`
	Result string       `json:"result"`
}

// GovStateOf asks a daemon for its governance state.
func GovStateOf(ctx context.Context, c *api.Client) (*GovState, error) {
	raw, err := c.GovState(ctx)
	if err != nil {
		return nil, err
	}
	var s GovState
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode the governance state: %w", err)
	}
	return &s, nil
}

// GovLogOf asks a daemon for its governance log.
func GovLogOf(ctx context.Context, c *api.Client) ([]GovLogEntry, error) {
	raw, err := c.GovLog(ctx)
	if err != nil {
		return nil, err
	}
	var l []GovLogEntry
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("decode the governance log: %w", err)
	}
	return l, nil
}
