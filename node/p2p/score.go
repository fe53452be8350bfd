package p2p

import (
	"cmp"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/protocol"
)

// Defaults of ScoreOptions.
const (
	// DefaultScoreHalfLife is the time a penalty takes to lose half its
	// weight. A ban (below DefaultBanThreshold) lasts at least this long.
	DefaultScoreHalfLife = 10 * time.Minute
	// DefaultBanThreshold is the score below which a peer is banned: ten
	// penalties of the default weight within a few minutes.
	DefaultBanThreshold = -100.0
	// DefaultPenaltyWeight is the weight of a reason that no entry of
	// ScoreOptions.Weights begins: a violation of a protocol or an object
	// that does not verify, which an honest peer never sends.
	DefaultPenaltyWeight = 10.0
	// DefaultMaxScoredPeers bounds the peers a Scores table remembers.
	DefaultMaxScoredPeers = 4096
	// DefaultReward is the credit a peer earns by an answer that gave this
	// node what it asked for, verified and stored (Reward).
	DefaultReward = 1.0
	// DefaultMaxCredit bounds a peer's credit: half a penalty of the
	// default weight, so that one violation outweighs all the credit a
	// peer can hold, and far from the ban threshold.
	DefaultMaxCredit = 5.0
)

// ReasonInvalidGossip begins the reason of a penalty for a gossip message
// that did not validate (SPEC.md §7.4).
const ReasonInvalidGossip = "invalid gossip message"

// ReasonOverBudget is the reason of a penalty for a valid gossip message
// past the storage budget of the peer that sent it (SPEC.md §7.4). It
// weighs little: the message was valid, and the peer may be a busy relay.
const ReasonOverBudget = "over budget"

// DefaultPenaltyWeights returns the weights of the reasons the fetch
// protocol (SPEC.md §7.3) and gossip give, keyed by how the reason begins.
// Reasons an honest but slow or eager peer may earn weigh little; a
// violation weighs DefaultPenaltyWeight.
func DefaultPenaltyWeights() map[string]float64 {
	return map[string]float64{
		"over the request rate":       1,  // an eager client; the server refused the stream anyway
		"no complete request within":  2,  // a slow link, or a peer holding streams open
		"no complete answer within":   2,  // likewise, from the client's side
		"request for another network": 20, // a node misconfigured with another genesis
		"bad request":                 DefaultPenaltyWeight,
		ReasonInvalidGossip:           DefaultPenaltyWeight,
		ReasonOverBudget:              1, // valid objects past a peer's storage budget
	}
}

// ScoreOptions configures NewScores. Fields left zero take the defaults.
type ScoreOptions struct {
	// HalfLife is the time a score takes to decay halfway back to 0;
	// default DefaultScoreHalfLife.
	HalfLife time.Duration
	// BanThreshold is the score, below 0, under which a peer is banned;
	// default DefaultBanThreshold.
	BanThreshold float64
	// Weights are what a penalty costs, by the beginning of its reason
	// (the longest match wins); each must be positive. Nil means
	// DefaultPenaltyWeights.
	Weights map[string]float64
	// DefaultWeight is the cost of a reason no key of Weights begins;
	// default DefaultPenaltyWeight.
	DefaultWeight float64
	// Reward is the credit an answer earns (Reward); default
	// DefaultReward.
	Reward float64
	// MaxCredit bounds a peer's credit; default DefaultMaxCredit.
	MaxCredit float64
	// MaxPeers bounds the table; default DefaultMaxScoredPeers.
	MaxPeers int
	// Metrics, when set, counts penalties by reason (the matching key of
	// Weights, or "other") and bans. Scores of several nodes may share it.
	Metrics prometheus.Registerer
	// Logger receives a line per ban; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
}

