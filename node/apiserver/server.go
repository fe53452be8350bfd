package apiserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// MaxRequestBody bounds any API request body: a dataset request for tens of
// thousands of files, or one envelope with room to spare.
const MaxRequestBody = 32 << 20

// maxBulkBody bounds a bulk upload of newline-delimited envelopes.
const maxBulkBody = 1 << 30

// New returns the HTTP API (/v1/...) over svc, and /metrics when o.Metrics
// is set, behind the guard of SPEC §6.2. Serve it with NewServer and the
// same o.Timeouts.
func New(svc Service, o Options) http.Handler {
	if o.Timeouts == (Timeouts{}) {
		o.Timeouts = DefaultTimeouts
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Hooks.fill()
	t, log := o.Timeouts, o.Log
	mux := http.NewServeMux()
	// serve registers a route. A POST changes state, and takes only the
	// media types given (JSON unless said otherwise); a GET changes none.
	serve := func(pattern string, limit int64, types []string, h func(w http.ResponseWriter, r *http.Request) error) {
		o.Hooks.Route(pattern)
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			if r.Method == http.MethodPost && !acceptsBody(r, types...) {
				refuse(w, http.StatusUnsupportedMediaType, protocol.Invalid, fmt.Sprintf(
					"Content-Type %q refused: %s takes %s", r.Header.Get("Content-Type"), pattern, strings.Join(types, " or ")))
				o.Hooks.Request(pattern, http.StatusUnsupportedMediaType, start)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			code := http.StatusOK
			if err := h(w, r); err != nil {
				code = writeError(log, w, r, err)
			}
			o.Hooks.Request(pattern, code, start)
		})
	}
	route := func(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
		serve(pattern, MaxRequestBody, []string{"application/json"}, h)
	}
	// routeStream registers a route whose body may be long: it is read at
	// the client's pace under streamedBody's rule instead of ReadTimeout.
	routeStream := func(pattern string, limit int64, h func(w http.ResponseWriter, r *http.Request) error) {
		serve(pattern, limit, []string{"application/x-ndjson", "application/json"}, func(w http.ResponseWriter, r *http.Request) error {
			r.Body = newStreamedBody(w, r, t)
			return h(w, r)
		})
	}
	route("GET /v1/id", func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, svc.ID(r.Context()))
	})
	route("GET /v1/keys", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.Keys(r.Context()))(w)
	})
	route("POST /v1/keys", func(w http.ResponseWriter, r *http.Request) error {
		var req api.NewKeyRequest
		if err := readJSON("read request", r, &req); err != nil {
			return err
		}
		return reply(svc.NewKey(r.Context(), req.Name))(w)
	})
	route("POST /v1/datasets", func(w http.ResponseWriter, r *http.Request) error {
		var req api.AddDatasetRequest
		if err := readJSON("add dataset", r, &req); err != nil {
			return err
		}
		if m := req.Manifest; m != nil && m.Count > 0 {
			t.allowManifest(w, m.Count)
		}
		return reply(svc.AddDataset(r.Context(), req))(w)
	})
	route("GET /v1/datasets", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.Datasets(r.Context()))(w)
	})
	route("GET /v1/datasets/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		page, err := filesPage(r)
		if err != nil {
			return err
		}
		return reply(svc.Dataset(r.Context(), id, page, q))(w)
	})
	route("GET /v1/datasets/{id}/diff", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		from, limit, err := diffParams(r)
		if err != nil {
			return err
		}
		return reply(svc.DatasetDiff(r.Context(), id, from, limit, q))(w)
	})
	serve("POST /v1/chunks", api.MaxChunksBody, []string{api.ChunksContentType}, func(w http.ResponseWriter, r *http.Request) error {
		var chunks [][]byte
		err := api.ReadChunkFrames(r.Body, func(_ int, c []byte) error {
			chunks = append(chunks, c)
			return nil
		})
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return protocol.E("put chunks", protocol.TooLarge, "request body is over the limit of %d bytes: send the chunks in several uploads", int64(api.MaxChunksBody))
		}
		if err != nil {
			return err
		}
		return reply(svc.PutChunks(r.Context(), chunks))(w)
	})
	route("POST /v1/claims", jsonCall("add claim", svc.AddClaim))
	route("POST /v1/claims/{id}/revoke", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req api.RevokeRequest
		if err := readJSON("read request", r, &req); err != nil {
			return err
		}
		return reply(svc.Revoke(r.Context(), id, req))(w)
	})
	route("POST /v1/objects/{id}/cosign", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req api.CosignRequest
		if err := readJSON("read request", r, &req); err != nil {
			return err
		}
		return reply(svc.Cosign(r.Context(), id, req.As))(w)
	})
	route("POST /v1/endorsements", jsonCall("endorse", svc.Endorse))
	route("POST /v1/derivations", jsonCall("derive", svc.Derive))
	route("GET /v1/attribution/{id}", withQuery(t, svc.Attribution))
	route("GET /v1/export/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		f, err := api.ParseExportFormat(r.URL.Query().Get("format"))
		if err != nil {
			return err
		}
		b, err := svc.Export(r.Context(), id, f, q)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", f.ContentType())
		_, err = w.Write(b)
		return err
	})
	route("GET /v1/license/{id}", withQuery(t, svc.License))
	route("GET /v1/notice/{id}", serveNotice(t, svc))
	route("GET /v1/derived/{id}", withQuery(t, svc.Derived))
	route("GET /v1/credit/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		min, err := minTrustQuery(r)
		if err != nil {
			return err
		}
		return reply(svc.Credit(r.Context(), id, min, q))(w)
	})
	route("GET /v1/bundle/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		b, err := svc.Bundle(r.Context(), id, q)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_, err = w.Write(b)
		return err
	})
	route("GET /v1/locate/{digest}", func(w http.ResponseWriter, r *http.Request) error {
		d, err := protocol.ParseDigest(r.PathValue("digest"))
		if err != nil {
			return err
		}
		q, err := queryOptions(r)
		if err != nil {
			return err
		}
		t.allowSearch(w, q)
		return reply(svc.Locate(r.Context(), d, q))(w)
	})
	route("GET /v1/objects/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		q, err := queryOptions(r)
		if err != nil {
			return err
		}
		t.allowSearch(w, q)
		b, err := svc.GetObject(r.Context(), id, q)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_, err = w.Write(b)
		return err
	})
	route("POST /v1/objects", func(w http.ResponseWriter, r *http.Request) error {
		b, err := readBody(r, protocol.MaxEnvelopeSize)
		if err != nil {
			return err
		}
		return reply(svc.PutObject(r.Context(), b))(w)
	})
	routeStream("POST /v1/objects/bulk", maxBulkBody, func(w http.ResponseWriter, r *http.Request) error {
		serveBulk(svc, log, w, r)
		return nil
	})
	route("POST /v1/swarm/connect", func(w http.ResponseWriter, r *http.Request) error {
		var req api.ConnectRequest
		if err := readJSON("read request", r, &req); err != nil {
			return err
		}
		return reply(svc.Connect(r.Context(), req.Addr))(w)
	})
	route("GET /v1/swarm/peers", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.Peers(r.Context()))(w)
	})
	route("POST /v1/gov/propose", jsonCall("propose", svc.GovPropose))
	route("POST /v1/gov/vote", jsonCall("vote", svc.GovVote))
	route("GET /v1/gov/state", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.GovState(r.Context()))(w)
	})
	route("GET /v1/gov/log", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.GovLog(r.Context()))(w)
	})
	route("GET /v1/lineage/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		limit, err := intParam(r, "limit", api.DefaultLineageLimit, api.MaxLineageLimit)
		if err != nil {
			return err
		}
		return reply(svc.Lineage(r.Context(), id, limit, q))(w)
	})
	route("GET /v1/did/{did}", func(w http.ResponseWriter, r *http.Request) error {
		d, err := protocol.ParseDID(r.PathValue("did"))
		if err != nil {
			return err
		}
		var after protocol.ID
		if v := r.URL.Query().Get("after"); v != "" {
			if after, err = protocol.ParseID(v); err != nil {
				return err
			}
		}
		limit, err := intParam(r, "limit", api.DefaultDIDLimit, api.MaxDIDLimit)
		if err != nil {
			return err
		}
		return reply(svc.DIDActivity(r.Context(), d, after, limit))(w)
	})
	route("GET /v1/search", func(w http.ResponseWriter, r *http.Request) error {
		q, err := queryOptions(r)
		if err != nil {
			return err
		}
		text := r.URL.Query().Get("q")
		if len(text) > maxSearchText {
			return protocol.E("search", protocol.Invalid, "q is %d bytes, over the %d a search takes", len(text), maxSearchText)
		}
		after, err := intParam(r, "after", 0, math.MaxInt32)
		if err != nil {
			return err
		}
		limit, err := intParam(r, "limit", api.DefaultSearchLimit, api.MaxSearchLimit)
		if err != nil {
			return err
		}
		t.allowSearch(w, q)
		return reply(svc.Search(r.Context(), text, after, limit, q))(w)
	})
	route("GET /v1/node", func(w http.ResponseWriter, r *http.Request) error {
		return reply(svc.Status(r.Context()))(w)
	})
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	servePages(mux, o.Token)
	return guard(newAccess(o.Token, o.Public), mux, o.Hooks.Refused)
}

