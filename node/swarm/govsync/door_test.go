package govsync

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// dagGov is a Governance over a real DAG, as the node keeps it but for
// the store: what it placed is counted instead.
type dagGov struct {
	mu     sync.Mutex
	d      *gov.DAG
	placed int
}

func (g *dagGov) View(f func(*gov.DAG)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g.d)
}

func (g *dagGov) Add(u *gov.Update, locked func(*gov.DAG, gov.AddResult)) (gov.AddResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := g.d.Add(u)
	if err == nil && locked != nil {
		locked(g.d, res)
	}
	g.placed += len(res.Placed)
	return res, err
}

type doorTest struct {
	sync    *Sync
	gov     *dagGov
	net     protocol.NetworkID
	steward *protocol.Key
	now     time.Time
}

func newDoorTest(t *testing.T) *doorTest {
	t.Helper()
	steward := newKey(t)
	g := &protocol.Genesis{Name: "sync test", Stewards: []protocol.DID{steward.DID()}, Threshold: 1,
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	raw, err := protocol.EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	dt := &doorTest{net: protocol.NetworkIDOf(raw), steward: steward, now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	dt.gov = &dagGov{d: gov.New(g, dt.net)}
	dt.sync = New(Config{Network: dt.net, Gov: dt.gov, Now: func() time.Time { return dt.now }})
	return dt
}

func newKey(t *testing.T) *protocol.Key {
	t.Helper()
	k, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (dt *doorTest) update(t *testing.T, by *protocol.Key, parents []protocol.ID, at time.Time, name string) *gov.Update {
	t.Helper()
	u, err := gov.NewUpdate(dt.net, by, parents, at,
		&gov.Proposal{Action: gov.ActSetParam, Name: name, Value: "1", Expires: at.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (dt *doorTest) place(t *testing.T, u *gov.Update, from peer.ID) gov.AddResult {
	t.Helper()
	a, err := dt.sync.Admit(u.Encode(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dt.sync.Place(a, from)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPlaceCountsHeldPerPeer: an update by a key never a steward, held
// for its missing parent, counts against the peer that gossiped it until
// it is placed; one that no peer gossiped counts against nobody.
func TestPlaceCountsHeldPerPeer(t *testing.T) {
	dt := newDoorTest(t)
	const gossiper = peer.ID("gossiper")
	parent := dt.update(t, dt.steward, []protocol.ID{dt.net.ID()}, dt.now, "parent")
	nobody := dt.update(t, newKey(t), []protocol.ID{parent.ID}, dt.now, "nobody")
	other := dt.update(t, newKey(t), []protocol.ID{parent.ID}, dt.now, "other")

	if res := dt.place(t, nobody, gossiper); len(res.Placed) != 0 || len(res.Missing) != 1 {
		t.Fatalf("placed %v, missing %v; want held, missing its parent", res.Placed, res.Missing)
	}
	dt.place(t, nobody, gossiper) // known already: not counted twice
	dt.place(t, other, "")
	if got := dt.sync.HeldFrom(gossiper); got != 1 {
		t.Fatalf("held from the gossiper: %d, want 1", got)
	}
	if res := dt.place(t, parent, ""); len(res.Placed) != 3 {
		t.Fatalf("placing the parent placed %v, want it and the two held updates", res.Placed)
	}
	if got := dt.sync.HeldFrom(gossiper); got != 0 {
		t.Errorf("held from the gossiper once placed: %d, want 0", got)
	}
	if dt.gov.placed != 3 {
		t.Errorf("the node was given %d placed updates, want 3", dt.gov.placed)
	}
}

// TestDoorRemembersTooEarly: an update dated too far ahead is refused for
// now and remembered, so that syncs do not ask for it, until its time
// comes; a stored one deferred at start is placed then.
func TestDoorRemembersTooEarly(t *testing.T) {
	dt := newDoorTest(t)
	at := dt.now.Add(time.Hour)
	future := dt.update(t, dt.steward, []protocol.ID{dt.net.ID()}, at, "later")
	if _, err := dt.sync.Admit(future.Encode(), future.ID); !protocol.IsKind(err, protocol.Transient) {
		t.Fatalf("an update an hour ahead: %v, want refused for now", err)
	}
	if !dt.sync.RefusedForNow(future.ID) {
		t.Fatal("not remembered")
	}
	if got := dt.sync.missing([]protocol.ID{future.ID}, map[protocol.ID]bool{}); len(got) != 0 {
		t.Errorf("a sync would ask for %v before its time", got)
	}
	dt.sync.Defer(future)
	dt.sync.RetryDeferred()
	if dt.gov.placed != 0 {
		t.Fatal("placed before its time")
	}
	dt.now = at
	if got := dt.sync.missing([]protocol.ID{future.ID}, map[protocol.ID]bool{}); len(got) != 1 {
		t.Errorf("a sync would ask for %v once its time came, want it", got)
	}
	dt.sync.RetryDeferred()
	if dt.gov.placed != 1 || dt.sync.RefusedForNow(future.ID) {
		t.Errorf("once its time came: %d placed, still remembered %v", dt.gov.placed, dt.sync.RefusedForNow(future.ID))
	}
}
