package node

import (
	"context"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/export"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Export writes the lineage and attribution of id in format f (SPEC.md
// §6.5). It first gathers from the network, unless q.Local, what the
// attribution of id needs, as Attribution does, and reads the chunks of a
// manifest the store lacks from peers; the document is then made from the
// local index alone (node/export), from the attribution read once the
// gathering is done, so that the answer and the export agree.
func (n *Node) Export(ctx context.Context, id protocol.ID, f api.ExportFormat, q api.QueryOptions) ([]byte, error) {
	if _, err := api.ParseExportFormat(string(f)); err != nil {
		return nil, err
	}
	s, cancel := n.newSearch(ctx, q)
	defer cancel()
	a, err := n.gatherAttribution(s, "export", id)
	if err != nil {
		return nil, err
	}
	if knownNothing(answer.FromStore(a, answer.Standings(nil))) {
		// Nothing is known of id but, at most, what was made from it:
		// there is no lineage or attribution to write.
		return nil, s.NotFound("export", id)
	}
	src := export.Source{
		Store: n.store, Policy: n.policy(), Standings: n.standings(), Attribution: a,
		Chunks: func(dataset protocol.ID, root manifest.ChunkID) manifest.Fetch {
			return n.chunkFetch(ctx, dataset, root, q)
		},
	}
	return export.Export(src, id, f)
}
