package node

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/protocol"
)

// Handler returns the HTTP API (/v1/...), /metrics and the explorer's
// pages behind the guard of SPEC §6.2; the repo's config says whether the
// explorer is public (SPEC §6.6). token, when not empty, is required as a bearer token on every
// request. Serve it with apiserver.NewServer and apiserver.DefaultTimeouts.
func (n *Node) Handler(token string) http.Handler {
	return n.handler(token, apiserver.DefaultTimeouts)
}

func (n *Node) handler(token string, t apiserver.Timeouts) http.Handler {
	return apiserver.New(apiService{n}, apiserver.Options{
		Token:    token,
		Public:   n.repo.Config.Explorer.Public,
		Timeouts: t,
		Metrics:  promhttp.HandlerFor(n.metrics.Registry(), promhttp.HandlerOpts{}),
		Log:      n.log,
		Hooks: apiserver.Hooks{
			Route:   n.metrics.APIRoute,
			Request: n.metrics.ObserveRequest,
			Refused: n.metrics.RefusedByGuard,
		},
	})
}

// apiService is the node as the API serves it: its operations, with the
// governance reads in the API's types and bulk ingest in the two stages
// the server overlaps with reading the upload.
type apiService struct{ *Node }

var _ apiserver.Service = apiService{}

func (s apiService) Dataset(ctx context.Context, id protocol.ID, page api.FilesPage, q api.QueryOptions) (api.DatasetView, error) {
	return s.Node.DatasetPage(ctx, id, page, q)
}

func (s apiService) GovState(ctx context.Context) (*api.GovState, error) {
	st, err := s.Node.GovState(ctx)
	if err != nil {
		return nil, err
	}
	return apiGovState(st), nil
}

func (s apiService) GovLog(ctx context.Context) ([]api.GovLogEntry, error) {
	log, err := s.Node.GovLog(ctx)
	if err != nil {
		return nil, err
	}
	return apiGovLog(log), nil
}

// VerifyBulk verifies a batch of a bulk upload on every core; the function
// it returns stores the valid envelopes, the refused unread counted among
// the refused.
func (s apiService) VerifyBulk(raws [][]byte, unread []error) apiserver.StoreBulk {
	vb := s.verifyBatch(raws)
	for i, err := range unread {
		if err != nil {
			vb.objs[i], vb.results[i].Err = nil, err
		}
	}
	return func() ([]apiserver.Ingested, error) {
		results, err := s.storeVerified(vb)
		out := make([]apiserver.Ingested, len(results))
		for i, r := range results {
			out[i] = apiserver.Ingested{
				Put: api.PutResult{ID: r.ID, Kind: r.Kind.String(), New: r.New, Added: r.Added, Signers: r.Signers},
				Err: r.Err,
			}
		}
		return out, err
	}
}
