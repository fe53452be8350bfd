package fetch

import (
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// StoreSource is the Source of a node: its store, answering as SPEC.md
// §7.3 says.
type StoreSource struct{ Store *store.Store }

var _ Source = StoreSource{}

func (s StoreSource) Envelope(id protocol.ID) ([]byte, error) {
	env, err := s.Store.Envelope(id)
	if err != nil {
		return nil, err
	}
	return env.Encode(), nil
}

// ClaimsAbout answers with the claims held about subject and the claims
// held about those (the endorsements and revocations of each claim), so that
// one conversation gives an asker all it needs to judge every claim
// (SPEC.md §7.3).
func (s StoreSource) ClaimsAbout(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	direct, err := s.Store.ClaimsAbout(subject)
	if err != nil {
		return nil, false, err
	}
	all := direct
	for _, c := range direct {
		about, err := s.Store.ClaimsAbout(c)
		if err != nil {
			return nil, false, err
		}
		all = append(all, about...)
	}
	if len(all) > len(direct) {
		all = sortedIDs(all)
	}
	ids, more := page(all, after, limit)
	return ids, more, nil
}

// DatasetsWithFile answers with the datasets held here that name a file of
// digest d.
func (s StoreSource) DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	locs, err := s.Store.Locate(d)
	if err != nil {
		return nil, false, err
	}
	all := make([]protocol.ID, len(locs))
	for i, l := range locs {
		all[i] = l.Dataset
	}
	ids, more := page(sortedIDs(all), after, limit)
	return ids, more, nil
}

// GovNode answers with a governance update as stored (SPEC.md §8).
func (s StoreSource) GovNode(id protocol.ID) ([]byte, error) { return s.Store.GovUpdate(id) }

// sortedIDs sorts ids by their text form, dropping repeats.
func sortedIDs(ids []protocol.ID) []protocol.ID {
	slices.SortFunc(ids, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(ids)
}

// page returns up to limit of the IDs of all (in text order) that follow
// after, and whether more follow them.
func page(all []protocol.ID, after protocol.ID, limit int) ([]protocol.ID, bool) {
	start := 0
	if !after.IsZero() {
		a := after.String()
		start, _ = slices.BinarySearchFunc(all, a, func(id protocol.ID, a string) int { return strings.Compare(id.String(), a) })
		if start < len(all) && all[start].String() == a {
			start++
		}
	}
	end := min(start+limit, len(all))
	return all[start:end], end < len(all)
}
