package api

import "github.com/commons-p2p/commons/protocol"

// DefaultCreditTrust is the threshold of GET /v1/credit/{id} when the
// request names none: a claim counts when the subject's publisher vouched
// for it (SPEC.md §4.7).
const DefaultCreditTrust = protocol.Acknowledged

// Credit answers GET /v1/credit/{id}: the share of the credit for a
// subject of everyone who contributed to it through its lineage, by the
// rule of SPEC.md §4.7. The shares and Unattributed add up to exactly 1,
// as float64 numbers in any order.
type Credit struct {
	Subject      protocol.ID    `json:"subject"`
	MinTrust     protocol.Trust `json:"min_trust"`
	Shares       []CreditShare  `json:"shares"` // largest first, then by did:key
	Unattributed float64        `json:"unattributed"`
	Missing      []protocol.ID  `json:"missing"` // ancestors named but not held, whose part is unattributed
}

// CreditShare is one contributor's share and the paths that make it.
type CreditShare struct {
	DID   protocol.DID `json:"did"`
	Share float64      `json:"share"`
	Paths []CreditPath `json:"paths"` // the largest, at most 16
	// MorePaths is how many paths of the share are not listed.
	MorePaths int `json:"more_paths,omitempty"`
}

// CreditPath is a claim that earns part of a share, at the end of a route
// from the subject through the lineage.
type CreditPath struct {
	Claim   protocol.ID    `json:"claim"`
	Subject protocol.ID    `json:"subject"` // what the claim is about
	Role    string         `json:"role"`
	Weight  float64        `json:"weight"`
	Trust   protocol.Trust `json:"trust"`
	Share   float64        `json:"share"`
	Route   []protocol.ID  `json:"route"` // the subject first, the claim's subject last
}
