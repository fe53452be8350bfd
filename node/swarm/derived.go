package swarm

import (
	"context"
	"slices"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// maxDerivedSubjects bounds the subjects whose derived-from keys one
// search asks about: as many as the ancestors a lineage fetch brings.
const maxDerivedSubjects = maxLineageFetch

// Derived gathers what was made from roots, and what was made from that,
// breadth first, to depth levels and maxDerivedSubjects subjects in all:
// for each subject of a level, from every provider of its derived-from
// key (SPEC.md §7.2), the list of `derived` paged to the end (at most
// store.MaxDerived IDs from one provider) and the objects it lacks. The
// next level is what the store then holds that names a subject of this
// one.
func (s *Search) Derived(roots []protocol.ID, depth int) {
	seen := map[protocol.ID]bool{}
	level := roots
	for d := 1; d <= depth && len(level) > 0 && s.ctx.Err() == nil; d++ {
		var wave []protocol.ID
		for _, id := range level {
			if !seen[id] && id.IsObject() && len(seen) < maxDerivedSubjects {
				seen[id] = true
				wave = append(wave, id)
			}
		}
		var wg sync.WaitGroup
		for _, id := range wave {
			wg.Go(func() { s.derivedFrom(id) })
		}
		wg.Wait()
		var next []protocol.ID
		for _, id := range wave {
			children, err := s.sw.cfg.Store.Derived(id)
			if err != nil {
				s.sw.log.Warn("search: read what was made from a subject", "subject", id, "err", err)
				continue
			}
			next = append(next, children...)
		}
		level = next
	}
}

// derivedFrom gathers from the providers of subject's derived-from key
// the datasets and derivations they hold that name it. Each object a
// provider gives must be what was asked for (SPEC.md §7.5): a dataset
// that names subject among its parents, or a derivation that names it
// among its inputs. One that does not is not stored, and the provider is
// penalised.
func (s *Search) derivedFrom(subject protocol.ID) {
	s.providers(s.ctx, "derived", protocol.DerivedFromKey(subject), func(ctx context.Context, p peer.ID, _ func()) {
		listed := 0
		s.pages(ctx, p, func(after protocol.ID) ([]protocol.ID, bool, error) {
			if listed >= store.MaxDerived {
				return nil, false, nil
			}
			ids, more, err := s.sw.fetch.Derived(ctx, p, subject, after, 0)
			listed += len(ids)
			return ids, more, err
		}, func(o *protocol.Object) error {
			if slices.Contains(madeFrom(o), subject) {
				return nil
			}
			return protocol.E("derived", protocol.Invalid, "derived from %s: listed %s, a %s that names it neither as parent nor as input", subject, o.ID, o.Kind)
		})
	})
}
