// Package licence answers, from a store and a governance policy alone,
// what licences lie upstream of a subject along its whole lineage, whether
// the subject's own licence keeps their terms, and the attribution notice
// a work made from them must carry (SPEC.md §4.8). It reads the store and
// never writes it, and needs no network: a program with no daemon can call
// it on an in-memory store filled from a proof bundle, and get the answer
// the node gives.
package licence

import (
	"cmp"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/license"
	"github.com/commons-p2p/commons/store"
)

// work is the subject or one work upstream of it.
type work struct {
	id        protocol.ID
	kind      string
	name      string
	license   string
	publisher protocol.DID
	depth     int
	listed    bool // its licence counts: a dataset, or an ancestor whose licence cannot be known here
	// contributors, when known already (an artifact's attribution answer
	// carries them); otherwise read when a notice needs them.
	contributors []store.Contributor
	known        bool
}

// lineage is the subject and the works upstream of it whose licences
// count, by depth then ID.
type lineage struct {
	subject  work
	upstream []work
}

// walk reads the whole lineage of subject, to any depth: through the
// parents of datasets, the inputs of derivations, and the derivations that
// made an artifact (those that the store's attribution answer counts:
// the publisher's, when the artifact has one, SPEC.md §4.5). Each work is
// visited once, at the depth of its shortest path.
func walk(s *store.Store, p protocol.Policy, subject protocol.ID) (*lineage, error) {
	const op = "license"
	var (
		l     = &lineage{subject: work{id: subject}}
		first []protocol.ID
	)
	o, err := object(s, subject)
	if err != nil {
		return nil, err
	}
	if o != nil {
		// A stored object: its record says all; its contributors are read
		// when a notice needs them.
		l.subject, first = describe(subject, o), parentsOf(o)
	} else {
		// An artifact, or an object known only by the claims about it:
		// the attribution answer finds its publisher and the derivations
		// that made it.
		a, err := s.Attribution(subject, p)
		if err != nil {
			return nil, err
		}
		if a.Publisher.IsZero() && len(a.Contributors) == 0 && len(a.Endorsements) == 0 && len(a.Lineage) == 0 {
			return nil, protocol.E(op, protocol.NotFound, "%s is not known here", subject)
		}
		l.subject = work{id: subject, kind: a.Kind, name: a.Name, publisher: a.Publisher, contributors: a.Contributors, known: true}
		first = firstAncestors(a)
	}
	type item struct {
		id    protocol.ID
		depth int
	}
	seen := map[protocol.ID]bool{subject: true}
	var queue []item
	push := func(ids []protocol.ID, depth int) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				queue = append(queue, item{id, depth})
			}
		}
	}
	push(first, 1)
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		w, parents, err := visit(s, p, it.id)
		if err != nil {
			return nil, protocol.E(op, protocol.KindOf(err), "%s: %w", it.id, err)
		}
		w.depth = it.depth
		if w.listed {
			l.upstream = append(l.upstream, w)
		}
		push(parents, it.depth+1)
	}
	keys := make(map[protocol.ID]string, len(l.upstream))
	for _, u := range l.upstream {
		keys[u.id] = u.id.String()
	}
	slices.SortFunc(l.upstream, func(a, b work) int {
		return cmp.Or(cmp.Compare(a.depth, b.depth), strings.Compare(keys[a.id], keys[b.id]))
	})
	return l, nil
}

// visit reads one work of the lineage and the works it was made from.
func visit(s *store.Store, p protocol.Policy, id protocol.ID) (work, []protocol.ID, error) {
	w := work{id: id, kind: protocol.KindUnknown.String()}
	if !id.IsObject() {
		// An artifact: it has no licence of its own; its lineage is that
		// of the derivations that made it. With none known here, what it
		// was made from and under what terms cannot be told.
		a, err := s.Attribution(id, p)
		if err != nil {
			return w, nil, err
		}
		w.kind, w.name, w.publisher = "artifact", a.Name, a.Publisher
		first := firstAncestors(a)
		w.listed = len(first) == 0
		return w, first, nil
	}
	o, err := object(s, id)
	if err != nil || o == nil {
		w.listed = true // not held here: its licence is unknown
		return w, nil, err
	}
	return describe(id, o), parentsOf(o), nil
}

