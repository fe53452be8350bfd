package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// fakePolicy is a protocol.Policy made of function fields; nil fields say
// "no stewards" and "no revoked keys".
type fakePolicy struct {
	steward   func(protocol.DID) bool
	revokedAt func(protocol.DID) (time.Time, bool)
}

func (p fakePolicy) IsSteward(d protocol.DID) bool {
	return p.steward != nil && p.steward(d)
}

func (p fakePolicy) KeyRevokedAt(d protocol.DID) (time.Time, bool) {
	if p.revokedAt == nil {
		return time.Time{}, false
	}
	return p.revokedAt(d)
}

var _ protocol.Policy = fakePolicy{}

// cast is the set of keys the tests use.
type cast struct {
	publisher, alice, bob, carol, steward, mallory *protocol.Key
}

func newCast(t testing.TB) cast {
	return cast{
		publisher: storetest.Key(t, "publisher"),
		alice:     storetest.Key(t, "alice"),
		bob:       storetest.Key(t, "bob"),
		carol:     storetest.Key(t, "carol"),
		steward:   storetest.Key(t, "steward"),
		mallory:   storetest.Key(t, "mallory"),
	}
}

func attribution(t testing.TB, s *store.Store, subject protocol.ID, p protocol.Policy) *store.Attribution {
	t.Helper()
	a, err := s.Attribution(subject, p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// contributorOf returns the contributor entry of claim in a.
func contributorOf(t testing.TB, a *store.Attribution, claim protocol.ID) store.Contributor {
	t.Helper()
	for _, c := range a.Contributors {
		if c.Claim == claim {
			return c
		}
	}
	t.Fatalf("claim %s is not among the contributors of %s", claim, a.Subject)
	return store.Contributor{}
}

func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ids(objs ...*protocol.Object) []protocol.ID {
	out := make([]protocol.ID, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}
