package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// TestAttributionViewEmptyNotNull: what the store answers of a subject it
// knows nothing of is written with empty lists, not null, and no publisher.
func TestAttributionViewEmptyNotNull(t *testing.T) {
	s, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Attribution(protocol.ObjectID([]byte("elsewhere")), protocol.Stewards{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(attributionView(a, func(protocol.ID) *api.Standing { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	j := string(b)
	for _, field := range []string{`"contributors":[]`, `"endorsements":[]`, `"lineage":[]`} {
		if !strings.Contains(j, field) {
			t.Errorf("JSON %s lacks %s", j, field)
		}
	}
	if strings.Contains(j, "publisher") || strings.Contains(j, "standing") {
		t.Errorf("JSON %s has a publisher or a standing for an unknown subject", j)
	}
}
