package api

import (
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The HTTP API's request and response bodies. The CLI prints responses as
// they come (with --json), so these field names are a public contract:
// README.md and SPEC.md §6 list them, and end-to-end tests read them.

// IDInfo answers GET /v1/id.
type IDInfo struct {
	DID     protocol.DID `json:"did"`
	PeerID  string       `json:"peer_id"`
	Network string       `json:"network"` // the network ID, SPEC.md §7.1
	Addrs   []string     `json:"addrs"`   // full multiaddrs ending in /p2p/PEER; empty when not listening
	Repo    string       `json:"repo"`
	Version string       `json:"version"`
}

// QueryOptions are the URL query parameters of the four reads that may
// look on the network (GET /v1/attribution/{id}, /v1/locate/{digest},
// /v1/datasets/{id}, /v1/objects/{id}): "local=1" answers from the local
// index only; "timeout=DURATION" (Go syntax, e.g. 5s) bounds the search on
// the network, DefaultQueryTimeout when absent. What the network gave is
// verified and stored before the answer is made from the local index.
type QueryOptions struct {
	Local   bool
	Timeout time.Duration
}

// DefaultQueryTimeout bounds a search on the network when the request does
// not say; MaxQueryTimeout is the most a request may ask for.
const (
	DefaultQueryTimeout = 10 * time.Second
	MaxQueryTimeout     = 5 * time.Minute
)

// ConnectRequest asks the node to connect to a peer (POST /v1/swarm/connect).
// Addr is a multiaddr ending in /p2p/PEER.
type ConnectRequest struct {
	Addr string `json:"addr"`
}

// PeerInfo is one connected peer (GET /v1/swarm/peers, and the answer of
// POST /v1/swarm/connect).
type PeerInfo struct {
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`  // the addresses of the open connections
	Score  float64  `json:"score"`  // this node's opinion of the peer: 0 neutral, below 0 misbehaved
	Credit float64  `json:"credit"` // what the peer did for this node: 0 nothing, above 0 answered its fetches
}

// KeyInfo is one named key of the keystore (GET/POST /v1/keys).
type KeyInfo struct {
	Name string       `json:"name"`
	DID  protocol.DID `json:"did"`
	// Retired is set for a key that a rotation replaced: it signs nothing
	// new (SPEC.md §6.1).
	Retired bool `json:"retired,omitempty"`
}

// NewKeyRequest asks for a new named key (POST /v1/keys).
type NewKeyRequest struct {
	Name string `json:"name"`
}

// FileEntry is one file of a dataset as the client hashed it.
type FileEntry struct {
	Name   string `json:"name"`   // path inside the dataset, slash-separated
	SHA256 string `json:"sha256"` // 64 hex digits
	Size   int64  `json:"size"`
}

// AddDatasetRequest publishes a dataset record (POST /v1/datasets).
type AddDatasetRequest struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	License     string        `json:"license"`
	Version     string        `json:"version,omitempty"`
	Parents     []protocol.ID `json:"parents,omitempty"`
	// ParentWeights gives each parent its weight in (0,1] for credit
	// (SPEC.md §4.7), in the order of Parents; nil weighs each 1.
	ParentWeights []float64   `json:"parent_weights,omitempty"`
	Files         []FileEntry `json:"files,omitempty"`
	// Manifest names the manifest whose chunks the client uploaded
	// (POST /v1/chunks), instead of Files: the node holds them all.
	Manifest *protocol.ManifestRef `json:"manifest,omitempty"`
	As       string                `json:"as,omitempty"` // key name; empty for the node key
	// AllowUnknownParents publishes parents the node does not hold.
	AllowUnknownParents bool `json:"allow_unknown_parents,omitempty"`
}

// AddClaimRequest publishes an attribution claim (POST /v1/claims).
type AddClaimRequest struct {
	Subject     protocol.ID `json:"subject"`
	Contributor string      `json:"contributor,omitempty"` // a DID or a key name; default: the signer
	Role        string      `json:"role"`
	Weight      float64     `json:"weight"`
	Note        string      `json:"note,omitempty"`
	As          string      `json:"as,omitempty"`
}

// CosignRequest adds a signature to an existing object
// (POST /v1/objects/{id}/cosign).
type CosignRequest struct {
	As string `json:"as,omitempty"`
}

// RevokeRequest withdraws a claim (POST /v1/claims/{id}/revoke).
type RevokeRequest struct {
	Reason string `json:"reason"`
	As     string `json:"as,omitempty"`
}

// EndorseRequest publishes an endorsement (POST /v1/endorsements).
type EndorseRequest struct {
	Subject  protocol.ID `json:"subject"`
	Standard string      `json:"standard"`
	Level    string      `json:"level,omitempty"`
	Note     string      `json:"note,omitempty"`
	As       string      `json:"as,omitempty"`
}

// DeriveRequest publishes a derivation (POST /v1/derivations).
type DeriveRequest struct {
	Digest protocol.Digest `json:"digest"` // of the artifact made, sha256:HEX
	Name   string          `json:"name,omitempty"`
	Size   int64           `json:"size,omitempty"`
	Inputs []protocol.ID   `json:"inputs"`
	// InputWeights gives each input its weight in (0,1] for credit, in
	// the order of Inputs; nil weighs each 1.
	InputWeights []float64 `json:"input_weights,omitempty"`
	Activity     string    `json:"activity"`
	Note         string    `json:"note,omitempty"`
	As           string    `json:"as,omitempty"`
	// AllowUnknownInputs publishes inputs the node does not hold.
	AllowUnknownInputs bool `json:"allow_unknown_inputs,omitempty"`
}

// Published answers every request that signs and stores an object.
type Published struct {
	ID      protocol.ID  `json:"id"`
	Kind    string       `json:"kind"`
	Signer  protocol.DID `json:"signer"`
	New     bool         `json:"new"`               // false when the object was already stored
	Files   int          `json:"files,omitempty"`   // datasets only
	Bytes   int64        `json:"bytes,omitempty"`   // datasets only
	Signers int          `json:"signers,omitempty"` // signatures now on the object
}

// PutResult answers POST /v1/objects for one envelope.
type PutResult struct {
	ID      protocol.ID `json:"id,omitzero"`
	Kind    string      `json:"kind,omitempty"`
	New     bool        `json:"new"`
	Added   int         `json:"added_signatures"`
	Signers int         `json:"signers"`
	Error   string      `json:"error,omitempty"` // bulk ingest only: why this envelope was refused
}

// BulkResult is a line of the answer to POST /v1/objects/bulk: the result
// of the envelope on line Line of the upload (lines count from 1, blank
// ones included).
type BulkResult struct {
	Line int `json:"line"`
	PutResult
}

// BulkSummary ends the answer to POST /v1/objects/bulk, as its last line
// {"summary": BulkSummary}. An answer without it was cut short.
type BulkSummary struct {
	Lines       int    `json:"lines"`               // non-blank lines judged: Stored + Merged + Refused
	Stored      int    `json:"stored"`              // envelopes stored new
	Merged      int    `json:"merged"`              // envelopes stored before (signatures merged, or none new)
	Refused     int    `json:"refused"`             // lines refused, described or not
	Undescribed int    `json:"refused_undescribed"` // refused lines past the first MaxBulkDescribed, counted without a line of their own
	Error       string `json:"error,omitempty"`     // why the upload ended before the end of the body, and from which line nothing was ingested
	Kind        string `json:"kind,omitempty"`      // the error's kind
}

// BulkLine decodes any line of the answer to POST /v1/objects/bulk: a
// result, or the summary.
type BulkLine struct {
	BulkResult
	Summary *BulkSummary `json:"summary,omitempty"`
}

// DatasetView answers GET /v1/datasets/{id}.
type DatasetView struct {
	ID          protocol.ID    `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	License     string         `json:"license"`
	Version     string         `json:"version,omitempty"`
	Publisher   protocol.DID   `json:"publisher"`
	Created     time.Time      `json:"created"`
	Parents     []protocol.ID  `json:"parents"`
	Children    []protocol.ID  `json:"children"`
	Signers     []protocol.DID `json:"signers"`
	// Files is one page of the files, in key order (SPEC.md §3.8); Next,
	// when not empty, is the After of the next page. FileCount is the
	// number of files of the dataset, Bytes their total size.
	Files     []FileView            `json:"files"`
	FileCount int64                 `json:"file_count"`
	Next      string                `json:"next,omitempty"`
	Bytes     int64                 `json:"bytes"`
	Manifest  *protocol.ManifestRef `json:"manifest,omitempty"`
	Standing  *Standing             `json:"standing,omitempty"` // the dataset's status in the commons, when governance set one
	// Derived describes the children: what each is (a dataset, or a
	// derivation with its activity and artifact), those whose publisher
	// withdrew them left out, as GET /v1/derived/{id} at depth 1.
	Derived []DerivedItem `json:"derived"`
}

// FileView is one file of a dataset.
type FileView struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // 64 hex digits
	Size   int64  `json:"size"`   // -1 when the record does not say
}