func (o ScoreOptions) withDefaults() (ScoreOptions, error) {
	if o.HalfLife <= 0 {
		o.HalfLife = DefaultScoreHalfLife
	}
	if o.BanThreshold == 0 {
		o.BanThreshold = DefaultBanThreshold
	}
	if o.Weights == nil {
		o.Weights = DefaultPenaltyWeights()
	}
	if o.DefaultWeight == 0 {
		o.DefaultWeight = DefaultPenaltyWeight
	}
	if o.Reward == 0 {
		o.Reward = DefaultReward
	}
	if o.MaxCredit == 0 {
		o.MaxCredit = DefaultMaxCredit
	}
	if o.MaxPeers <= 0 {
		o.MaxPeers = DefaultMaxScoredPeers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	const op = "new scores"
	if !(o.BanThreshold < 0) || math.IsInf(o.BanThreshold, 0) {
		return o, protocol.E(op, protocol.Invalid, "ban threshold %g, want a finite number below 0", o.BanThreshold)
	}
	for reason, w := range o.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return o, protocol.E(op, protocol.Invalid, "weight %g of %q, want a finite number above 0", w, reason)
		}
	}
	if !(o.DefaultWeight > 0) || math.IsInf(o.DefaultWeight, 0) {
		return o, protocol.E(op, protocol.Invalid, "default weight %g, want a finite number above 0", o.DefaultWeight)
	}
	if !(o.Reward > 0) || math.IsInf(o.Reward, 0) {
		return o, protocol.E(op, protocol.Invalid, "reward %g, want a finite number above 0", o.Reward)
	}
	if !(o.MaxCredit >= o.Reward) || math.IsInf(o.MaxCredit, 0) {
		return o, protocol.E(op, protocol.Invalid, "max credit %g, want a finite number at least the reward %g", o.MaxCredit, o.Reward)
	}
	return o, nil
}

// Scores is this node's opinion of its peers, in two parts that decay
// toward 0 with one half-life. The score is 0 for a peer it knows nothing
// against, lower for each penalty (Penalise). A peer below the ban
// threshold is banned: the host refuses its connections, inbound and
// outbound, until its score decays above the threshold, and the ban closes
// the connections it has. The credit is 0 for a peer that has done nothing
// for this node, higher for each answer that gave the node what it asked
// for, verified and accepted (Reward), up to a bound; a penalty forfeits it, and it
// never lifts a ban. The standing, score plus credit, ranks peers for
// trimming.
//
// Give a Scores to one host (HostConfig.Scores), which gates connections
// with it and tags peers with their standing in the connection manager, so
// that a misbehaving peer is the first to be trimmed and a useful one
// outlasts new and unscored ones; and to Gossip, whose peer scoring counts
// the score (not the credit) as the application-specific score. Scores is
// safe for concurrent use; Penalise, Reward and Score never block on I/O.
type Scores struct {
	opts    ScoreOptions
	weights []weight // longest key first
	metrics *scoreMetrics

	mu        sync.Mutex
	peers     map[peer.ID]score
	lastSweep time.Time
	net       network.Network     // set by NewHost: closes the connections of a banned peer
	tag       connmgr.DecayingTag // set by NewHost: the standing in the connection manager
}

type weight struct {
	prefix string
	w      float64
}

// score is a peer's score (at most 0) and credit (at least 0) as of at.
type score struct {
	value  float64
	credit float64
	at     time.Time
}

// forgetBelow is how close to 0 a score and a credit must have decayed for
// the table to forget the peer: closer than any penalty's weight matters.
const forgetBelow = 0.1

// NewScores returns an empty table.
func NewScores(opts ScoreOptions) (*Scores, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Scores{opts: opts, peers: make(map[peer.ID]score), lastSweep: opts.Now()}
	for prefix, w := range opts.Weights {
		s.weights = append(s.weights, weight{prefix, w})
	}
	slices.SortFunc(s.weights, func(a, b weight) int {
		return cmp.Or(cmp.Compare(len(b.prefix), len(a.prefix)), strings.Compare(a.prefix, b.prefix))
	})
	if opts.Metrics != nil {
		if s.metrics, err = newScoreMetrics(opts.Metrics); err != nil {
			return nil, protocol.E("new scores", protocol.Other, "register metrics: %w", err)
		}
		s.metrics.penalties.WithLabelValues("other") // each reason's series exists from the start
		for _, w := range s.weights {
			s.metrics.penalties.WithLabelValues(w.prefix)
		}
	}
	return s, nil
}