// maxSearchText bounds the text of a search.
const maxSearchText = 1024

// intParam reads the integer URL parameter name, def when absent, and
// refuses one that is not in [0, max] (or is 0 when def is not).
func intParam(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	low := 0
	if def > 0 {
		low = 1
	}
	if err != nil || n < low || n > max {
		return 0, protocol.E("query options", protocol.Invalid, "%s=%q: want a whole number from %d to %d", name, v, low, max)
	}
	return n, nil
}

// jsonCall adapts an operation that takes a JSON request: a value that
// the request's type refuses is refused as op would refuse it.
func jsonCall[Req, Resp any](op string, f func(context.Context, Req) (Resp, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req Req
		if err := readJSON(op, r, &req); err != nil {
			return err
		}
		return reply(f(r.Context(), req))(w)
	}
}

func reply[T any](v T, err error) func(http.ResponseWriter) error {
	return func(w http.ResponseWriter) error {
		if err != nil {
			return err
		}
		return writeJSON(w, v)
	}
}

// withQuery adapts a read that may look on the network.
func withQuery[Resp any](t Timeouts, f func(context.Context, protocol.ID, api.QueryOptions) (Resp, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, q, err := idAndQuery(t, w, r)
		if err != nil {
			return err
		}
		return reply(f(r.Context(), id, q))(w)
	}
}

// idAndQuery reads the ID of the path and the query options of a read that
// may look on the network, and gives the search its time.
func idAndQuery(t Timeouts, w http.ResponseWriter, r *http.Request) (protocol.ID, api.QueryOptions, error) {
	id, err := pathID(r)
	if err != nil {
		return id, api.QueryOptions{}, err
	}
	q, err := queryOptions(r)
	if err != nil {
		return id, q, err
	}
	t.allowSearch(w, q)
	return id, q, nil
}
