package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// Client speaks the daemon's HTTP API (/v1/...). Errors from the daemon
// come back as *protocol.Error with the kind the daemon gave them, so
// callers use protocol.KindOf and errors.Is as they would in process.
//
// A call is bounded by its context alone: the HTTP client has no timeout of
// its own, because a read that searches the network may rightly take as
// long as the QueryOptions.Timeout it asks for, up to MaxQueryTimeout.
type Client struct {
	base  string // http://ADDR
	token string
	http  *http.Client

	// NotRunning is the error of a call that finds nothing listening at
	// the address; by default one of kind protocol.NotFound naming the
	// address. Set it before the first call.
	NotRunning error
}

// clientMaxErrorBody bounds how much of an error response is read.
const clientMaxErrorBody = 1 << 20

// NewClient returns a client of the daemon whose API listens at addr
// (host:port), sending token, when not empty, as a bearer token. It opens
// no connection.
func NewClient(addr, token string) (*Client, error) {
	return NewClientDial(addr, token, nil)
}

// NewClientDial is NewClient whose connections dial opens, e.g. from
// inside another network namespace; nil dials as NewClient does.
func NewClientDial(addr, token string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*Client, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, protocol.E("new client", protocol.Invalid, "%q is not a host:port address", addr)
	}
	return &Client{
		base:  "http://" + addr,
		token: token,
		http: &http.Client{Transport: &http.Transport{
			Proxy:               nil, // the API is local; never send it through a proxy
			DialContext:         dial,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		}},
		NotRunning: protocol.E("", protocol.NotFound, "no commons daemon answers at %s", addr),
	}, nil
}

// Addr returns the address the client sends its requests to, host:port.
func (c *Client) Addr() string { return strings.TrimPrefix(c.base, "http://") }

// ID returns the daemon's identity.
func (c *Client) ID(ctx context.Context) (IDInfo, error) {
	var out IDInfo
	return out, c.call(ctx, "GET", "/v1/id", nil, &out)
}

// Keys lists the keystore, the node key first.
func (c *Client) Keys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	return out, c.call(ctx, "GET", "/v1/keys", nil, &out)
}

// NewKey creates a named key.
func (c *Client) NewKey(ctx context.Context, name string) (KeyInfo, error) {
	var out KeyInfo
	return out, c.call(ctx, "POST", "/v1/keys", NewKeyRequest{Name: name}, &out)
}

// AddDataset signs and stores a dataset record.
func (c *Client) AddDataset(ctx context.Context, req AddDatasetRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/datasets", req, &out)
}

// Datasets lists the datasets the daemon holds.
func (c *Client) Datasets(ctx context.Context) ([]DatasetSummary, error) {
	var out []DatasetSummary
	return out, c.call(ctx, "GET", "/v1/datasets", nil, &out)
}

// Dataset returns one dataset record.
func (c *Client) Dataset(ctx context.Context, id protocol.ID, opts QueryOptions) (DatasetView, error) {
	var out DatasetView
	return out, c.call(ctx, "GET", "/v1/datasets/"+id.String()+clientQuery(opts), nil, &out)
}

// AddClaim signs and stores an attribution claim.
func (c *Client) AddClaim(ctx context.Context, req AddClaimRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/claims", req, &out)
}

// Revoke withdraws the claim id.
func (c *Client) Revoke(ctx context.Context, id protocol.ID, req RevokeRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/claims/"+id.String()+"/revoke", req, &out)
}

// Cosign adds a signature to the object id; its ID does not change.
func (c *Client) Cosign(ctx context.Context, id protocol.ID, req CosignRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/objects/"+id.String()+"/cosign", req, &out)
}

// Endorse signs and stores an endorsement.
func (c *Client) Endorse(ctx context.Context, req EndorseRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/endorsements", req, &out)
}

// Derive signs and stores a derivation.
func (c *Client) Derive(ctx context.Context, req DeriveRequest) (Published, error) {
	var out Published
	return out, c.call(ctx, "POST", "/v1/derivations", req, &out)
}

