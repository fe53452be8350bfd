package node

import (
	"context"
	"strings"

	"github.com/commons-p2p/commons/node/answer"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Derived answers what was made from id: the datasets that name it among
// their parents, the derivations that name it among their inputs, and
// what was made from those, to store.MaxDerivedDepth levels. Unless
// q.Local it first gathers them from the providers of each one's
// derived-from key (SPEC.md §7.5); the answer is always made from the
// local index. For an artifact, the walk starts from the derivations that
// made it which this node holds.
func (n *Node) Derived(ctx context.Context, id protocol.ID, q api.QueryOptions) (*api.Derived, error) {
	if s, cancel := n.newSearch(ctx, q); s != nil {
		defer cancel()
		roots, err := n.store.DerivedRoots(id)
		if err != nil {
			return nil, err
		}
		done := n.metrics.TimeQuery("derived")
		s.Derived(roots, store.MaxDerivedDepth)
		done()
	}
	return answer.Derived(n.store, id, store.MaxDerivedDepth)
}

// ArtifactName is the name a derivation gives its artifact when none is
// given: its activity and the first 12 hex digits of its digest
// ("trained-on-98ad61a25e36"), so that a list of what was made from a
// dataset tells one model from another. An activity that is not one path
// segment is the record's to refuse; a slash in it would make the name a
// path of several segments, so it is replaced.
func ArtifactName(activity string, d protocol.Digest) string {
	a := strings.ReplaceAll(activity, "/", "-")
	if a == "" {
		a = "artifact"
	}
	return a + "-" + d.Hex()[:12]
}
