package node

import (
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// storeSource adapts the node's store to the fetch protocol's Source, so
// that the fetch package never imports the store: it answers peers from the
// store as SPEC.md §7.3 says.
type storeSource struct{ store *store.Store }

var _ fetch.Source = storeSource{}

func (s storeSource) Envelope(id protocol.ID) ([]byte, error) {
	env, err := s.store.Envelope(id)
	if err != nil {
		return nil, err
	}
	return env.Encode(), nil
}

// ClaimsAbout answers with the claims held about subject and the claims
// held about those (the endorsements and revocations of each claim), so that
// one conversation gives an asker all it needs to judge every claim
// (SPEC.md §7.3). Each page seeks to after (Store.ClaimsPage).
func (s storeSource) ClaimsAbout(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.store.ClaimsPage(subject, after, limit)
}

// DatasetsWithFile answers with the datasets held here that name a file of
// digest d, each with the paths under which it names it (at most
// fetch.MaxPaths, which is all the answer carries). Each page seeks to
// after (Store.LocatePage).
func (s storeSource) DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) ([]fetch.DatasetPaths, bool, error) {
	page, more, err := s.store.LocatePage(d, after, limit, fetch.MaxPaths)
	if err != nil {
		return nil, false, err
	}
	return datasetPaths(page), more, nil
}

// datasetPaths gives the store's locations in the fetch protocol's terms.
func datasetPaths(page []store.Location) []fetch.DatasetPaths {
	out := make([]fetch.DatasetPaths, len(page))
	for i, l := range page {
		out[i] = fetch.DatasetPaths{Dataset: l.Dataset, Paths: l.Paths}
	}
	return out
}

// Chunk answers with a manifest chunk as stored (SPEC.md §3.8).
func (s storeSource) Chunk(id manifest.ChunkID) ([]byte, error) { return s.store.Chunk(id) }

// GovNode answers with a governance update as stored (SPEC.md §8).
func (s storeSource) GovNode(id protocol.ID) ([]byte, error) { return s.store.GovUpdate(id) }

// Rotations answers with the rotations held here that name key, as old or
// new key. Each page seeks to after (Store.RotationsPage).
func (s storeSource) Rotations(key protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.store.RotationsPage(key, after, limit)
}

// DerivedFrom answers with the datasets held here that name subject among
// their parents and the derivations that name it among their inputs,
// those their publisher withdrew left out. Each page seeks to after
// (Store.DerivedPage).
func (s storeSource) DerivedFrom(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.store.DerivedPage(subject, after, limit)
}
