package api

import (
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The answers of the routes the explorer's pages read (SPEC.md §6.6):
// the lineage as a graph, what a key did, a search, and the node's state.

// DefaultLineageLimit and MaxLineageLimit bound the nodes of a lineage
// answer (limit=N).
const (
	DefaultLineageLimit = 1000
	MaxLineageLimit     = 5000
)

// Lineage answers GET /v1/lineage/{id}: the subject, its ancestors and
// what was made from it, as a graph.
type Lineage struct {
	Subject protocol.ID   `json:"subject"`
	Nodes   []LineageNode `json:"nodes"` // the subject first, then by depth, then by ID
	Edges   []LineageEdge `json:"edges"`
	// Truncated says that the lineage holds more nodes than the limit.
	Truncated bool `json:"truncated"`
}

// LineageNode is one item of a lineage.
type LineageNode struct {
	ID   protocol.ID `json:"id"`
	Kind string      `json:"kind"` // dataset, derivation, artifact, or unknown when not held here
	Name string      `json:"name,omitempty"`
	// Label names the node for people: its name, else its activity and
	// ID, else its abbreviated ID.
	Label string `json:"label"`
	// Depth is negative for an ancestor (-1 a parent), 0 for the subject,
	// positive for what was made from it.
	Depth    int    `json:"depth"`
	Standing string `json:"standing,omitempty"` // the status governance gave a dataset
}

// LineageEdge says that Source derives from Target: a dataset from a
// parent ("parent"), a derivation from an input ("input"), an artifact
// from the derivation that made it ("made"). Source is always the newer.
type LineageEdge struct {
	Source protocol.ID `json:"source"`
	Target protocol.ID `json:"target"`
	Kind   string      `json:"kind"`
	// Trust is the highest level among the attributions about Source
	// that are not revoked, or null when it has none: how well the
	// record that declares the edge is vouched for.
	Trust  *protocol.Trust `json:"trust"`
	Weight float64         `json:"weight"` // the parent's or input's weight in the credit (SPEC.md §4.7)
}

// DefaultDIDLimit and MaxDIDLimit bound a page of GET /v1/did/{did}.
const (
	DefaultDIDLimit = 100
	MaxDIDLimit     = 1000
)

// DIDView answers GET /v1/did/{did}: what a key contributed and what it
// signed, one page of each.
type DIDView struct {
	DID    protocol.DID `json:"did"`
	Claims []DIDClaim   `json:"claims"` // the attributions naming it as contributor, by claim ID
	// Next, present when more claims follow, is the after= of the next page.
	Next       protocol.ID  `json:"next,omitzero"`
	Signed     []SignedItem `json:"signed"`      // objects it signed, first or as a co-signer, by ID
	SignedMore bool         `json:"signed_more"` // more were signed than listed
}

// DIDClaim is one attribution naming the key as its contributor.
type DIDClaim struct {
	Claim       protocol.ID    `json:"claim"`
	Subject     protocol.ID    `json:"subject"`
	SubjectKind string         `json:"subject_kind"` // dataset, derivation, …, artifact, unknown
	SubjectName string         `json:"subject_name,omitempty"`
	Role        string         `json:"role"`
	Weight      float64        `json:"weight"`
	Trust       protocol.Trust `json:"trust"`
	Issuer      protocol.DID   `json:"issuer"`
	Created     time.Time      `json:"created"`
	// Revoked is the trust revoked: withdrawn by its issuer, or issued
	// by a key governance revoked. Withdrawn is the first case alone.
	Revoked   bool `json:"revoked"`
	Withdrawn bool `json:"withdrawn"`
}

// SignedItem is an object a key signed.
type SignedItem struct {
	ID   protocol.ID `json:"id"`
	Kind string      `json:"kind"`
	Name string      `json:"name,omitempty"`
}

// DefaultSearchLimit and MaxSearchLimit bound a page of GET /v1/search.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 1000
)

// Search kinds: what a query was read as.
const (
	SearchRecent = "recent" // an empty query: the datasets held, newest first
	SearchName   = "name"   // datasets whose name holds the text, newest first
	SearchID     = "id"     // an object or artifact ID
	SearchSHA256 = "sha256" // a file's digest: the datasets holding it
	SearchDID    = "did"    // a did:key
)

// SearchResult answers GET /v1/search?q=…
type SearchResult struct {
	Query   string       `json:"q"`
	Kind    string       `json:"kind"` // one of the Search kinds
	Results []SearchItem `json:"results"`
	// Next, present when more results follow, is the after= of the next
	// page (an offset, in decimal).
	Next string `json:"next,omitempty"`
}

// SearchItem is one result.
type SearchItem struct {
	ID        string       `json:"id"`   // an ID, or a did:key for kind did
	Kind      string       `json:"kind"` // dataset, derivation, attribution, …, artifact, did
	Name      string       `json:"name,omitempty"`
	Path      string       `json:"path,omitempty"` // for a sha256: the file's path in the dataset
	Publisher protocol.DID `json:"publisher,omitzero"`
	Created   time.Time    `json:"created,omitzero"`
	Files     int64        `json:"files,omitempty"`
}

// NodeStatus answers GET /v1/node: what the explorer's node page shows.
type NodeStatus struct {
	Network string       `json:"network"`
	DID     protocol.DID `json:"did"`
	PeerID  string       `json:"peer_id"`
	Version string       `json:"version"`
	Peers   int          `json:"peers"`
	Objects ObjectCounts `json:"objects"`
	// Health are the announce, gossip, DHT and storage figures of
	// /metrics, as it reports them.
	Health []Metric `json:"health"`
}

// ObjectCounts counts what the store holds.
type ObjectCounts struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
	Chunks int64            `json:"chunks"`
}

// Metric is one sample of /metrics.
type Metric struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
	Help   string            `json:"help"`
}
