package api

import (
	"context"
	"net/url"

	"github.com/commons-p2p/commons/protocol"
)

// Credit returns the share of the credit for id of every contributor
// upstream of it, counting the claims at minTrust and above.
func (c *Client) Credit(ctx context.Context, id protocol.ID, minTrust protocol.Trust, opts QueryOptions) (*Credit, error) {
	var out Credit
	q := "?" + url.Values{"min_trust": {minTrust.String()}}.Encode()
	if more := clientQuery(opts); more != "" {
		q += "&" + more[1:]
	}
	if err := c.call(ctx, "GET", "/v1/credit/"+id.String()+q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
