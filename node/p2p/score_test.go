package p2p_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

func newScores(t testing.TB, opts p2p.ScoreOptions) *p2p.Scores {
	t.Helper()
	s, err := p2p.NewScores(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testPeer is a peer ID made from n, for tables that never dial it.
func testPeer(n int) peer.ID { return peer.ID(fmt.Sprintf("test peer %d", n)) }

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func TestScoresPenaltiesLowerScore(t *testing.T) {
	for _, tc := range []struct {
		reasons []string
		want    float64
	}{
		{nil, 0},
		{[]string{"bad request: fetch request: unknown op \"x\""}, -10},
		{[]string{"over the request rate (20/s, burst 40)"}, -1},
		{[]string{"no complete request within 10s", "no complete answer within 30s"}, -4},
		{[]string{"request for another network"}, -20},
		{[]string{p2p.ReasonInvalidGossip + ": decode envelope: not JSON"}, -10},
		{[]string{"read objects: object 3 is not the one asked for"}, -10}, // no key: the default weight
		{[]string{"bad request", "bad request", "over the request rate"}, -21},
	} {
		t.Run(strings.Join(tc.reasons, "+"), func(t *testing.T) {
			clock := newFakeClock()
			s := newScores(t, p2p.ScoreOptions{Now: clock.Now})
			p := testPeer(1)
			for _, r := range tc.reasons {
				s.Penalise(p, r)
			}
			if got := s.Score(p); !near(got, tc.want) {
				t.Errorf("score %g, want %g", got, tc.want)
			}
			if got := s.Score(testPeer(2)); got != 0 {
				t.Errorf("score of a peer never penalised %g, want 0", got)
			}
		})
	}
}

// The longest key that a reason begins with gives its weight.
func TestScoresLongestPrefixWins(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now, DefaultWeight: 7,
		Weights: map[string]float64{"bad": 1, "bad request": 3}})
	s.Penalise(testPeer(1), "bad request: x")
	s.Penalise(testPeer(2), "bad gossip")
	s.Penalise(testPeer(3), "worse")
	for i, want := range []float64{-3, -1, -7} {
		if got := s.Score(testPeer(i + 1)); !near(got, want) {
			t.Errorf("peer %d: score %g, want %g", i+1, got, want)
		}
	}
}

func TestScoresDecay(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now, HalfLife: time.Minute})
	p := testPeer(1)
	s.Penalise(p, "bad request")
	s.Penalise(p, "bad request") // -20
	for _, step := range []struct {
		after time.Duration
		want  float64
	}{
		{0, -20}, {time.Minute, -10}, {time.Minute, -5}, {30 * time.Second, -5 / math.Sqrt2},
	} {
		clock.Advance(step.after)
		if got := s.Score(p); math.Abs(got-step.want) > 1e-6 {
			t.Errorf("after another %v: score %g, want %g", step.after, got, step.want)
		}
	}
	// A penalty adds to the decayed score.
	s.Penalise(p, "over the request rate")
	if got, want := s.Score(p), -5/math.Sqrt2-1; math.Abs(got-want) > 1e-6 {
		t.Errorf("after a further penalty: score %g, want %g", got, want)
	}
	// Decayed to about 0, the peer is forgotten at the next sweep.
	clock.Advance(time.Hour)
	s.Penalise(testPeer(2), "bad request")
	if got := s.Len(); got != 1 {
		t.Errorf("table holds %d peers after an hour, want 1 (the peer just penalised)", got)
	}
	if got := s.Score(p); got != 0 {
		t.Errorf("score after an hour %g, want 0", got)
	}
}

// A penalty that crosses the threshold lowers the score to twice the
// threshold, so the ban lasts a half-life, and the peer recovers then.
func TestScoresBanLastsAHalfLife(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now, HalfLife: time.Minute, BanThreshold: -30})
	p := testPeer(1)
	s.Penalise(p, "bad request")
	s.Penalise(p, "bad request")
	s.Penalise(p, "bad request") // -30: at the threshold, not below
	if s.Banned(p) {
		t.Fatalf("banned at score %g, the threshold", s.Score(p))
	}
	s.Penalise(p, "over the request rate")
	if got := s.Score(p); !near(got, -60) || !s.Banned(p) {
		t.Fatalf("score %g, banned %v; want -60 (twice the threshold) and banned", got, s.Banned(p))
	}
	clock.Advance(59 * time.Second)
	if !s.Banned(p) {
		t.Errorf("not banned any more after 59 s, score %g", s.Score(p))
	}
	clock.Advance(2 * time.Second)
	if s.Banned(p) {
		t.Errorf("still banned after a half-life, score %g", s.Score(p))
	}
}

func TestScoresTableBounded(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now, MaxPeers: 100})
	bad := testPeer(-1)
	for range 11 {
		s.Penalise(bad, "bad request") // banned
	}
	for i := range 1000 {
		s.Penalise(testPeer(i), "over the request rate")
	}
	if got := s.Len(); got != 100 {
		t.Errorf("table holds %d peers, want 100", got)
	}
	if !s.Banned(bad) {
		t.Errorf("the banned peer was forgotten (score %g) for peers penalised less", s.Score(bad))
	}
	if got := s.Score(testPeer(999)); !near(got, -1) {
		t.Errorf("the peer penalised last has score %g, want -1", got)
	}
}

