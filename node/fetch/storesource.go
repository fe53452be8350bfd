package fetch

import (
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
// (SPEC.md §7.3). Each page seeks to after (Store.ClaimsPage).
func (s StoreSource) ClaimsAbout(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.Store.ClaimsPage(subject, after, limit)
}

// DatasetsWithFile answers with the datasets held here that name a file of
// digest d. Each page seeks to after (Store.DatasetsPage).
func (s StoreSource) DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.Store.DatasetsPage(d, after, limit)
}

// GovNode answers with a governance update as stored (SPEC.md §8).
func (s StoreSource) GovNode(id protocol.ID) ([]byte, error) { return s.Store.GovUpdate(id) }

// Rotations answers with the rotations held here that name key, as old or
// new key. Each page seeks to after (Store.RotationsPage).
func (s StoreSource) Rotations(key protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.Store.RotationsPage(key, after, limit)
}
