package api

import (
	"context"
	"net/url"
	"strconv"

	"github.com/commons-p2p/commons/protocol"
)

// Lineage returns the lineage of id as a graph of at most limit nodes (0:
// DefaultLineageLimit).
func (c *Client) Lineage(ctx context.Context, id protocol.ID, limit int, opts QueryOptions) (*Lineage, error) {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out Lineage
	if err := c.call(ctx, "GET", "/v1/lineage/"+id.String()+withQuery(v, opts), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DID returns what key d contributed, one page of claims after after
// (zero: from the first), and what it signed.
func (c *Client) DID(ctx context.Context, d protocol.DID, after protocol.ID, limit int) (*DIDView, error) {
	v := url.Values{}
	if !after.IsZero() {
		v.Set("after", after.String())
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out DIDView
	if err := c.call(ctx, "GET", "/v1/did/"+url.PathEscape(d.String())+withQuery(v, QueryOptions{}), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Search returns one page, from the offset after, of what q names.
func (c *Client) Search(ctx context.Context, q string, after, limit int, opts QueryOptions) (*SearchResult, error) {
	v := url.Values{"q": {q}}
	if after > 0 {
		v.Set("after", strconv.Itoa(after))
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out SearchResult
	if err := c.call(ctx, "GET", "/v1/search"+withQuery(v, opts), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Status returns what the explorer's node page shows.
func (c *Client) Status(ctx context.Context) (*NodeStatus, error) {
	var out NodeStatus
	if err := c.call(ctx, "GET", "/v1/node", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// withQuery is "?" and v with the query options, or "" when both are empty.
func withQuery(v url.Values, opts QueryOptions) string {
	if more := clientQuery(opts); more != "" {
		extra, _ := url.ParseQuery(more[1:])
		for k, vs := range extra {
			v[k] = vs
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}
