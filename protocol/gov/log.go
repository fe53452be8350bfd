package gov

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// LogEntry is a placed update and what the fold did with it.
type LogEntry struct {
	Update *Update
	Depth  int
	// Ignored says why the update was left out of the state, one of the
	// Ignored… codes; "" when it was applied.
	Ignored string
	// Closed are the proposals that closed at this point, in the order
	// they closed: passed, rejected, expired or void.
	Closed []Closure
}

// MarshalJSON writes e as `gov log --json` shows it: the update's fields,
// then "depth", "result" ("applied" or "ignored"), "why" when ignored and
// "closed" when any proposal closed.
func (e LogEntry) MarshalJSON() ([]byte, error) {
	result := "applied"
	if e.Ignored != "" {
		result = "ignored"
	}
	return json.Marshal(struct {
		ID protocol.ID `json:"id"`
		wireGovUpdate
		Depth  int       `json:"depth"`
		Result string    `json:"result"`
		Why    string    `json:"why,omitempty"`
		Closed []Closure `json:"closed,omitempty"`
	}{e.Update.ID, e.Update.wire(), e.Depth, result, e.Ignored, e.Closed})
}

// State returns the state after every placed update: a snapshot that later
// updates do not change. Between changes it returns the same snapshot;
// making one costs a few small copies.
func (g *DAG) State() *State {
	if g.snapshot == nil {
		f := g.live.freeze(g.nextEpoch())
		f.byID = nil // the live state's to read and write
		g.snapshot = &State{network: g.network, heads: g.Heads(), f: f}
	}
	return g.snapshot
}

// Heads returns the placed updates that no placed update names as a
// parent, sorted by text; the network ID alone before any is placed.
// These are the parents of the next update (at most MaxParents of
// them: see Parents).
func (g *DAG) Heads() []protocol.ID {
	if len(g.heads) == 0 {
		return []protocol.ID{g.network.ID()}
	}
	heads := slices.Collect(maps.Keys(g.heads))
	slices.SortFunc(heads, func(a, b protocol.ID) int { return strings.Compare(g.placed[a].text, g.placed[b].text) })
	return heads
}

// Parents returns the parents for a new update: the heads, or when there
// are more than MaxParents of them, the MaxParents first in fold
// order (the shallowest, so that old branches are joined first), sorted
// by text.
func (g *DAG) Parents() []protocol.ID {
	heads := g.Heads()
	if len(heads) <= MaxParents {
		return heads
	}
	slices.SortFunc(heads, func(a, b protocol.ID) int { return compareNodes(g.placed[a], g.placed[b]) })
	heads = heads[:MaxParents]
	slices.SortFunc(heads, func(a, b protocol.ID) int { return strings.Compare(g.placed[a].text, g.placed[b].text) })
	return heads
}

// Has reports whether update id is known: placed or held.
func (g *DAG) Has(id protocol.ID) bool {
	_, placed := g.placed[id]
	_, held := g.held[id]
	return placed || held
}

// Update returns update id, placed or held.
func (g *DAG) Update(id protocol.ID) (*Update, bool) {
	if n, ok := g.placed[id]; ok {
		return n.u, true
	}
	u, ok := g.held[id]
	return u, ok
}

// Placed returns the number of placed updates.
func (g *DAG) Placed() int { return len(g.order) }

// Held returns the updates held for missing parents, oldest first.
func (g *DAG) Held() []*Update {
	var out []*Update
	for _, id := range g.heldQueue {
		if u, ok := g.held[id]; ok {
			out = append(out, u)
		}
	}
	return out
}

// Missing returns the parents that held updates wait for and that are
// neither placed nor held, sorted by text: what to fetch.
func (g *DAG) Missing() []protocol.ID {
	out := make([]protocol.ID, 0, len(g.waiting))
	for p := range g.waiting {
		if !g.Has(p) {
			out = append(out, p)
		}
	}
	return uniqueIDs(out)
}

// Log returns the placed updates in fold order, each with what the fold
// did with it.
func (g *DAG) Log() []LogEntry {
	out := make([]LogEntry, len(g.order))
	for i, n := range g.order {
		out[i] = LogEntry{Update: n.u, Depth: n.depth, Ignored: n.verdict.ignored, Closed: slices.Clone(n.verdict.closed)}
	}
	return out
}

// EverSteward reports whether d is a steward of the genesis or became one
// at some point of the placed history. The gossip validator forwards only
// updates whose author could be a steward.
func (g *DAG) EverSteward(d protocol.DID) bool {
	_, ok := g.live.ever.m[d]
	return ok
}
