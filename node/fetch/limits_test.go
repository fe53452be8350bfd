package fetch

import (
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestAdmission(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAdmission(ServerOptions{Rate: 10, Burst: 2, MaxStreams: 3, MaxStreamsPerPeer: 2}.withDefaults())
	a.now = func() time.Time { return now }
	p, q, r := peer.ID("p"), peer.ID("q"), peer.ID("r")
	step := func(who peer.ID, wantCode ErrorCode, wantOK bool) {
		t.Helper()
		if code, ok := a.admit(who); code != wantCode || ok != wantOK {
			t.Fatalf("admit(%s) at %v = %s, %v; want %s, %v", who, now.Sub(time.Unix(0, 0)), code, ok, wantCode, wantOK)
		}
	}
	step(p, 0, true)
	step(p, 0, true)
	step(p, CodeRateLimited, false) // burst spent
	now = now.Add(100 * time.Millisecond)
	step(p, CodeBusy, false) // a token again, but two streams open
	a.release(p)
	now = now.Add(100 * time.Millisecond)
	step(p, 0, true)
	step(q, 0, true)
	step(r, CodeBusy, false) // three streams in all
	a.release(q)
	now = now.Add(time.Hour)
	step(r, 0, true)
	a.release(r)
	step(r, 0, true)
	a.release(r)
	step(r, CodeRateLimited, false) // a pause refills to the burst, no more
}

func TestAdmissionForgetsIdlePeers(t *testing.T) {
	now := time.Unix(0, 0)
	a := newAdmission(ServerOptions{Rate: 1, Burst: 1}.withDefaults())
	a.now = func() time.Time { return now }
	for i := range 10 * minSweepSize {
		p := peer.ID(fmt.Sprint(i))
		if _, ok := a.admit(p); !ok {
			t.Fatalf("peer %d refused", i)
		}
		a.release(p)
		now = now.Add(10 * time.Millisecond) // each bucket refills within 1 s
	}
	if n := len(a.buckets); n > 2*minSweepSize {
		t.Errorf("%d buckets kept for %d peers seen once", n, 10*minSweepSize)
	}
	if len(a.streams) != 0 || a.total != 0 {
		t.Errorf("streams left open: %v, %d", a.streams, a.total)
	}
}
