package swarm

import (
	"fmt"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The memory of objects refused for their time (SPEC.md §7.5) is bounded:
// a flood of future-dated objects holds at most its bound, forgetting the
// one used least recently, and an object is forgotten once its time has
// come.
func TestRefusedEarlyBounded(t *testing.T) {
	const max = 8
	r := newRefusedEarly(max)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	id := func(i int) protocol.ID { return protocol.ObjectID(fmt.Append(nil, "object ", i)) }
	created := now.Add(2 * time.Hour)
	for i := range max {
		r.remember(id(i), created)
	}
	if _, ok := r.refused(id(0), now); !ok { // used: the oldest is now id(1)
		t.Fatal("an object refused for its time was forgotten before the memory was full")
	}
	for i := max; i < 10*max; i++ {
		r.remember(id(i), created)
		if r.len() > max {
			t.Fatalf("%d objects remembered, over the bound %d", r.len(), max)
		}
	}
	if _, ok := r.refused(id(1), now); ok {
		t.Error("the object used least recently is still remembered past the bound")
	}
	last := id(10*max - 1)
	if got, ok := r.refused(last, now); !ok || !got.Equal(created) {
		t.Fatalf("the newest: %v %v, want remembered with its date %v", got, ok, created)
	}
	// Dated 2 h ahead: acceptable from 1 h 50 min on, by the node's clock.
	if _, ok := r.refused(last, now.Add(2*time.Hour-protocol.MaxClockSkew-time.Second)); !ok {
		t.Error("forgotten a second before its time")
	}
	if _, ok := r.refused(last, now.Add(2*time.Hour-protocol.MaxClockSkew)); ok {
		t.Error("still refused once its time has come")
	}
	if r.len() != max-1 {
		t.Errorf("%d remembered, want %d: an object whose time has come is forgotten", r.len(), max-1)
	}
}
