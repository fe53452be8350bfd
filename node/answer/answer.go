// Package answer computes the node's answers as functions of a store and a
// governance state alone: the daemon calls them after it has gathered what
// it lacks from the network, and `commons verify` calls them on a store in
// memory filled from a proof bundle, so that both print the very same
// answer. It must never reach the network, a repo or the clock.
package answer

import (
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// Attribution is the attribution of subject (SPEC.md §6.2) from the index
// of s under policy p, with the standing that standing gives each dataset.
// Its derived list is what was made from the subject directly (Derived,
// depth 1).
func Attribution(s *store.Store, p protocol.Policy, standing func(protocol.ID) *api.Standing, subject protocol.ID) (*api.Attribution, error) {
	a, err := s.Attribution(subject, p)
	if err != nil {
		return nil, err
	}
	d, err := Derived(s, subject, 1)
	if err != nil {
		return nil, err
	}
	out := FromStore(a, standing)
	out.Derived = d.Derived
	return out, nil
}

// Derived answers what was made from id (SPEC.md §7.5) from the index of
// s: the datasets that name it among their parents, the derivations that
// name it among their inputs, and what was made from those, to depth
// levels.
func Derived(s *store.Store, id protocol.ID, depth int) (*api.Derived, error) {
	ds, err := s.Descendants(id, depth)
	if err != nil {
		return nil, err
	}
	out := make([]api.DerivedItem, len(ds))
	for i, d := range ds {
		out[i] = api.DerivedItem{
			ID: d.ID, Kind: d.Kind.String(), Name: d.Name, Activity: d.Activity, Artifact: d.Artifact,
			Publisher: d.Publisher, Created: d.Created, Depth: d.Depth, Via: d.Via,
		}
	}
	return &api.Derived{Subject: id, Derived: out}, nil
}

// FromStore is the API's form of a, with the standing governance gives
// the subject and each ancestor.
func FromStore(a *store.Attribution, standing func(protocol.ID) *api.Standing) *api.Attribution {
	out := &api.Attribution{
		Subject:      a.Subject,
		Kind:         a.Kind,
		Name:         a.Name,
		Publisher:    a.Publisher,
		Contributors: contributors(a.Contributors),
		Standing:     standing(a.Subject),
	}
	if a.Endorsements != nil {
		out.Endorsements = make([]api.EndorsementView, len(a.Endorsements))
		for i, e := range a.Endorsements {
			out.Endorsements[i] = api.EndorsementView(e)
		}
	}
	if a.Lineage != nil {
		out.Lineage = make([]api.Ancestor, len(a.Lineage))
		for i, l := range a.Lineage {
			out.Lineage[i] = api.Ancestor{
				ID: l.ID, Name: l.Name, Kind: l.Kind, Depth: l.Depth, Via: l.Via,
				Contributors: contributors(l.Contributors),
				Standing:     standing(l.ID),
			}
		}
	}
	return out
}

func contributors(cs []store.Contributor) []api.Contributor {
	if cs == nil {
		return nil
	}
	out := make([]api.Contributor, len(cs))
	for i, c := range cs {
		out[i] = api.Contributor(c)
	}
	return out
}

// Standings returns the status governance state s gives a dataset (nil
// when none): one state for a whole answer. The statuses are copied out
// of the state only when a dataset has one. A nil s gives none.
func Standings(s *gov.State) func(protocol.ID) *api.Standing {
	var all map[protocol.ID]gov.DatasetStanding
	return func(id protocol.ID) *api.Standing {
		if s == nil {
			return nil
		}
		if _, _, ok := s.Dataset(id); !ok {
			return nil
		}
		if all == nil {
			all = s.Datasets()
		}
		d := all[id]
		return &api.Standing{Status: d.Status, Reason: d.Reason, Proposal: d.Proposal}
	}
}