// describe is what the record of a stored object says of it: a dataset
// is listed with its licence; a derivation or a claim has none.
func describe(id protocol.ID, o *protocol.Object) work {
	w := work{id: id, kind: o.Kind.String()}
	switch {
	case o.Dataset != nil:
		w.listed, w.name, w.license, w.publisher = true, o.Dataset.Name, o.Dataset.License, o.Dataset.Publisher
	case o.Derivation != nil:
		w.publisher = o.Derivation.Publisher
		if len(o.Files) == 1 {
			w.name = o.Files[0].Name
		}
	}
	return w
}

// object returns the stored object id, or nil when it is not stored here.
func object(s *store.Store, id protocol.ID) (*protocol.Object, error) {
	o, err := s.Object(id)
	if protocol.KindOf(err) == protocol.NotFound {
		return nil, nil
	}
	return o, err
}

func parentsOf(o *protocol.Object) []protocol.ID {
	switch {
	case o == nil:
		return nil
	case o.Dataset != nil:
		return o.Dataset.Parents
	case o.Derivation != nil:
		return o.Derivation.Inputs
	}
	return nil
}

// firstAncestors returns the ancestors at depth 1 of an attribution
// answer: for an artifact, the inputs of the derivations that made it.
func firstAncestors(a *store.Attribution) []protocol.ID {
	var out []protocol.ID
	for _, l := range a.Lineage {
		if l.Depth == 1 {
			out = append(out, l.ID)
		}
	}
	return out
}

// Report answers GET /v1/license/{id} from s and the policy p alone;
// standing, when not nil, gives the status governance gives a dataset.
func Report(s *store.Store, p protocol.Policy, standing func(protocol.ID) *api.Standing, subject protocol.ID) (*api.LicenseReport, error) {
	if standing == nil {
		standing = func(protocol.ID) *api.Standing { return nil }
	}
	l, err := walk(s, p, subject)
	if err != nil {
		return nil, err
	}
	own := license.Of(l.subject.license)
	ups := make([]license.Upstream, len(l.upstream))
	for i, u := range l.upstream {
		ups[i] = license.Upstream{Key: u.id.String(), License: license.Of(u.license)}
	}
	r := license.Check(own, ups)
	out := &api.LicenseReport{
		Subject:     subject,
		License:     l.subject.license,
		Properties:  []string{},
		Compatible:  r.Compatible,
		Upstream:    make([]api.LicenseUpstream, len(l.upstream)),
		Conflicts:   make([]api.LicenseConflict, 0, len(r.Conflicts)),
		Obligations: make([]api.LicenseObligation, 0, len(r.Obligations)),
		Standing:    standing(subject),
	}
	if l.subject.license != "" {
		out.Properties = propertyNames(license.Properties(own.Licenses))
	}
	for i, u := range l.upstream {
		out.Upstream[i] = api.LicenseUpstream{
			ID: u.id, Kind: u.kind, Name: u.name, License: u.license, Publisher: u.publisher, Depth: u.depth,
			Properties: propertyNames(license.Properties(r.Used[i])),
			Standing:   standing(u.id),
		}
	}
	unheld := map[string]string{}
	for _, u := range l.upstream {
		switch u.kind {
		case protocol.KindUnknown.String():
			unheld[u.id.String()] = "not held here: its licence cannot be checked"
		case "artifact":
			unheld[u.id.String()] = "an artifact whose making is not known here: what it was made from, and under what terms, cannot be checked"
		}
	}
	for _, c := range r.Conflicts {
		id := subject
		if c.Upstream != "" {
			id = protocol.MustParseID(c.Upstream)
		}
		if why, ok := unheld[c.Upstream]; ok {
			c.Reason = why
		}
		out.Conflicts = append(out.Conflicts, api.LicenseConflict{Upstream: id, Reason: c.Reason})
	}
	for _, o := range r.Obligations {
		ids := make([]protocol.ID, len(o.Upstreams))
		for i, k := range o.Upstreams {
			ids[i] = protocol.MustParseID(k)
		}
		out.Obligations = append(out.Obligations, api.LicenseObligation{Kind: string(o.Kind), License: o.License, Upstream: ids, Text: o.Text})
	}
	return out, nil
}

func propertyNames(ps []license.Property) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}
