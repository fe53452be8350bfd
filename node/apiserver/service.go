package apiserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// Service is what the API serves: the node's operations, each answering
// one route (SPEC.md §6.2) in the types of package api. An error's kind
// (protocol.KindOf) decides the status of the answer.
type Service interface {
	ID(ctx context.Context) api.IDInfo
	Keys(ctx context.Context) ([]api.KeyInfo, error)
	NewKey(ctx context.Context, name string) (api.KeyInfo, error)

	AddDataset(ctx context.Context, req api.AddDatasetRequest) (api.Published, error)
	Datasets(ctx context.Context) ([]api.DatasetSummary, error)
	// Dataset gives a dataset record and one page of its files.
	Dataset(ctx context.Context, id protocol.ID, page api.FilesPage, q api.QueryOptions) (api.DatasetView, error)
	// DatasetDiff says what changed from dataset from to dataset id, the
	// first limit changes listed (0: api.DefaultFilesLimit).
	DatasetDiff(ctx context.Context, id, from protocol.ID, limit int, q api.QueryOptions) (api.DatasetDiff, error)
	// PutChunks stores manifest chunks uploaded for a dataset to come.
	PutChunks(ctx context.Context, chunks [][]byte) (api.PutChunksResult, error)
	AddClaim(ctx context.Context, req api.AddClaimRequest) (api.Published, error)
	Revoke(ctx context.Context, id protocol.ID, req api.RevokeRequest) (api.Published, error)
	Cosign(ctx context.Context, id protocol.ID, as string) (api.Published, error)
	Endorse(ctx context.Context, req api.EndorseRequest) (api.Published, error)
	Derive(ctx context.Context, req api.DeriveRequest) (api.Published, error)

	Attribution(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.Attribution, error)
	// Export writes the lineage and attribution of id in format f, a
	// document of f.ContentType().
	Export(ctx context.Context, id protocol.ID, f api.ExportFormat, q api.QueryOptions) ([]byte, error)
	// License gives the licences upstream of id and whether id's own
	// licence keeps their terms (SPEC.md §4.8).
	License(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.LicenseReport, error)
	// Notice writes the attribution notice of id in Markdown, listing the
	// contributors at min or above.
	Notice(ctx context.Context, id protocol.ID, min protocol.Trust, q api.QueryOptions) ([]byte, error)
	// Derived answers what was made from id (SPEC.md §7.5).
	Derived(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.Derived, error)
	// Credit shares the credit for id through its lineage, counting the
	// claims at min and above (SPEC.md §4.7).
	Credit(ctx context.Context, id protocol.ID, min protocol.Trust, q api.QueryOptions) (*api.Credit, error)
	// Bundle returns the proof bundle of id (SPEC.md §6.4), a JSON document.
	Bundle(ctx context.Context, id protocol.ID, q api.QueryOptions) ([]byte, error)
	Locate(ctx context.Context, d protocol.Digest, q api.QueryOptions) (api.LocateResult, error)
	// GetObject returns the envelope of id as it is written on the wire.
	GetObject(ctx context.Context, id protocol.ID, q api.QueryOptions) ([]byte, error)
	// PutObject ingests one envelope, raw as the client sent it.
	PutObject(ctx context.Context, raw []byte) (api.PutResult, error)
	// VerifyBulk verifies a batch of the envelopes of a bulk upload and
	// returns the function that stores the valid ones. Where unread is not
	// nil and unread[i] is not nil, raws[i] was refused unread and unread[i]
	// is its error. The server verifies the next batch while the last one is
	// stored, and calls each StoreBulk once, in the order of the batches.
	VerifyBulk(raws [][]byte, unread []error) StoreBulk

	Connect(ctx context.Context, addr string) (api.PeerInfo, error)
	Peers(ctx context.Context) ([]api.PeerInfo, error)

	GovPropose(ctx context.Context, req api.GovProposeRequest) (api.GovPublished, error)
	GovVote(ctx context.Context, req api.GovVoteRequest) (api.GovPublished, error)
	GovState(ctx context.Context) (*api.GovState, error)
	GovLog(ctx context.Context) ([]api.GovLogEntry, error)

	// Lineage answers the lineage of id as a graph of at most limit nodes
	// (SPEC.md §6.6).
	Lineage(ctx context.Context, id protocol.ID, limit int, q api.QueryOptions) (*api.Lineage, error)
	// DIDActivity answers what key d contributed, one page after after,
	// and what it signed.
	DIDActivity(ctx context.Context, d protocol.DID, after protocol.ID, limit int) (*api.DIDView, error)
	// Search reads q as a did:key, a sha256, an ID or a piece of a
	// dataset's name, and answers one page after the offset after.
	Search(ctx context.Context, q string, after, limit int, opts api.QueryOptions) (*api.SearchResult, error)
	// Status answers what the explorer's node page shows.
	Status(ctx context.Context) (*api.NodeStatus, error)
}

// StoreBulk stores a verified batch of a bulk upload. It returns what
// became of each envelope, in the order of the batch, and an error when
// the store itself failed; the envelopes it did not commit then carry that
// error too.
type StoreBulk func() ([]Ingested, error)

// Ingested is what became of one envelope of a bulk upload.
type Ingested struct {
	Put api.PutResult // the envelope's ID when known; the rest when Err is nil
	Err error         // why this envelope alone was refused
}

// Options are the server's settings besides its Service. The zero value
// of each field is its default.
type Options struct {
	// Token, when not empty, is required as a bearer token on every
	// request; when empty, only requests to a loopback host are answered.
	Token string
	// Public, when set, opens the explorer's reads (publicReads) to GET
	// and HEAD without the token; every other route still needs it.
	Public bool
	// Timeouts bound the connections; the zero value is DefaultTimeouts.
	// They must be those NewServer is given.
	Timeouts Timeouts
	// Metrics serves GET /metrics; nil serves none.
	Metrics http.Handler
	// Log receives the failures no status describes and the bulk uploads
	// cut short; nil discards them.
	Log *slog.Logger
	// Hooks let the node count the requests; nil hooks do nothing.
	Hooks Hooks
}

// Hooks are told of the API's routes and requests, for the node's metrics.
type Hooks struct {
	// Route is called once for each route (a pattern such as
	// "POST /v1/claims") as it is registered.
	Route func(route string)
	// Request is called when a route has answered a request that arrived
	// at start, with the status of the answer.
	Request func(route string, code int, start time.Time)
	// Refused is called when the guard refused a request before any route,
	// with the status of the refusal.
	Refused func(code int)
}

func (h *Hooks) fill() {
	if h.Route == nil {
		h.Route = func(string) {}
	}
	if h.Request == nil {
		h.Request = func(string, int, time.Time) {}
	}
	if h.Refused == nil {
		h.Refused = func(int) {}
	}
}
