package govsync

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
)

// announcedSoon reports whether an early announcement of the heads was
// asked for since the last call, and forgets it.
func announcedSoon(s *Sync) bool {
	select {
	case <-s.early:
		return true
	default:
		return false
	}
}

// TestHeadsBehindAnsweredOnce: a peer that announces heads lacking the
// same updates of this node over and over — its clock behind refuses
// them, or it says so to make every node that hears it broadcast its
// heads every 300 ms — is answered with one early announcement; the
// periodic one repeats it. It is answered again once this node has a
// head it was not told of, and after it caught up and fell behind anew.
func TestHeadsBehindAnsweredOnce(t *testing.T) {
	dt := newDoorTest(t)
	s := dt.sync
	const laggard, other = peer.ID("laggard"), peer.ID("other")
	root := []protocol.ID{dt.net.ID()}
	u := dt.update(t, dt.steward, root, dt.now, "u")
	dt.place(t, u, "")

	s.headsFrom(laggard, root)
	if !announcedSoon(s) {
		t.Fatal("a peer behind: no early announcement")
	}
	for range 3 {
		if s.headsFrom(laggard, root); announcedSoon(s) {
			t.Fatal("a peer still lacking only what it was answered with: announced early again")
		}
	}
	if s.headsFrom(other, root); !announcedSoon(s) {
		t.Fatal("another peer lacking the same: no early announcement for it")
	}

	v := dt.update(t, dt.steward, []protocol.ID{u.ID}, dt.now, "v")
	dt.place(t, v, "")
	if s.headsFrom(laggard, root); !announcedSoon(s) {
		t.Fatal("a peer lacking a head it was not told of: no early announcement")
	}
	if s.headsFrom(laggard, []protocol.ID{v.ID}); announcedSoon(s) {
		t.Fatal("a peer up to date: announced early")
	}
	if s.headsFrom(laggard, root); !announcedSoon(s) {
		t.Fatal("a peer that caught up, then behind again: no early announcement")
	}
}
