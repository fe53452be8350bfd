package node

import (
	"context"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Lineage answers the lineage of id as a graph (SPEC.md §6.6): its
// ancestors, breadth first, then what was made from it, at most limit
// nodes. Unless q.Local it first gathers both from the network as the
// attribution and GET /v1/derived do; the graph is read from the local
// index.
func (n *Node) Lineage(ctx context.Context, id protocol.ID, limit int, q api.QueryOptions) (*api.Lineage, error) {
	if limit <= 0 {
		limit = api.DefaultLineageLimit
	}
	if !q.Local {
		if _, err := n.Attribution(ctx, id, q); err != nil {
			return nil, err
		}
		if _, err := n.Derived(ctx, id, q); err != nil {
			return nil, err
		}
	}
	w := lineageWalk{st: n.store, standing: n.standings(), limit: limit, nodes: map[protocol.ID]*walked{}}
	root, err := w.add(id, 0)
	if err != nil {
		return nil, err
	}
	if root.kind == "unknown" && !q.Local {
		return nil, protocol.E("lineage", protocol.NotFound, "%s: nothing is known of it here or on the network", id)
	}
	if root.kind == "unknown" {
		return nil, protocol.E("lineage", protocol.NotFound, "%s: not held here", id)
	}
	if err := w.walk([]*walked{root}, -1, (*lineageWalk).ups); err != nil {
		return nil, err
	}
	if err := w.walk([]*walked{root}, 1, (*lineageWalk).downs); err != nil {
		return nil, err
	}
	return w.answer(id, n.policy())
}

// walked is a node of the lineage with what its record names.
type walked struct {
	api.LineageNode
	kind string
	o    *protocol.Object // nil for an artifact or a node not held
}

// lineageWalk gathers the nodes and edges of one lineage.
type lineageWalk struct {
	st        *store.Store
	standing  func(protocol.ID) *api.Standing
	limit     int
	nodes     map[protocol.ID]*walked
	order     []*walked
	edges     []api.LineageEdge
	truncated bool
}

// step is an edge out of a node, to a node of the next layer.
type step struct {
	source, target protocol.ID
	kind           string
	weight         float64
	next           protocol.ID // the node the edge leads to
}

// walk visits the layers from level in direction dir (-1 up, 1 down),
// following the steps next gives, each layer in ID order.
func (w *lineageWalk) walk(level []*walked, dir int, next func(*lineageWalk, *walked) ([]step, error)) error {
	for depth := dir; len(level) > 0; depth += dir {
		var out []*walked
		for _, x := range level {
			steps, err := next(w, x)
			if err != nil {
				return err
			}
			for _, s := range steps {
				y, isNew := w.nodes[s.next], false
				if y == nil {
					if len(w.order) >= w.limit {
						w.truncated = true
						continue
					}
					if y, err = w.add(s.next, depth); err != nil {
						return err
					}
					isNew = true
				}
				w.edges = append(w.edges, api.LineageEdge{Source: s.source, Target: s.target, Kind: s.kind, Weight: s.weight})
				if isNew {
					out = append(out, y)
				}
			}
		}
		slices.SortFunc(out, func(a, b *walked) int { return strings.Compare(a.ID.String(), b.ID.String()) })
		level = out
	}
	return nil
}

// add describes id and makes it a node at depth.
func (w *lineageWalk) add(id protocol.ID, depth int) (*walked, error) {
	x := &walked{LineageNode: api.LineageNode{ID: id, Depth: depth}}
	switch {
	case !id.IsObject():
		x.kind = "artifact"
		makers, err := w.st.Makers(id.Digest())
		if err != nil {
			return nil, err
		}
		for _, m := range makers {
			if o, err := w.st.Object(m); err == nil && len(o.Files) > 0 {
				x.Name = o.Files[0].Name
				break
			}
		}
	default:
		o, err := w.st.Object(id)
		if protocol.IsKind(err, protocol.NotFound) {
			x.kind = "unknown"
			break
		}
		if err != nil {
			return nil, err
		}
		x.o, x.kind = o, o.Kind.String()
		switch o.Kind {
		case protocol.KindDataset:
			x.Name = o.Dataset.Name
		case protocol.KindDerivation:
			if len(o.Files) > 0 {
				x.Name = o.Files[0].Name
			}
		}
	}
	x.Kind = x.kind
	x.Label = x.Name
	if x.Label == "" {
		x.Label = abbreviate(id.String())
	}
	if s := w.standing(id); s != nil {
		x.Standing = string(s.Status)
	}
	w.nodes[id] = x
	w.order = append(w.order, x)
	return x, nil
}

// ups are the edges from x to what it derives from.
func (w *lineageWalk) ups(x *walked) ([]step, error) {
	if x.kind == "artifact" {
		makers, err := w.st.Makers(x.ID.Digest())
		if err != nil {
			return nil, err
		}
		out := make([]step, len(makers))
		for i, m := range makers {
			out[i] = step{source: x.ID, target: m, kind: "made", weight: 1, next: m}
		}
		return out, nil
	}
	ids, weights, kind := namedBy(x.o)
	out := make([]step, len(ids))
	for i, p := range ids {
		out[i] = step{source: x.ID, target: p, kind: kind, weight: weights[i], next: p}
	}
	return out, nil
}

// downs are the edges into x from what was made from it: the records
// that name it, and the artifact a derivation made. What was made from an
// artifact was made from the derivations that made it.
func (w *lineageWalk) downs(x *walked) ([]step, error) {
	var out []step
	if x.o != nil && x.o.Kind == protocol.KindDerivation && len(x.o.Files) > 0 {
		a := protocol.ArtifactID(x.o.Files[0].Digest)
		out = append(out, step{source: a, target: x.ID, kind: "made", weight: 1, next: a})
	}
	parents := []protocol.ID{x.ID}
	if x.kind == "artifact" {
		makers, err := w.st.Makers(x.ID.Digest())
		if err != nil {
			return nil, err
		}
		parents = makers
	}
	for _, p := range parents {
		children, err := w.st.Children(p)
		if err != nil {
			return nil, err
		}
		for _, c := range children {
			o, err := w.st.Object(c)
			if err != nil {
				if protocol.IsKind(err, protocol.NotFound) {
					continue
				}
				return nil, err
			}
			ids, weights, kind := namedBy(o)
			if i := slices.Index(ids, p); i >= 0 {
				out = append(out, step{source: c, target: p, kind: kind, weight: weights[i], next: c})
			}
		}
	}
	return out, nil
}

// namedBy is what record o derives from, with the weights its record
// gives them, and the kind of those edges.
func namedBy(o *protocol.Object) (ids []protocol.ID, weights []float64, kind string) {
	switch {
	case o == nil:
		return nil, nil, ""
	case o.Kind == protocol.KindDataset:
		ids, weights, kind = o.Dataset.Parents, o.Dataset.ParentWeights, "parent"
	case o.Kind == protocol.KindDerivation:
		ids, weights, kind = o.Derivation.Inputs, o.Derivation.InputWeights, "input"
	}
	if len(weights) != len(ids) {
		weights = make([]float64, len(ids))
		for i := range weights {
			weights[i] = 1
		}
	}
	return ids, weights, kind
}

// answer puts the lineage in its answer's order, each edge with the
// trust of what declares it.
func (w *lineageWalk) answer(subject protocol.ID, p protocol.Policy) (*api.Lineage, error) {
	var sources []protocol.ID
	seen := map[protocol.ID]bool{}
	for _, e := range w.edges {
		if !seen[e.Source] {
			seen[e.Source] = true
			sources = append(sources, e.Source)
		}
	}
	claims, err := w.st.Contributors(p, sources...)
	if err != nil {
		return nil, err
	}
	best := map[protocol.ID]protocol.Trust{}
	for i, cs := range claims {
		for _, c := range cs {
			if t, ok := best[sources[i]]; c.Trust != protocol.Revoked && (!ok || c.Trust > t) {
				best[sources[i]] = c.Trust
			}
		}
	}
	out := &api.Lineage{Subject: subject, Nodes: make([]api.LineageNode, 0, len(w.order)), Edges: w.edges, Truncated: w.truncated}
	if out.Edges == nil {
		out.Edges = []api.LineageEdge{}
	}
	for i := range out.Edges {
		if t, ok := best[out.Edges[i].Source]; ok {
			out.Edges[i].Trust = &t
		}
	}
	nodes := slices.Clone(w.order)
	slices.SortStableFunc(nodes[1:], func(a, b *walked) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	for _, x := range nodes {
		out.Nodes = append(out.Nodes, x.LineageNode)
	}
	return out, nil
}

// abbreviate shortens an ID for a label: its start and its end.
func abbreviate(s string) string {
	if len(s) <= 20 {
		return s
	}
	return s[:12] + "…" + s[len(s)-6:]
}
