package p2p_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// Records that every node keeps for two seconds only, so that a test sees
// them expire. kad-dht's provider store reads the system clock, so the
// expiry is real; the Announcer's own schedule runs on a fakeClock.
const shortValidity = 2 * time.Second

// options returns o on c.
func (c *fakeClock) options(o p2p.AnnouncerOptions) p2p.AnnouncerOptions {
	o.Now, o.After = c.Now, c.After
	return o
}

// waitArmed waits until a, after its round, waits for its next round and
// its next retry, and checks when they are due.
func (c *fakeClock) waitArmed(t *testing.T, round, retry time.Duration) {
	t.Helper()
	eventually(t, 10*time.Second, "the announcer waits for its next round and retry", func() bool { return len(c.pending()) == 2 })
	got, want := c.pending(), []time.Duration{min(round, retry), max(round, retry)}
	if !slices.Equal(got, want) {
		t.Fatalf("the announcer's timers are due in %v, want %v (next round in %v, retry in %v)", got, want, round, retry)
	}
}

// A key of the announcer's source stays findable after the records of its
// first announcement have expired, because the next round renews it; a key
// provided once does not. The announcer's clock stands still until the
// test moves it, so between the rounds no record is renewed: the records
// of both keys expire, and the round the test then runs brings back the
// key of the source alone.
func TestAnnouncerKeepsRecordsAlive(t *testing.T) {
	nodes := newLine(t, 4, nodeConfig{dht: p2p.DHTOptions{ProvideValidity: shortValidity}})
	provider, finder := nodes[0], nodes[3]
	kept, once := randomKey(t), randomKey(t)
	clock := newFakeClock()
	const interval = time.Hour
	a := p2p.NewAnnouncer(provider.d, keyList(kept), clock.options(p2p.AnnouncerOptions{Interval: interval}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.Start(ctx)
	defer a.Close()
	eventually(t, 10*time.Second, "the first round", func() bool { return a.Stats().Rounds > 0 })
	clock.waitArmed(t, interval, p2p.DefaultRetryInterval)
	if err := p2p.Provide(ctx, provider.d, once); err != nil {
		t.Fatal(err)
	}
	for _, k := range []cid.Cid{kept, once} {
		if provs := findEventually(t, finder, k, provider.h.ID()); !hasProvider(provs, provider.h.ID()) {
			t.Fatalf("key %s not found at first: %v", k, provs)
		}
	}

	eventually(t, 30*time.Second, "the records of both keys expire while the announcer's clock stands still", func() bool {
		a, _ := findProviders(t, finder, kept, 0)
		b, _ := findProviders(t, finder, once, 0)
		return len(a) == 0 && len(b) == 0
	})
	if st := a.Stats(); st.Rounds != 1 {
		t.Fatalf("%d rounds before the clock moved, want 1", st.Rounds)
	}
	clock.Advance(interval)
	eventually(t, 10*time.Second, "the round due an interval after the first", func() bool { return a.Stats().Rounds == 2 })
	clock.waitArmed(t, interval, p2p.DefaultRetryInterval)
	if provs := findEventually(t, finder, kept, provider.h.ID()); !hasProvider(provs, provider.h.ID()) {
		t.Errorf("announced key not found after its first records expired: %v", provs)
	}
	if provs, _ := findProviders(t, finder, once, 0); len(provs) != 0 {
		t.Errorf("the key provided once is found again: %v", provs)
	}
	st := a.Stats()
	if st.Announced != 2 || st.Failed != 0 {
		t.Errorf("stats %+v: want a provide per round, no failure", st)
	}
	if st.LastRound.Keys != 1 || st.LastRound.Failed != 0 || !st.LastRound.End.Equal(clock.Now()) {
		t.Errorf("last round %+v, want one key ending at %v", st.LastRound, clock.Now())
	}
}

// A node restarted with its key (a new host on a new port) announces the
// keys of its source again, so that the network finds it where it now is.
func TestAnnouncerAfterRestart(t *testing.T) {
	nodes := newLine(t, 3, nodeConfig{dht: p2p.DHTOptions{ProvideValidity: shortValidity}})
	finder := nodes[2]
	subject := protocol.ObjectID([]byte(`{"subject":1}`))
	keys := []cid.Cid{protocol.ObjectKey(subject), protocol.ClaimsAboutKey(subject), randomKey(t)}
	store := keyList(keys...) // what the node's store would yield
	key := newKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// start runs the node: host, DHT joined through node 0, announcer.
	start := func() (*testNode, *p2p.Announcer) {
		n := newNode(t, nodeConfig{key: key, dht: p2p.DHTOptions{
			ProvideValidity: shortValidity, Bootstrap: []peer.AddrInfo{nodes[0].info()},
		}})
		a := p2p.NewAnnouncer(n.d, store, newFakeClock().options(p2p.AnnouncerOptions{}))
		a.Start(ctx)
		eventually(t, 10*time.Second, "first round", func() bool { return a.Stats().Rounds == 1 })
		return n, a
	}
	n, a := start()
	before := n.h.Addrs()
	for _, k := range keys {
		if provs := findEventually(t, finder, k, n.h.ID()); !hasProvider(provs, n.h.ID()) {
			t.Fatalf("key %s not found before the restart: %v", k, provs)
		}
	}
	a.Close()
	n.stop()

	// Down for longer than the records live: the network forgets it.
	eventually(t, 30*time.Second, "the records of the stopped node expire", func() bool {
		provs, _ := findProviders(t, finder, keys[0], 0)
		return len(provs) == 0
	})

	n, a = start()
	defer a.Close()
	if n.h.Addrs()[0].Equal(before[0]) {
		t.Log("restarted on the same address") // possible, not expected, with port 0
	}
	for _, k := range keys {
		provs := findEventually(t, finder, k, n.h.ID())
		if !hasProvider(provs, n.h.ID()) {
			t.Errorf("key %s not found after the restart: %v", k, provs)
			continue
		}
		// And at its new address.
		for _, p := range provs {
			if p.ID == n.h.ID() {
				finder.h.Network().ClosePeer(p.ID)
				finder.h.Peerstore().ClearAddrs(p.ID)
				if err := finder.h.Connect(ctx, p); err != nil {
					t.Errorf("connect to the restarted node at %v: %v", p.Addrs, err)
				}
			}
		}
	}
}

// A lone node cannot provide: Announce fails with a transient error, the
// keys are remembered, and the retry due RetryInterval later announces
// them once a peer is there; the round before it does not.
func TestAnnouncerRetries(t *testing.T) {
	lone := newNode(t, nodeConfig{})
	clock := newFakeClock()
	a := p2p.NewAnnouncer(lone.d, keyList(), clock.options(p2p.AnnouncerOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k1, k2 := randomKey(t), randomKey(t)
	err := a.Announce(ctx, k1, k2)
	if !protocol.IsKind(err, protocol.Transient) || !errors.Is(err, p2p.ErrNoPeers) {
		t.Fatalf("announce on a lone node: %v, want a transient ErrNoPeers", err)
	}
	if st := a.Stats(); st.Failed != 2 || st.Retrying != 2 || st.Announced != 0 {
		t.Fatalf("stats after the failure %+v, want 2 failed and retrying", st)
	}

	a.Start(ctx) // waits for a peer, runs an empty round, then retries
	defer a.Close()
	other := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{lone.info()}}})
	eventually(t, 10*time.Second, "the first round, once a peer is there", func() bool { return a.Stats().Rounds == 1 })
	clock.waitArmed(t, p2p.DefaultReannounceInterval, p2p.DefaultRetryInterval)
	if st := a.Stats(); st.Retrying != 2 || st.Announced != 0 {
		t.Fatalf("stats before the retry was due %+v, want the 2 keys still waiting", st)
	}
	clock.Advance(p2p.DefaultRetryInterval)
	eventually(t, 10*time.Second, "keys announced by the retry", func() bool {
		st := a.Stats()
		return st.Announced == 2 && st.Retrying == 0
	})
	for _, k := range []cid.Cid{k1, k2} {
		if provs := findEventually(t, other, k, lone.h.ID()); !hasProvider(provs, lone.h.ID()) {
			t.Errorf("key %s not found after the retry: %v", k, provs)
		}
	}
	// The next retry keeps the beat.
	clock.waitArmed(t, p2p.DefaultReannounceInterval-p2p.DefaultRetryInterval, p2p.DefaultRetryInterval)
}

// A source that fails ends its round; the keys before the failure are
// announced, the error is reported in the round's stats, and nothing
// counts it as a failed provide.
func TestAnnouncerSourceError(t *testing.T) {
	nodes := newLine(t, 2, nodeConfig{})
	k := randomKey(t)
	boom := errors.New("store closed")
	src := func(yield func(cid.Cid) bool) error {
		yield(k)
		return boom
	}
	a := p2p.NewAnnouncer(nodes[0].d, src, p2p.AnnouncerOptions{})
	st := a.Round(context.Background())
	if !errors.Is(st.Err, boom) || st.Keys != 1 || st.Failed != 0 {
		t.Errorf("round %+v, want 1 key, no failure, the source's error", st)
	}
	if provs := findEventually(t, nodes[1], k, nodes[0].h.ID()); !hasProvider(provs, nodes[0].h.ID()) {
		t.Errorf("key yielded before the error not announced: %v", provs)
	}
}