// Penalise lowers p's score by the weight of reason (a short lowercase
// phrase, such as the fetch protocol's), and forfeits p's credit. A
// penalty that takes the score below the ban threshold bans p, and lowers
// its score to at least twice the threshold, so that a ban lasts at least
// a half-life: a banned peer cannot earn further penalties to lengthen it.
// Penalise does not block.
func (s *Scores) Penalise(p peer.ID, reason string) {
	if p == "" {
		return
	}
	key, w := s.weightOf(reason)
	now := s.opts.Now()

	s.mu.Lock()
	s.sweep(now)
	old := s.decay(s.peers[p], now)
	v := old.value - w
	banned := v < s.opts.BanThreshold
	newBan := banned && old.value >= s.opts.BanThreshold
	if newBan {
		v = min(v, 2*s.opts.BanThreshold)
	}
	s.put(p, score{value: v, at: now}, now)
	net, tag := s.net, s.tag
	s.mu.Unlock()

	if s.metrics != nil {
		s.metrics.penalties.WithLabelValues(key).Inc()
		if newBan {
			s.metrics.bans.Inc()
		}
	}
	if tag != nil {
		_ = tag.Bump(p, tagValue(v)) // queue full: the tag is a hint, the table is the truth
	}
	if newBan {
		s.opts.Logger.Info("peer banned", "peer", p, "score", v, "reason", reason,
			"until_about", now.Add(s.banLeft(v)).Format(time.RFC3339))
	}
	if banned && net != nil {
		// Again on every penalty while banned: a connection may have
		// completed its handshake as the ban began.
		go net.ClosePeer(p)
	}
}

// Reward raises p's credit by ScoreOptions.Reward, up to MaxCredit: p
// answered a request of this node with what the node asked for, and the
// node verified it and accepted it, past every check of its door, into its
// store (SPEC.md §7.3, §7.4). Call it once per such answer, never for an
// answer that was empty, not found, not needed or refused: identities cost
// nothing, serving costs little, and only work this node wanted and kept
// may earn standing. A banned peer
// earns nothing. Reward does not block.
func (s *Scores) Reward(p peer.ID) {
	if p == "" {
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	s.sweep(now)
	e := s.decay(s.peers[p], now)
	if e.value < s.opts.BanThreshold {
		s.mu.Unlock()
		return
	}
	e.credit = min(e.credit+s.opts.Reward, s.opts.MaxCredit)
	s.put(p, e, now)
	tag := s.tag
	s.mu.Unlock()

	if s.metrics != nil {
		s.metrics.rewards.Inc()
	}
	if tag != nil {
		_ = tag.Bump(p, tagValue(e.value+e.credit))
	}
}

// put sets p's entry, making room in a full table. The caller holds s.mu.
func (s *Scores) put(p peer.ID, e score, now time.Time) {
	e.at = now
	if _, ok := s.peers[p]; !ok && len(s.peers) >= s.opts.MaxPeers {
		s.evict(now)
	}
	s.peers[p] = e
}

// Score returns p's score now: 0 if nothing is held against p, below 0
// if p misbehaved. Credit does not count.
func (s *Scores) Score(p peer.ID) float64 {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decay(s.peers[p], now).value
}

// Credit returns p's credit now: 0 if p did nothing for this node, at most
// MaxCredit.
func (s *Scores) Credit(p peer.ID) float64 {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decay(s.peers[p], now).credit
}

// Standing returns p's score plus its credit now: what the connection
// manager ranks p by.
func (s *Scores) Standing(p peer.ID) float64 {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.decay(s.peers[p], now)
	return e.value + e.credit
}

// Banned reports whether p's score is below the ban threshold, whatever
// its credit.
func (s *Scores) Banned(p peer.ID) bool { return s.Score(p) < s.opts.BanThreshold }

// Len returns the number of peers the table remembers.
func (s *Scores) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// weightOf returns the key of Weights that reason begins with, or
// "other", and its weight.
func (s *Scores) weightOf(reason string) (string, float64) {
	for _, w := range s.weights {
		if strings.HasPrefix(reason, w.prefix) {
			return w.prefix, w.w
		}
	}
	return "other", s.opts.DefaultWeight
}

// decay returns e decayed to now: score and credit halve every half-life.
func (s *Scores) decay(e score, now time.Time) score {
	dt := now.Sub(e.at)
	if dt <= 0 {
		return e
	}
	f := math.Exp2(-float64(dt) / float64(s.opts.HalfLife))
	return score{value: e.value * f, credit: e.credit * f, at: now}
}

// banLeft is how long a score v takes to decay above the ban threshold.
func (s *Scores) banLeft(v float64) time.Duration {
	return time.Duration(math.Log2(v/s.opts.BanThreshold) * float64(s.opts.HalfLife))
}

// sweep forgets the peers whose scores and credits have decayed to about
// 0, once a half-life. The caller holds s.mu.
func (s *Scores) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < s.opts.HalfLife {
		return
	}
	s.lastSweep = now
	s.forgetNeutral(now)
}

