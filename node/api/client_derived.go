package api

import (
	"context"

	"github.com/commons-p2p/commons/protocol"
)

// Derived returns what was made from id: datasets derived from it,
// models and artifacts made from it, and theirs, to any depth the node
// bounds.
func (c *Client) Derived(ctx context.Context, id protocol.ID, opts QueryOptions) (*Derived, error) {
	var out Derived
	if err := c.call(ctx, "GET", "/v1/derived/"+id.String()+clientQuery(opts), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
