package api

import (
	"context"
	"net/url"

	"github.com/commons-p2p/commons/protocol"
)

// License returns the licences upstream of id and whether id's licence
// keeps their terms.
func (c *Client) License(ctx context.Context, id protocol.ID, opts QueryOptions) (*LicenseReport, error) {
	var out LicenseReport
	if err := c.call(ctx, "GET", "/v1/license/"+id.String()+clientQuery(opts), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Notice returns the attribution notice of id, in Markdown: every
// upstream work, its licence, publisher and the contributors at min or
// above.
func (c *Client) Notice(ctx context.Context, id protocol.ID, min protocol.Trust, opts QueryOptions) ([]byte, error) {
	q := clientQuery(opts)
	sep := "?"
	if q != "" {
		sep = "&"
	}
	var out []byte
	err := c.call(ctx, "GET", "/v1/notice/"+id.String()+q+sep+"min_trust="+url.QueryEscape(min.String()), nil, &out)
	return out, err
}
