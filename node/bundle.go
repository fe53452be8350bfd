package node

import (
	"context"
	"os"
	"path/filepath"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Bundle answers GET /v1/bundle/{id}: the proof bundle of id (SPEC.md
// §6.4), every piece behind this node's answers about it with the answers
// themselves. Unless q.Local it first gathers from the network, in one
// search, the whole lineage with the claims about each node and the
// rotations that could make their signatures count, as Credit does
// (which covers what the attribution of id needs), and the root chunks of
// the manifests it meets. The answers are computed once, by Build.
func (n *Node) Bundle(ctx context.Context, id protocol.ID, q api.QueryOptions) ([]byte, error) {
	const op = "bundle"
	if n.gov == nil {
		return nil, errNoGovernance
	}
	s, cancel := n.searchLineage(ctx, "bundle", id, q)
	defer cancel()
	genesis, err := os.ReadFile(filepath.Join(n.repo.Dir, repo.GenesisFile))
	if err != nil {
		return nil, protocol.E(op, protocol.Other, "read genesis: %w", err)
	}
	state, updates := n.govSnapshot()
	b, err := bundle.Build(bundle.Source{
		Store: n.store, Genesis: genesis, State: state, Updates: updates,
		Chunk: func(dataset protocol.ID, root manifest.ChunkID) ([]byte, error) {
			return n.chunkFetch(ctx, dataset, root, q)(root)
		},
	}, id)
	if err != nil {
		return nil, err
	}
	if knownNothing(b.Answers.Attribution) {
		return nil, s.NotFound(op, id)
	}
	return b.Encode()
}

// govSnapshot returns the governance state and every update placed to
// make it, read together.
func (n *Node) govSnapshot() (*gov.State, []*gov.Update) {
	gv := n.gov
	gv.mu.Lock()
	defer gv.mu.Unlock()
	log := gv.g.Log()
	updates := make([]*gov.Update, len(log))
	for i, e := range log {
		updates[i] = e.Update
	}
	return gv.g.State(), updates
}