// Each answer earns a reward, up to the bound; the credit halves every
// half-life like a penalty, and the table forgets it once it is about 0.
// It raises the standing, not the score.
func TestScoresCreditBoundedAndDecays(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now, HalfLife: time.Minute})
	p := testPeer(1)
	for i := range 3 {
		s.Reward(p)
		if got, want := s.Credit(p), float64(i+1)*p2p.DefaultReward; !near(got, want) {
			t.Fatalf("after %d answers: credit %g, want %g", i+1, got, want)
		}
	}
	for range 100 {
		s.Reward(p)
	}
	if got := s.Credit(p); !near(got, p2p.DefaultMaxCredit) {
		t.Fatalf("after 103 answers: credit %g, want the bound %g", got, p2p.DefaultMaxCredit)
	}
	if got := s.Score(p); got != 0 {
		t.Errorf("credit changed the score to %g: the score counts penalties alone", got)
	}
	if got := s.Standing(p); !near(got, p2p.DefaultMaxCredit) {
		t.Errorf("standing %g, want the credit %g", got, p2p.DefaultMaxCredit)
	}
	clock.Advance(time.Minute)
	if got, want := s.Credit(p), p2p.DefaultMaxCredit/2; !near(got, want) {
		t.Errorf("after a half-life: credit %g, want %g", got, want)
	}
	s.Reward(p)
	if got, want := s.Credit(p), p2p.DefaultMaxCredit/2+p2p.DefaultReward; !near(got, want) {
		t.Errorf("a reward after a half-life: credit %g, want %g", got, want)
	}
	clock.Advance(time.Hour)
	s.Penalise(testPeer(2), "bad request")
	if got := s.Len(); got != 1 {
		t.Errorf("table holds %d peers after an hour, want 1 (the peer just penalised)", got)
	}
	if got := s.Credit(p); got != 0 {
		t.Errorf("credit after an hour %g, want 0", got)
	}
}

// Credit never offsets a penalty: a penalty forfeits it, a banned peer
// earns none, and a peer with all the credit it can hold is banned after
// the same penalties as any other.
func TestScoresCreditNeverLiftsABan(t *testing.T) {
	clock := newFakeClock()
	s := newScores(t, p2p.ScoreOptions{Now: clock.Now})
	useful, other := testPeer(1), testPeer(2)
	for range 10 {
		s.Reward(useful)
	}
	s.Penalise(useful, "bad request")
	s.Penalise(other, "bad request")
	if got, want := s.Standing(useful), -p2p.DefaultPenaltyWeight; !near(got, want) {
		t.Errorf("standing after a penalty %g, want %g: the penalty forfeits the credit", got, want)
	}
	for range 10 {
		s.Reward(useful)
		s.Penalise(useful, "bad request")
		s.Penalise(other, "bad request")
		if s.Banned(useful) != s.Banned(other) {
			t.Fatalf("the peer with credit: banned %v at score %g; the one without: banned %v at %g",
				s.Banned(useful), s.Score(useful), s.Banned(other), s.Score(other))
		}
	}
	if !s.Banned(useful) {
		t.Fatalf("not banned after eleven violations: score %g", s.Score(useful))
	}
	for range 10 {
		s.Reward(useful)
	}
	if got := s.Credit(useful); got != 0 {
		t.Errorf("a banned peer earned credit %g", got)
	}
	if !s.Banned(useful) || s.Standing(useful) != s.Score(useful) {
		t.Errorf("after rewards while banned: banned %v, standing %g, score %g",
			s.Banned(useful), s.Standing(useful), s.Score(useful))
	}
}

func TestScoresOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts p2p.ScoreOptions
		want string
	}{
		{"positive threshold", p2p.ScoreOptions{BanThreshold: 5}, "ban threshold 5"},
		{"NaN threshold", p2p.ScoreOptions{BanThreshold: math.NaN()}, "ban threshold NaN"},
		{"negative weight", p2p.ScoreOptions{Weights: map[string]float64{"x": -1}}, `weight -1 of "x"`},
		{"negative default", p2p.ScoreOptions{DefaultWeight: -1}, "default weight -1"},
		{"negative reward", p2p.ScoreOptions{Reward: -1}, "reward -1"},
		{"credit below a reward", p2p.ScoreOptions{Reward: 2, MaxCredit: 1}, "max credit 1"},
		{"infinite credit", p2p.ScoreOptions{MaxCredit: math.Inf(1)}, "max credit +Inf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p2p.NewScores(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !protocol.IsKind(err, protocol.Invalid) {
				t.Errorf("error %v, want invalid and %q", err, tc.want)
			}
		})
	}
}

func TestScoresMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newScores(t, p2p.ScoreOptions{Metrics: reg})
	b := newScores(t, p2p.ScoreOptions{Metrics: reg}) // a second node in the process
	a.Penalise(testPeer(1), "bad request: x")
	b.Penalise(testPeer(1), "bad request: y")
	a.Penalise(testPeer(1), "over the request rate")
	a.Penalise(testPeer(1), "something new")
	for range 11 {
		b.Penalise(testPeer(2), "bad request") // banned at the 11th
	}
	a.Reward(testPeer(3))
	b.Reward(testPeer(3))
	b.Reward(testPeer(2)) // banned: no credit
	got := gatherCounters(t, reg)
	want := map[string]float64{
		`commons_p2p_penalties_total{reason="bad request"}`:           13,
		`commons_p2p_penalties_total{reason="other"}`:                 1,
		`commons_p2p_penalties_total{reason="over the request rate"}`: 1,
		`commons_p2p_bans_total`:                                      1,
		`commons_p2p_rewards_total`:                                   2,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counters\n%v\nwant\n%v", got, want)
	}
}

// gatherCounters returns the counters of reg by name and labels.
func gatherCounters(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			if v := m.GetCounter().GetValue(); v != 0 { // every reason's series exists, at 0 until counted
				out[name] = v
			}
		}
	}
	return out
}

// A banned peer is refused on dial and on accept, loses the connection it
// had, and connects again once its score has decayed.
func TestScoresBanRefusesConnections(t *testing.T) {
	clock := newFakeClock()
	scores := newScores(t, p2p.ScoreOptions{Now: clock.Now, HalfLife: time.Minute})
	attempts := &inboundCounter{} // asked after the scores: every inbound connection that starts
	a, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Scores: scores, Gater: attempts})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := newHost(t, newKey(t), nil)
	defer b.Close()
	var accepted atomic.Int32 // connections from b that a's swarm took in
	a.Network().Notify(&network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) {
		if c.RemotePeer() == b.ID() && c.Stat().Direction == network.DirInbound {
			accepted.Add(1)
		}
	}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connect := func(from, to host.Host) error {
		// Force the dial past the swarm's backoff of earlier failures.
		ctx := network.WithForceDirectDial(ctx, "test")
		return from.Connect(ctx, peer.AddrInfo{ID: to.ID(), Addrs: to.Addrs()})
	}
	if err := connect(a, b); err != nil {
		t.Fatal(err)
	}
	// A penalty tags b in the connection manager, so that b is trimmed
	// before peers held in better regard.
	scores.Penalise(b.ID(), "bad request")
	eventually(t, 5*time.Second, "b has no negative tag", func() bool {
		ti := a.ConnManager().GetTagInfo(b.ID())
		return ti != nil && ti.Value == -10
	})
	for range 10 {
		scores.Penalise(b.ID(), "bad request")
	}
	eventually(t, 5*time.Second, "a keeps its connection to banned b", func() bool {
		return a.Network().Connectedness(b.ID()) != network.Connected
	})

	if err := connect(a, b); err == nil || !strings.Contains(err.Error(), "gater disallows") {
		t.Errorf("a dialled banned b: %v, want the gater to refuse", err)
	}
	accepted.Store(0)
	attempts.n.Store(0)
	err = connect(b, a)
	t.Logf("banned b dials a: %v", err)
	// Once b's connection reached a and b no longer holds it, a has
	// decided: a connection a took in would have been counted before a
	// could close it.
	eventually(t, 5*time.Second, "banned b's dial reaches a and a refuses it", func() bool {
		return attempts.n.Load() > 0 && b.Network().Connectedness(a.ID()) != network.Connected
	})
	if n := accepted.Load(); n != 0 || a.Network().Connectedness(b.ID()) == network.Connected {
		t.Errorf("a accepted %d connections from banned b", n)
	}

	clock.Advance(2 * time.Minute) // -200 → -50
	if scores.Banned(b.ID()) {
		t.Fatalf("b still banned at score %g", scores.Score(b.ID()))
	}
	if err := connect(b, a); err != nil {
		t.Errorf("b dials a after its ban: %v", err)
	}
	if err := connect(a, b); err != nil {
		t.Errorf("a dials b after its ban: %v", err)
	}
}

// inboundCounter is a connection gater that admits everything and counts
// the inbound connections that start.
type inboundCounter struct{ n atomic.Int32 }

func (*inboundCounter) InterceptPeerDial(peer.ID) bool                { return true }
func (*inboundCounter) InterceptAddrDial(peer.ID, ma.Multiaddr) bool  { return true }
func (c *inboundCounter) InterceptAccept(network.ConnMultiaddrs) bool { c.n.Add(1); return true }
func (*inboundCounter) InterceptSecured(network.Direction, peer.ID, network.ConnMultiaddrs) bool {
	return true
}
func (*inboundCounter) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}

// A Scores serves one host.
func TestScoresOneHost(t *testing.T) {
	s := newScores(t, p2p.ScoreOptions{})
	h, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Scores: s})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h2, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Scores: s})
	if err == nil {
		h2.Close()
		t.Fatal("a second host took the same Scores")
	}
	if !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("error %v, want invalid", err)
	}
}
