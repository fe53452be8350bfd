// Package creditview answers credit (SPEC.md §4.7) from a store and a
// governance policy alone: a node calls it after gathering the lineage
// from the network, and a program with no daemon, no repo and no network
// calls it on a store filled from elsewhere, for the same answer.
package creditview

import (
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// Credit shares the credit for id among the contributors of its lineage
// held in s, counting the claims at min and above, under policy p; a
// dataset whose standing (nil: none) is delisted takes no credit and
// passes none on.
func Credit(s *store.Store, p protocol.Policy, standings func(protocol.ID) *api.Standing, id protocol.ID, min protocol.Trust) (*api.Credit, error) {
	if min == protocol.Revoked {
		return nil, protocol.E("credit", protocol.Invalid, "min_trust revoked: a revoked claim never counts; want asserted, acknowledged, mutual or certified")
	}
	delisted := func(id protocol.ID) bool {
		st := standings(id)
		return st != nil && st.Status == gov.StatusDelisted
	}
	g, err := s.CreditGraph(id, p, min, delisted)
	if err != nil {
		return nil, err
	}
	return View(credit.Compute(g, min)), nil
}

// View writes a result in the types of the API.
func View(r *credit.Result) *api.Credit {
	out := &api.Credit{
		Subject: r.Subject, MinTrust: r.MinTrust, Shares: make([]api.CreditShare, len(r.Shares)),
		Unattributed: r.Unattributed.Float64(), Missing: r.Missing,
	}
	for i, s := range r.Shares {
		sh := api.CreditShare{DID: s.Contributor, Share: s.Share.Float64(), Paths: make([]api.CreditPath, len(s.Paths)), MorePaths: s.More}
		for j, p := range s.Paths {
			sh.Paths[j] = api.CreditPath{
				Claim: p.Claim, Subject: p.Subject, Role: p.Role, Weight: p.Weight, Trust: p.Trust,
				Share: p.Share.Float64(), Route: p.Route,
			}
		}
		out.Shares[i] = sh
	}
	return out
}
