package api

import (
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Attribution answers GET /v1/attribution/{id}: who contributed to a
// subject, at what trust level, and where it came from.
type Attribution struct {
	Subject      protocol.ID       `json:"subject"`
	Kind         string            `json:"kind"` // dataset, derivation, attribution, …, artifact, or unknown when the subject is not stored
	Name         string            `json:"name,omitempty"`
	Publisher    protocol.DID      `json:"publisher,omitzero"`
	Contributors []Contributor     `json:"contributors"`
	Endorsements []EndorsementView `json:"endorsements"`
	Lineage      []Ancestor        `json:"lineage"`
	// Derived is what names the subject directly among its parents or
	// inputs: the depth 1 of GET /v1/derived/{id}.
	Derived []DerivedItem `json:"derived"`
	// Standing is the subject's status in the commons, which governance
	// sets (SPEC.md §8).
	Standing *Standing `json:"standing,omitempty"`
}

// Standing is a dataset's status in its commons: accepted, flagged or
// delisted, why, and by which proposal.
type Standing struct {
	Status   gov.DatasetStatus `json:"status"`
	Reason   string            `json:"reason,omitempty"`
	Proposal protocol.ID       `json:"proposal,omitzero"`
}

// Contributor is one attribution claim about a subject, with its trust.
type Contributor struct {
	DID     protocol.DID   `json:"did"`
	Role    string         `json:"role"`
	Weight  float64        `json:"weight"`
	Trust   protocol.Trust `json:"trust"`
	Claim   protocol.ID    `json:"claim"`
	Issuer  protocol.DID   `json:"issuer"`
	Signers []protocol.DID `json:"signers"`
	Created time.Time      `json:"created"`
	Note    string         `json:"note,omitempty"`
}

// EndorsementView is one endorsement of a subject.
type EndorsementView struct {
	ID        protocol.ID  `json:"id"`
	Issuer    protocol.DID `json:"issuer"`
	Standard  string       `json:"standard"`
	Level     string       `json:"level,omitempty"`
	Steward   bool         `json:"steward"` // the issuer is a current steward
	Withdrawn bool         `json:"withdrawn"`
	Created   time.Time    `json:"created"`
}

// Ancestor is a dataset (or input) in the lineage of a subject, with its
// own contributors.
type Ancestor struct {
	ID           protocol.ID   `json:"id"`
	Name         string        `json:"name,omitempty"`
	Kind         string        `json:"kind"`  // unknown when the ancestor is not stored here
	Depth        int           `json:"depth"` // 1 for a parent, 2 for a grandparent, …
	Via          protocol.ID   `json:"via"`   // the child it is an ancestor through
	Contributors []Contributor `json:"contributors"`
	Standing     *Standing     `json:"standing,omitempty"` // as Attribution.Standing
}
