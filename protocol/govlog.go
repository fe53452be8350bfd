package protocol

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// GovLogEntry is a placed update and what the fold did with it.
type GovLogEntry struct {
	Update *GovUpdate
	Depth  int
	// Ignored says why the update was left out of the state, one of the
	// Ignored… codes; "" when it was applied.
	Ignored string
	// Closed are the proposals that closed at this point, in the order
	// they closed: passed, rejected, expired or void.
	Closed []GovClosure
}

// MarshalJSON writes e as `gov log --json` shows it: the update's fields,
// then "depth", "result" ("applied" or "ignored"), "why" when ignored and
// "closed" when any proposal closed.
func (e GovLogEntry) MarshalJSON() ([]byte, error) {
	result := "applied"
	if e.Ignored != "" {
		result = "ignored"
	}
	return json.Marshal(struct {
		ID ID `json:"id"`
		wireGovUpdate
		Depth  int          `json:"depth"`
		Result string       `json:"result"`
		Why    string       `json:"why,omitempty"`
		Closed []GovClosure `json:"closed,omitempty"`
	}{e.Update.ID, e.Update.wire(), e.Depth, result, e.Ignored, e.Closed})
}

// State returns the state after every placed update: a snapshot that later
// updates do not change. Between changes it returns the same snapshot;
// making one costs a few small copies.
func (g *Governance) State() *GovState {
	if g.snapshot == nil {
		f := g.live.freeze(g.nextEpoch())
		f.byID = nil // the live state's to read and write
		g.snapshot = &GovState{network: g.network, heads: g.Heads(), f: f}
	}
	return g.snapshot
}

// Heads returns the placed updates that no placed update names as a
// parent, sorted by text; the network ID alone before any is placed.
// These are the parents of the next update (at most MaxGovParents of
// them: see Parents).
func (g *Governance) Heads() []ID {
	if len(g.heads) == 0 {
		return []ID{g.network.ID()}
	}
	heads := slices.Collect(maps.Keys(g.heads))
	slices.SortFunc(heads, func(a, b ID) int { return strings.Compare(g.placed[a].text, g.placed[b].text) })
	return heads
}

// Parents returns the parents for a new update: the heads, or when there
// are more than MaxGovParents of them, the MaxGovParents first in fold
// order (the shallowest, so that old branches are joined first), sorted
// by text.
func (g *Governance) Parents() []ID {
	heads := g.Heads()
	if len(heads) <= MaxGovParents {
		return heads
	}
	slices.SortFunc(heads, func(a, b ID) int { return compareNodes(g.placed[a], g.placed[b]) })
	heads = heads[:MaxGovParents]
	slices.SortFunc(heads, func(a, b ID) int { return strings.Compare(g.placed[a].text, g.placed[b].text) })
	return heads
}

// Has reports whether update id is known: placed or held.
func (g *Governance) Has(id ID) bool {
	_, placed := g.placed[id]
	_, held := g.held[id]
	return placed || held
}

// Update returns update id, placed or held.
func (g *Governance) Update(id ID) (*GovUpdate, bool) {
	if n, ok := g.placed[id]; ok {
		return n.u, true
	}
	u, ok := g.held[id]
	return u, ok
}

// Placed returns the number of placed updates.
func (g *Governance) Placed() int { return len(g.order) }

// Held returns the updates held for missing parents, oldest first.
func (g *Governance) Held() []*GovUpdate {
	var out []*GovUpdate
	for _, id := range g.heldQueue {
		if u, ok := g.held[id]; ok {
			out = append(out, u)
		}
	}
	return out
}

// Missing returns the parents that held updates wait for and that are
// neither placed nor held, sorted by text: what to fetch.
func (g *Governance) Missing() []ID {
	out := make([]ID, 0, len(g.waiting))
	for p := range g.waiting {
		if !g.Has(p) {
			out = append(out, p)
		}
	}
	return uniqueIDs(out)
}

// Log returns the placed updates in fold order, each with what the fold
// did with it.
func (g *Governance) Log() []GovLogEntry {
	out := make([]GovLogEntry, len(g.order))
	for i, n := range g.order {
		out[i] = GovLogEntry{Update: n.u, Depth: n.depth, Ignored: n.verdict.ignored, Closed: slices.Clone(n.verdict.closed)}
	}
	return out
}

// EverSteward reports whether d is a steward of the genesis or became one
// at some point of the placed history. The gossip validator forwards only
// updates whose author could be a steward.
func (g *Governance) EverSteward(d DID) bool {
	_, ok := g.live.ever.m[d]
	return ok
}
