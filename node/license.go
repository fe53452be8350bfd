package node

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/licence"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
)

// License answers what licences lie upstream of id and whether id's own
// licence keeps their terms (SPEC.md §4.8). Unless q.Local it first
// gathers the subject and its whole lineage from the network, as Credit
// does; the answer is made from the local store alone.
func (n *Node) License(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.LicenseReport, error) {
	s, cancel := n.searchLineage(ctx, "license", id, q)
	defer cancel()
	r, err := licence.Report(n.store, n.policy(), n.standings(), id)
	if protocol.KindOf(err) == protocol.NotFound {
		return nil, s.NotFound("license", id)
	}
	return r, err
}

// Notice writes the attribution notice of id in Markdown: every upstream
// work, its licence, publisher and the contributors at min or above.
func (n *Node) Notice(ctx context.Context, id protocol.ID, min protocol.Trust, q api.QueryOptions) ([]byte, error) {
	s, cancel := n.searchLineage(ctx, "notice", id, q)
	defer cancel()
	md, err := licence.Notice(n.store, n.policy(), n.standings(), id, min)
	if protocol.KindOf(err) == protocol.NotFound {
		return nil, s.NotFound("notice", id)
	}
	return md, err
}

// searchLineage asks the network, unless q.Local, for the subject and its
// whole lineage with the claims about every node of it (gatherLineage,
// SPEC.md §7.5). The search it returns (nil when local) says, if nothing
// was found, whom it asked; an error of the store while gathering leaves
// the answer to what the store holds.
func (n *Node) searchLineage(ctx context.Context, query string, id protocol.ID, q api.QueryOptions) (*swarm.Search, context.CancelFunc) {
	s, cancel := n.newSearch(ctx, q)
	if s != nil {
		done := n.metrics.TimeQuery(query)
		if err := n.gatherLineage(ctx, s, id); err != nil {
			n.log.Warn("gather a lineage", "query", query, "subject", id, "err", err)
		}
		done()
	}
	return s, cancel
}