func (s *Scores) forgetNeutral(now time.Time) {
	for p, e := range s.peers {
		if weightOfEntry(s.decay(e, now)) < forgetBelow {
			delete(s.peers, p)
		}
	}
}

// weightOfEntry is how much an entry matters: its penalty and its credit.
func weightOfEntry(e score) float64 { return e.credit - e.value }

// evict makes room in a full table: it forgets the peers whose entries
// have decayed to about 0 and, if that frees nothing, the one that matters
// least. The caller holds s.mu.
func (s *Scores) evict(now time.Time) {
	s.forgetNeutral(now)
	if len(s.peers) < s.opts.MaxPeers {
		return
	}
	var mildest peer.ID
	least := math.Inf(1)
	for p, e := range s.peers {
		if w := weightOfEntry(s.decay(e, now)); w < least {
			mildest, least = p, w
		}
	}
	delete(s.peers, mildest)
}

// attach makes s the score table of the host whose network is n and whose
// connection manager keeps tag.
func (s *Scores) attach(n network.Network, tag connmgr.DecayingTag) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.net != nil {
		return errors.New("the scores are another host's already: give each host its own")
	}
	s.net, s.tag = n, tag
	return nil
}

func (s *Scores) attached() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.net != nil
}

// scoreTag is the name of the connection manager tag that carries
// standings.
const scoreTag = "commons-score"

// registerTag registers the decaying tag of s in the connection manager d.
// Each change of a peer's entry sets the tag to its standing, and at each
// of d's rounds (a minute) the tag is set to the standing decayed in the
// table, so that the tag follows the table to the nearest unit and ends
// when the table forgets the peer.
func (s *Scores) registerTag(d connmgr.Decayer) (connmgr.DecayingTag, error) {
	decay := func(v connmgr.DecayingValue) (int, bool) {
		after := tagValue(s.Standing(v.Peer))
		return after, after == 0
	}
	return d.RegisterDecayingTag(scoreTag, time.Minute, decay, connmgr.BumpOverwrite())
}

// tagValue is a standing v as a tag value: rounded, and never 0 for a
// penalised peer.
func tagValue(v float64) int {
	n := int(math.Round(v))
	if n == 0 && v <= -forgetBelow {
		n = -1
	}
	return n
}

// gater refuses the connections of banned peers.
type gater struct{ s *Scores }

var _ connmgr.ConnectionGater = gater{}

func (g gater) InterceptPeerDial(p peer.ID) bool                 { return !g.s.Banned(p) }
func (g gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !g.s.Banned(p) }

// InterceptAccept lets every connection start: its peer is known only
// after the handshake, at InterceptSecured.
func (g gater) InterceptAccept(network.ConnMultiaddrs) bool { return true }

func (g gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.s.Banned(p)
}

func (g gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

type scoreMetrics struct {
	penalties *prometheus.CounterVec
	bans      prometheus.Counter
	rewards   prometheus.Counter
}

func newScoreMetrics(reg prometheus.Registerer) (*scoreMetrics, error) {
	m := &scoreMetrics{
		penalties: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_p2p_penalties_total",
			Help: "Penalties given to peers, by reason.",
		}, []string{"reason"}),
		bans: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_p2p_bans_total",
			Help: "Peers banned for a score below the ban threshold.",
		}),
		rewards: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_p2p_rewards_total",
			Help: "Answers by peers that gave this node what it asked for, verified and stored, and earned credit.",
		}),
	}
	var err error
	if m.penalties, err = register(reg, m.penalties); err != nil {
		return nil, err
	}
	if m.bans, err = register(reg, m.bans); err != nil {
		return nil, err
	}
	if m.rewards, err = register(reg, m.rewards); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector registered before it
// under the same name, so that several tables can share a registry.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if prev, ok := are.ExistingCollector.(C); ok {
			return prev, nil
		}
	}
	return c, err
}
