package node

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// TestSearchForObjectEndsOnceHeld: a search for an object ends as soon as
// the store holds it, whatever brought it there, rather than waiting for
// a provider that does not answer until the query's timeout. The one
// provider here stalls; the object then arrives by another path (the
// API, as the announce topic or another search would bring it), and the
// read returns it. The query's timeout (5 min) and the ask's (2 min) are
// far beyond the wait.
func TestSearchForObjectEndsOnceHeld(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{fetchTimeout: 2 * time.Minute})
	elsewhere := newTestNode(t)
	id := mustDataset(t, elsewhere, "held by another path").ID
	raw, err := elsewhere.GetObject(t.Context(), id, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	stalled := stallingProvider(t, nodes[0], protocol.ObjectKey(id))

	reader := nodes[2]
	type result struct {
		raw []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := reader.GetObject(t.Context(), id, api.QueryOptions{Timeout: api.MaxQueryTimeout})
		done <- result{b, err}
	}()
	waitFor(t, "the stalling provider asked", func() bool { return stalled.Load() > 0 })
	if _, err := reader.PutObject(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	const wait = 30 * time.Second
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("read of an object stored meanwhile: %v", r.err)
		}
	case <-time.After(wait):
		t.Fatalf("the search was still waiting on a stalled provider %s after the object was stored: it should end once the object is held", wait)
	}
}