// Attribution returns who contributed to id, at what trust, and its lineage.
func (c *Client) Attribution(ctx context.Context, id protocol.ID, opts QueryOptions) (*Attribution, error) {
	var out Attribution
	if err := c.call(ctx, "GET", "/v1/attribution/"+id.String()+clientQuery(opts), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Locate returns the datasets that hold a file with digest d.
func (c *Client) Locate(ctx context.Context, d protocol.Digest, opts QueryOptions) (LocateResult, error) {
	var out LocateResult
	return out, c.call(ctx, "GET", "/v1/locate/"+d.Hex()+clientQuery(opts), nil, &out)
}

// GetObject returns the envelope of id as stored, byte for byte.
func (c *Client) GetObject(ctx context.Context, id protocol.ID, opts QueryOptions) ([]byte, error) {
	var out []byte
	return out, c.call(ctx, "GET", "/v1/objects/"+id.String()+clientQuery(opts), nil, &out)
}

// clientQuery spells opts as the URL query of a read ("?local=1",
// "?timeout=5s"), or "" when opts is zero so that the daemon's defaults
// apply.
func clientQuery(opts QueryOptions) string {
	q := url.Values{}
	if opts.Local {
		q.Set("local", "1")
	}
	if opts.Timeout != 0 {
		q.Set("timeout", opts.Timeout.String())
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Connect asks the daemon to connect to the peer at addr, a multiaddr
// ending in /p2p/PEER, and returns the peer once connected.
func (c *Client) Connect(ctx context.Context, addr string) (PeerInfo, error) {
	var out PeerInfo
	return out, c.call(ctx, "POST", "/v1/swarm/connect", ConnectRequest{Addr: addr}, &out)
}

// Peers lists the peers the daemon is connected to.
func (c *Client) Peers(ctx context.Context) ([]PeerInfo, error) {
	var out []PeerInfo
	return out, c.call(ctx, "GET", "/v1/swarm/peers", nil, &out)
}

// GovPropose signs and publishes a governance proposal. A signer that is not
// a current steward is refused with an error of kind protocol.Forbidden, and
// nothing is published.
func (c *Client) GovPropose(ctx context.Context, req GovProposeRequest) (GovPublished, error) {
	var out GovPublished
	return out, c.call(ctx, "POST", "/v1/gov/propose", req, &out)
}

// GovVote signs and publishes a vote on an open proposal. Errors: Forbidden
// (not a steward), NotFound (unknown proposal), Invalid (closed proposal),
// Exists (the signer has voted on it already).
func (c *Client) GovVote(ctx context.Context, req GovVoteRequest) (GovPublished, error) {
	var out GovPublished
	return out, c.call(ctx, "POST", "/v1/gov/vote", req, &out)
}

// GovState returns the governance state as the daemon folded it.
func (c *Client) GovState(ctx context.Context) (*GovState, error) {
	var out GovState
	if err := c.call(ctx, "GET", "/v1/gov/state", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GovLog returns the governance updates in the order the fold applies them.
func (c *Client) GovLog(ctx context.Context) ([]GovLogEntry, error) {
	var out []GovLogEntry
	return out, c.call(ctx, "GET", "/v1/gov/log", nil, &out)
}

// PutObject hands the daemon one envelope signed elsewhere; the daemon
// verifies it before it stores anything.
func (c *Client) PutObject(ctx context.Context, raw []byte) (PutResult, error) {
	var out PutResult
	return out, c.call(ctx, "POST", "/v1/objects", json.RawMessage(raw), &out)
}

// PutObjects sends body, envelopes one per line, to the bulk route and
// calls each with every result as the daemon streams it back, while body is
// still being sent. Refused lines past MaxBulkDescribed come only as counts
// in the summary. An error of each stops the upload. A summary whose Error
// is set says why the daemon stopped before the end of body.
func (c *Client) PutObjects(ctx context.Context, body io.Reader, each func(BulkResult) error) (BulkSummary, error) {
	const op = "POST /v1/objects/bulk"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/objects/bulk", body)
	if err != nil {
		return BulkSummary{}, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Accept", "application/x-ndjson")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return BulkSummary{}, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return BulkSummary{}, c.NotRunning
		}
		return BulkSummary{}, protocol.E(op, protocol.Transient, "daemon at %s: %v", c.Addr(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return BulkSummary{}, clientError(op, resp)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var line BulkLine
		if err := dec.Decode(&line); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return BulkSummary{}, protocol.E(op, protocol.Transient, "the answer ended without its summary: %v", err)
		}
		if line.Summary != nil {
			return *line.Summary, nil
		}
		if err := each(line.BulkResult); err != nil {
			return BulkSummary{}, err
		}
	}
}

// call sends in (JSON, or raw bytes as a json.RawMessage) and decodes the
// response into out; a *[]byte out receives the body as is.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	op := method + " " + path
	var body io.Reader
	if raw, ok := in.(json.RawMessage); ok {
		body = bytes.NewReader(raw)
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return protocol.E(op, protocol.Invalid, "encode request: %v", err)
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, "application/json", body, out)
}

// send makes one request whose body, when not nil, is of media type
// contentType, and decodes the answer into out (JSON, or the bytes
// themselves for a *[]byte).
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	op := method + " " + path
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return c.NotRunning
		}
		return protocol.E(op, protocol.Transient, "daemon at %s: %v", c.Addr(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return clientError(op, resp)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw, err = io.ReadAll(resp.Body)
		if err != nil {
			return protocol.E(op, protocol.Transient, "read response: %v", err)
		}
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return protocol.E(op, protocol.Other, "decode response: %v", err)
	}
	return nil
}

// clientError turns an error response into a *protocol.Error carrying the
// daemon's message and kind. A body that is not an ErrorBody (a proxy's
// page, a panic) is quoted and its kind guessed from the status.
func clientError(op string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, clientMaxErrorBody))
	var eb ErrorBody
	if err := json.Unmarshal(b, &eb); err == nil && eb.Error != "" {
		return &protocol.Error{Kind: clientKind(eb.Kind, resp.StatusCode), Err: errors.New(eb.Error)}
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	return protocol.E(op, clientKind("", resp.StatusCode), "HTTP %d: %s", resp.StatusCode, text)
}

// clientKind maps a kind name from ErrorBody back to its protocol.Kind, or,
// when the name is unknown, guesses one from the HTTP status.
func clientKind(name string, status int) protocol.Kind {
	if k, ok := KindNamed(name); ok && name != "" {
		return k
	}
	return KindOfStatus(status)
}

// PutChunks uploads manifest chunks, framed by AppendChunkFrame, at most
// MaxChunksBody bytes of frames in one call.
func (c *Client) PutChunks(ctx context.Context, frames []byte) (PutChunksResult, error) {
	var out PutChunksResult
	return out, c.send(ctx, "POST", "/v1/chunks", ChunksContentType, bytes.NewReader(frames), &out)
}

// DatasetPage returns a dataset record with one page of its files.
func (c *Client) DatasetPage(ctx context.Context, id protocol.ID, page FilesPage, opts QueryOptions) (DatasetView, error) {
	var out DatasetView
	return out, c.call(ctx, "GET", "/v1/datasets/"+id.String()+withPage(clientQuery(opts), page), nil, &out)
}

// DatasetDiff says what changed from dataset from to dataset id, listing
// the first limit changes.
func (c *Client) DatasetDiff(ctx context.Context, id, from protocol.ID, limit int, opts QueryOptions) (DatasetDiff, error) {
	var out DatasetDiff
	q := url.Values{"from": {from.String()}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return out, c.call(ctx, "GET", "/v1/datasets/"+id.String()+"/diff"+joinQuery(clientQuery(opts), q), nil, &out)
}

// withPage adds the page's parameters to the query q ("" or "?…").
func withPage(q string, page FilesPage) string {
	v := url.Values{}
	if page.After != "" {
		v.Set("after", page.After)
	}
	if page.Limit != 0 {
		v.Set("limit", strconv.Itoa(page.Limit))
	}
	return joinQuery(q, v)
}

func joinQuery(q string, v url.Values) string {
	if len(v) == 0 {
		return q
	}
	if q == "" {
		return "?" + v.Encode()
	}
	return q + "&" + v.Encode()
}

// Metrics returns the daemon's metrics (GET /metrics) in Prometheus text
// format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	var out []byte
	return out, c.send(ctx, "GET", "/metrics", "", nil, &out)
}
