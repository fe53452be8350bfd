package api

import (
	"context"

	"github.com/commons-p2p/commons/protocol"
)

// Bundle returns the proof bundle of id (SPEC.md §6.4) as the node wrote
// it: a JSON document that `commons verify` checks with no daemon.
func (c *Client) Bundle(ctx context.Context, id protocol.ID, opts QueryOptions) ([]byte, error) {
	var out []byte
	return out, c.call(ctx, "GET", "/v1/bundle/"+id.String()+clientQuery(opts), nil, &out)
}
