package govsync

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Defaults of governance sync.
const (
	// DefaultHeadsInterval is how often a node announces its heads, so
	// that a partition heals without anyone acting.
	DefaultHeadsInterval = 10 * time.Second
	// headsDebounce groups the triggers of an early announcement (a
	// peer joined, a peer is behind) into one.
	headsDebounce = 300 * time.Millisecond
	// maxSync bounds the updates one sync with a peer fetches.
	maxSync = 1 << 17
	// syncs bounds the syncs running at once.
	syncs = 4
	// joinDelay is the wait, after a peer connects, before the heads
	// are announced for it: a GossipSub heartbeat and then some.
	joinDelay = 1500 * time.Millisecond
	// syncTimeout bounds one sync.
	syncTimeout = 2 * time.Minute
)

// Governance is the node's copy of its commons' governance, as sync uses
// it: the DAG under the node's lock, and the placing and storing of
// updates. The node keeps both.
type Governance interface {
	// View calls f with the DAG, under the node's lock. f neither keeps
	// d nor blocks.
	View(f func(d *gov.DAG))
	// Add places u, which passed the door, in the DAG, and stores every
	// update that this placed. Under the same lock, right after the DAG
	// took u, it calls locked (when not nil) with the DAG and the result.
	Add(u *gov.Update, locked func(d *gov.DAG, res gov.AddResult)) (gov.AddResult, error)
}

// Net is the swarm as sync uses it: the governance topic, the fetch
// client, the peer scores and the swarm's lifetime. *swarm.Swarm is one.
type Net interface {
	ID() peer.ID
	Host() host.Host
	GovTopic() *p2p.Topic
	Fetch() *fetch.Client
	Scores() *p2p.Scores
	Go(f func())
	Context() context.Context
}

// Config is what a Sync is made of. Every field is required but Logger.
type Config struct {
	Network protocol.NetworkID
	Gov     Governance
	// Now is the node's clock, for the door's check of an update's time.
	Now    func() time.Time
	Logger *slog.Logger // nil: discard
}

// Sync is the network half of a node's governance. It exists from the
// node's start, for the door (Admit, Place), and reaches the network once
// a swarm attaches it (Attach, then Run).
type Sync struct {
	cfg Config
	log *slog.Logger
	net Net // nil until Attach

	early chan struct{} // asks for an announcement of the heads soon
	sem   chan struct{} // a token per sync running

	// mu guards what follows. The node's lock, when both are taken, is
	// taken first: mu is never held while calling Governance.
	mu sync.Mutex
	// tooEarly holds the times of updates refused as dated too far
	// ahead, by ID (see Admit).
	tooEarly map[protocol.ID]time.Time
	// deferred are stored updates that were dated too far ahead when the
	// node started: kept on disk, tried again on each heads tick.
	deferred []*gov.Update
	// held counts the held updates each peer delivered by gossip.
	held heldBudget
	// syncing is the peers a sync runs with.
	syncing map[peer.ID]bool
	// answered holds, for each peer found behind, the heads of this node
	// it lacked when an early announcement last answered it
	// (answerBehind).
	answered map[peer.ID][]protocol.ID
}

// New returns the sync of a node's governance, not attached to a network.
func New(cfg Config) *Sync {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sync{
		cfg:      cfg,
		log:      log,
		early:    make(chan struct{}, 1),
		sem:      make(chan struct{}, syncs),
		tooEarly: map[protocol.ID]time.Time{},
		held:     newHeldBudget(),
		syncing:  map[peer.ID]bool{},
		answered: map[peer.ID][]protocol.ID{},
	}
}

// Attach gives the sync its network, before the governance topic is
// joined with Validate and Deliver: they read it.
func (s *Sync) Attach(net Net) { s.net = net }

// Run starts the heads announcements, every interval (default
// DefaultHeadsInterval), and the watch for peers that join, until the
// network's context ends. The governance topic is joined.
func (s *Sync) Run(interval time.Duration) {
	interval = cmp.Or(interval, DefaultHeadsInterval)
	s.net.Go(func() { s.announceHeads(s.net.Context(), interval) })
	s.net.Host().Network().Notify(peerJoined{s})
}

// AnnounceSoon asks for an early announcement of the heads.
func (s *Sync) AnnounceSoon() {
	select {
	case s.early <- struct{}{}:
	default:
	}
}

// view reads the DAG under the node's lock.
func (s *Sync) view(f func(d *gov.DAG)) { s.cfg.Gov.View(f) }

// penalise lowers p's score, when the sync is on a network.
func (s *Sync) penalise(p peer.ID, reason string) {
	if s.net != nil && s.net.Scores() != nil {
		s.net.Scores().Penalise(p, reason)
	}
}