// DatasetSummary is one row of GET /v1/datasets.
type DatasetSummary struct {
	ID        protocol.ID  `json:"id"`
	Name      string       `json:"name"`
	License   string       `json:"license"`
	Publisher protocol.DID `json:"publisher"`
	Created   time.Time    `json:"created"`
	Files     int          `json:"files"`
	Bytes     int64        `json:"bytes"`
}

// LocateResult answers GET /v1/locate/{sha256}.
type LocateResult struct {
	SHA256   string         `json:"sha256"`
	Datasets []LocatedEntry `json:"datasets"`
}

// LocatedEntry is a dataset that holds a file, and the file's path in it.
type LocatedEntry struct {
	ID   protocol.ID `json:"id"`
	Name string      `json:"name"`
	Path string      `json:"path"`
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind"` // protocol.Kind names: invalid, not found, …
}

// GovProposeRequest makes a governance proposal (POST /v1/gov/propose).
// Which fields an action takes is in SPEC.md §8.
type GovProposeRequest struct {
	Action    string      `json:"action"`              // add-steward, remove-steward, set-threshold, revoke-key, dataset-status, set-param
	DID       string      `json:"did,omitempty"`       // add-steward, remove-steward, revoke-key: a did:key or a key name
	Threshold int         `json:"threshold,omitempty"` // set-threshold
	Effective string      `json:"effective,omitempty"` // revoke-key: RFC 3339
	Reason    string      `json:"reason,omitempty"`    // revoke-key, dataset-status
	Dataset   protocol.ID `json:"dataset,omitzero"`    // dataset-status
	Status    string      `json:"status,omitempty"`    // dataset-status: accepted, flagged or delisted
	Name      string      `json:"name,omitempty"`      // set-param
	Value     string      `json:"value,omitempty"`     // set-param
	Expires   string      `json:"expires,omitempty"`   // how long votes count, a Go duration ("72h"); default DefaultProposalLife
	As        string      `json:"as,omitempty"`        // key name; empty for the node key
}

// DefaultProposalLife is how long a proposal stays open for votes when
// the request does not say.
const DefaultProposalLife = 72 * time.Hour

// GovVoteRequest votes on an open proposal (POST /v1/gov/vote).
type GovVoteRequest struct {
	Proposal protocol.ID `json:"proposal"`
	Vote     string      `json:"vote"` // yes or no
	As       string      `json:"as,omitempty"`
}

// GovPublished answers a proposal or a vote: the update's ID, and where
// the proposal stands once this node has folded it.
type GovPublished struct {
	ID        protocol.ID  `json:"id"`
	Kind      string       `json:"kind"` // proposal or vote
	Author    protocol.DID `json:"author"`
	Proposal  protocol.ID  `json:"proposal"`   // the proposal (itself, for a proposal)
	Status    string       `json:"status"`     // the proposal's status now: open, passed, …
	StateHash string       `json:"state_hash"` // the state hash after this update
}
