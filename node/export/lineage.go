package export

import (
	"cmp"
	"slices"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// lineage is the attribution answer for a subject with the objects behind
// it: the subject, its ancestors and the derivations they came through,
// the ones held here decoded, and every edge between them that a held
// record names.
type lineage struct {
	src     Source
	answer  *store.Attribution
	nodes   []protocol.ID                    // the subject, then the rest in ID order
	kinds   map[protocol.ID]string           // dataset, derivation, artifact, unknown, …
	names   map[protocol.ID]string           // as the answer names them
	objects map[protocol.ID]*protocol.Object // the nodes held here
	claims  map[protocol.ID][]store.Contributor
	edges   []edge
}

// edge says that from was made from to: a dataset from one of its parents,
// a derivation from one of its inputs, an artifact by a derivation.
type edge struct {
	from, to protocol.ID
	kind     edgeKind
}

type edgeKind int

const (
	edgeParent    edgeKind = iota // a dataset names to as a parent
	edgeInput                     // a derivation names to as an input
	edgeGenerated                 // the artifact from was made by the derivation to
)

// collect answers the attribution of id from src and gathers its lineage.
func collect(src Source, id protocol.ID) (*lineage, error) {
	a := src.Attribution
	if a == nil || a.Subject != id {
		var err error
		if a, err = src.Store.Attribution(id, src.Policy); err != nil {
			return nil, err
		}
	}
	if a.Kind == protocol.KindUnknown.String() && a.Publisher.IsZero() && len(a.Contributors) == 0 && len(a.Lineage) == 0 {
		return nil, protocol.E("export", protocol.NotFound, "nothing is known here of %s", id)
	}
	l := &lineage{
		src: src, answer: a,
		kinds:   map[protocol.ID]string{id: a.Kind},
		names:   map[protocol.ID]string{id: a.Name},
		objects: map[protocol.ID]*protocol.Object{},
		claims:  map[protocol.ID][]store.Contributor{id: a.Contributors},
	}
	for _, anc := range a.Lineage {
		l.kinds[anc.ID], l.names[anc.ID], l.claims[anc.ID] = anc.Kind, anc.Name, anc.Contributors
		if _, ok := l.kinds[anc.Via]; !ok {
			// The derivations an artifact came through.
			l.kinds[anc.Via] = protocol.KindUnknown.String()
		}
	}
	for n := range l.kinds {
		l.nodes = append(l.nodes, n)
	}
	slices.SortFunc(l.nodes, func(x, y protocol.ID) int {
		switch {
		case x == id:
			return -1
		case y == id:
			return 1
		}
		return cmp.Compare(x.String(), y.String())
	})
	for _, n := range l.nodes {
		if !n.IsObject() {
			continue
		}
		o, err := src.Store.Object(n)
		if protocol.IsKind(err, protocol.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		l.objects[n] = o
		l.kinds[n] = o.Kind.String()
	}
	// The artifact each derivation made is a node too, after the rest.
	var made []protocol.ID
	for _, n := range l.nodes {
		if o := l.objects[n]; o != nil && o.Kind == protocol.KindDerivation {
			if art := artifactOf(o); l.kinds[art] == "" {
				l.kinds[art] = "artifact"
				made = append(made, art)
			}
		}
	}
	slices.SortFunc(made, func(x, y protocol.ID) int { return cmp.Compare(x.String(), y.String()) })
	l.nodes = append(l.nodes, made...)
	l.edges = l.findEdges()
	return l, nil
}

// findEdges lists the edges that the held records name between nodes of
// the lineage, in the order of the nodes and of each record's list.
func (l *lineage) findEdges() []edge {
	var out []edge
	for _, n := range l.nodes {
		o := l.objects[n]
		switch {
		case o == nil:
		case o.Kind == protocol.KindDataset:
			for _, p := range o.Dataset.Parents {
				if _, ok := l.kinds[p]; ok {
					out = append(out, edge{n, p, edgeParent})
				}
			}
		case o.Kind == protocol.KindDerivation:
			if art := artifactOf(o); art != n {
				if _, ok := l.kinds[art]; ok {
					out = append(out, edge{art, n, edgeGenerated})
				}
			}
			for _, in := range o.Derivation.Inputs {
				if _, ok := l.kinds[in]; ok {
					out = append(out, edge{n, in, edgeInput})
				}
			}
		}
	}
	return out
}

// artifactOf is the ID of the artifact a derivation made.
func artifactOf(o *protocol.Object) protocol.ID {
	return protocol.ArtifactID(o.Files[0].Digest)
}

// name is what a node is called: its name, or its kind.
func (l *lineage) name(n protocol.ID) string {
	if s := l.names[n]; s != "" {
		return s
	}
	if o := l.objects[n]; o != nil && o.Kind == protocol.KindDerivation {
		return o.Derivation.Activity
	}
	return l.kinds[n]
}

// standing is the status governance gives n, nil when none.
func (l *lineage) standing(n protocol.ID) *api.Standing {
	if l.src.Standings == nil {
		return nil
	}
	return l.src.Standings(n)
}

// sortedClaims are the claims about n, by claim ID.
func (l *lineage) sortedClaims(n protocol.ID) []store.Contributor {
	cs := slices.Clone(l.claims[n])
	slices.SortFunc(cs, func(a, b store.Contributor) int { return cmp.Compare(a.Claim.String(), b.Claim.String()) })
	return cs
}

// agents are the DIDs the lineage names — publishers and contributors —
// in DID order.
func (l *lineage) agents() []protocol.DID {
	seen := map[protocol.DID]bool{}
	if !l.answer.Publisher.IsZero() {
		seen[l.answer.Publisher] = true
	}
	for _, n := range l.nodes {
		if o := l.objects[n]; o != nil && (o.Kind == protocol.KindDataset || o.Kind == protocol.KindDerivation) {
			seen[o.Issuer()] = true
		}
		for _, c := range l.claims[n] {
			seen[c.DID] = true
		}
	}
	out := make([]protocol.DID, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b protocol.DID) int { return cmp.Compare(a.String(), b.String()) })
	return out
}
