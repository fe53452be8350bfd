package api

import (
	"context"
	"net/url"

	"github.com/commons-p2p/commons/protocol"
)

// Export returns the lineage and attribution of id in format f, the bytes
// of the document as the daemon wrote them (SPEC.md §6.5).
func (c *Client) Export(ctx context.Context, id protocol.ID, f ExportFormat, opts QueryOptions) ([]byte, error) {
	q := url.Values{}
	q.Set("format", string(f))
	if opts.Local {
		q.Set("local", "1")
	}
	if opts.Timeout != 0 {
		q.Set("timeout", opts.Timeout.String())
	}
	var out []byte
	return out, c.call(ctx, "GET", "/v1/export/"+id.String()+"?"+q.Encode(), nil, &out)
}
