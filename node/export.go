package node

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/export"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Export writes the lineage and attribution of id in format f (SPEC.md
// §6.5). It first answers the attribution of id as Attribution does —
// gathering from the network, unless q.Local, what the answer needs — and
// reads the chunks of a manifest the store lacks from peers; the document
// is then made from the local index alone (node/export), so that the
// answer and the export agree.
func (n *Node) Export(ctx context.Context, id protocol.ID, f api.ExportFormat, q api.QueryOptions) ([]byte, error) {
	if _, err := api.ParseExportFormat(string(f)); err != nil {
		return nil, err
	}
	if _, err := n.Attribution(ctx, id, q); err != nil {
		return nil, err
	}
	src := export.Source{
		Store: n.store, Policy: n.policy(), Standings: n.standings(),
		Chunks: func(dataset protocol.ID, root manifest.ChunkID) manifest.Fetch {
			return n.chunkFetch(ctx, dataset, root, q)
		},
	}
	return export.Export(src, id, f)
}
