package node

import (
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// The store answers in plain Go values; these turn them into the HTTP
// API's types, the only ones the wire is written from.

// attributionView is the API's form of a, with the standing governance
// gives the subject and each ancestor.
func attributionView(a *store.Attribution, standing func(protocol.ID) *api.Standing) *api.Attribution {
	out := &api.Attribution{
		Subject:      a.Subject,
		Kind:         a.Kind,
		Name:         a.Name,
		Publisher:    a.Publisher,
		Contributors: contributorViews(a.Contributors),
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
				Contributors: contributorViews(l.Contributors),
				Standing:     standing(l.ID),
			}
		}
	}
	return out
}

func contributorViews(cs []store.Contributor) []api.Contributor {
	if cs == nil {
		return nil
	}
	out := make([]api.Contributor, len(cs))
	for i, c := range cs {
		out[i] = api.Contributor(c)
	}
	return out
}
