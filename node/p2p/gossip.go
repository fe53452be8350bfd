package p2p

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	protocolid "github.com/libp2p/go-libp2p/core/protocol"

	"github.com/commons-p2p/commons/protocol"
)

// GossipProtocolID is the GossipSub protocol of every commons (SPEC.md
// §7.4): GossipSub v1.2 under a name of its own, because its message size
// limit is not libp2p's default, and so that a commons mesh never takes in
// peers of other GossipSub networks. Topic names carry the network ID.
const GossipProtocolID = protocolid.ID("/commons/meshsub/1.2.0")

// MaxGossipMessageSize is the largest message a topic carries: one
// envelope (SPEC.md §2.1).
const MaxGossipMessageSize = protocol.MaxEnvelopeSize

// gossipRPCSlack is what GossipSub's framing adds to a message's data in
// an RPC: author, sequence number, topic, signature, field tags. A few
// hundred bytes with the topics of §7.1.
const gossipRPCSlack = 4 << 10

// DefaultGossipHeartbeat is the time between two GossipSub heartbeats,
// at which the mesh is repaired and gossip emitted: libp2p's default.
const DefaultGossipHeartbeat = time.Second

// Validation bounds per topic. A message waits at most validateTimeout
// for its validator, and at most validateConcurrency messages are
// validated at once; messages beyond are dropped unvalidated, without
// penalty. Each message is up to MaxGossipMessageSize in memory.
const (
	validateTimeout     = 10 * time.Second
	validateConcurrency = 32
)

// GossipOptions configures NewGossip. Fields left zero take the defaults.
type GossipOptions struct {
	// Scores is told of every peer that forwards an invalid message, and
	// is GossipSub's application-specific score, so that a peer that
	// misbehaves on the fetch protocol loses its standing in the mesh
	// too. Nil means no penalties beyond GossipSub's own scoring.
	Scores *Scores
	// Heartbeat is the GossipSub heartbeat; default DefaultGossipHeartbeat.
	// Tests shorten it.
	Heartbeat time.Duration
	// Logger receives a debug line per rejected message, and GossipSub's
	// own log; nil logs nothing.
	Logger *slog.Logger
}

// Gossip is a node's GossipSub for the topics of one commons (SPEC.md
// §7.4). Join a topic to publish on it and receive from it.
type Gossip struct {
	h       host.Host
	network protocol.NetworkID
	opts    GossipOptions
	ps      *pubsub.PubSub
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  sync.Once

	scores atomic.Pointer[map[peer.ID]float64] // GossipSub's, as of the last heartbeat
}

// ValidateFunc decodes and verifies a message from a peer before it is
// delivered or forwarded, and returns what DeliverFunc is given with the
// message. An error of kind protocol.Invalid rejects the message: it is
// dropped, not forwarded, and the peer that sent it penalised. Any other
// error ignores it: dropped and not forwarded, without penalty — a store
// that failed, an object already held, or one dated too far ahead to
// accept yet (SPEC.md §7.4: wrap protocol.CheckTime's error, of kind
// Invalid, in another kind). ctx ends after 10 s. Publish calls it too,
// on the node's own messages, with the node's own peer ID as from.
type ValidateFunc func(ctx context.Context, from peer.ID, data []byte) (any, error)

// DeliverFunc receives a valid message from another node, with what its
// validator returned. from is the peer that passed it on, not necessarily
// its author.
type DeliverFunc func(from peer.ID, data []byte, v any)

// NewGossip starts GossipSub on h for the topics of network. It runs
// until ctx ends or Close.
func NewGossip(ctx context.Context, h host.Host, network protocol.NetworkID, opts GossipOptions) (*Gossip, error) {
	const op = "new gossip"
	if network.IsZero() {
		return nil, protocol.E(op, protocol.Invalid, "no network ID: a node gossips on the topics of its network")
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultGossipHeartbeat
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	g := &Gossip{h: h, network: network, opts: opts, ctx: ctx, cancel: cancel}

	params := pubsub.DefaultGossipSubParams()
	params.HeartbeatInterval = opts.Heartbeat
	topics := g.topics()
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithGossipSubProtocols([]protocolid.ID{GossipProtocolID}, gossipFeatures),
		pubsub.WithGossipSubParams(params),
		pubsub.WithMaxMessageSize(MaxGossipMessageSize+gossipRPCSlack),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithPeerScore(gossipScoreParams(g.appScore, topics), gossipThresholds()),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(g.inspect), opts.Heartbeat),
		// Peers' subscriptions to other topics are not even remembered.
		pubsub.WithSubscriptionFilter(pubsub.NewAllowlistSubscriptionFilter(topics...)),
		pubsub.WithLogger(opts.Logger),
	)
	if err != nil {
		cancel()
		return nil, protocol.E(op, protocol.Other, "%w", err)
	}
	g.ps = ps
	return g, nil
}

// gossipFeatures says what GossipProtocolID supports: GossipSub v1.2's
// mesh, peer exchange and IDONTWANT, which spares a peer copies of a large
// message it already has.
func gossipFeatures(feat pubsub.GossipSubFeature, proto protocolid.ID) bool {
	if proto != GossipProtocolID {
		return false
	}
	switch feat {
	case pubsub.GossipSubFeatureMesh, pubsub.GossipSubFeaturePX, pubsub.GossipSubFeatureIdontwant:
		return true
	}
	return false
}

// topics are the topics of g's network (SPEC.md §7.1).
func (g *Gossip) topics() []string {
	return []string{g.network.AnnounceTopic(), g.network.GovernanceTopic()}
}

func (g *Gossip) appScore(p peer.ID) float64 {
	if g.opts.Scores == nil {
		return 0
	}
	return g.opts.Scores.Score(p)
}

func (g *Gossip) inspect(scores map[peer.ID]float64) { g.scores.Store(&scores) }

// PeerScore returns GossipSub's score of p as of the last heartbeat: the
// sum of its topic scores (time in the mesh, first deliveries, invalid
// messages), its behaviour penalty and its Scores score. 0 for a peer
// GossipSub does not know.
func (g *Gossip) PeerScore(p peer.ID) float64 {
	if m := g.scores.Load(); m != nil {
		return (*m)[p]
	}
	return 0
}

// Topic is a joined topic.
type Topic struct {
	g        *Gossip
	name     string
	t        *pubsub.Topic
	validate ValidateFunc
	deliver  DeliverFunc
}

// Join joins topic, one of the network's (AnnounceTopic or
// GovernanceTopic), with the validator every message from other nodes
// passes before it is delivered or forwarded. deliver is called for each
// valid message from another node, one at a time, from a goroutine of the
// topic; messages that arrive while more than 32 wait are dropped for this
// node, so deliver should hand slow work on. A node's own messages are not
// delivered to it. Join a topic once.
func (g *Gossip) Join(topic string, validate ValidateFunc, deliver DeliverFunc) (*Topic, error) {
	op := "join " + topic
	if !slices.Contains(g.topics(), topic) {
		return nil, protocol.E(op, protocol.Invalid, "not a topic of network %s", g.network)
	}
	if validate == nil || deliver == nil {
		return nil, protocol.E(op, protocol.Invalid, "a topic needs a validator and a receiver")
	}
	pt, err := g.ps.Join(topic)
	if err != nil {
		return nil, protocol.E(op, protocol.Exists, "%w", err)
	}
	t := &Topic{g: g, name: topic, t: pt, validate: validate, deliver: deliver}
	err = g.ps.RegisterTopicValidator(topic, t.validator,
		pubsub.WithValidatorTimeout(validateTimeout), pubsub.WithValidatorConcurrency(validateConcurrency))
	if err != nil {
		pt.Close()
		return nil, protocol.E(op, protocol.Other, "%w", err)
	}
	sub, err := pt.Subscribe()
	if err != nil {
		g.ps.UnregisterTopicValidator(topic)
		pt.Close()
		return nil, protocol.E(op, protocol.Other, "%w", err)
	}
	g.wg.Go(func() { t.receive(sub) })
	return t, nil
}

// ownMessage marks the validator data of a message this node publishes,
// which Publish has validated already.
type ownMessage struct{ v any }

// validator is GossipSub's validator of t: it runs t.validate on messages
// from other peers and penalises those that send invalid ones.
func (t *Topic) validator(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
	if from == t.g.h.ID() {
		if own, ok := m.ValidatorData.(ownMessage); ok {
			m.ValidatorData = own.v
			return pubsub.ValidationAccept
		}
		return pubsub.ValidationIgnore
	}
	v, err := t.validate(ctx, from, m.Data)
	switch {
	case err == nil:
		m.ValidatorData = v
		return pubsub.ValidationAccept
	case protocol.IsKind(err, protocol.Invalid):
		t.g.opts.Logger.Debug("gossip: rejected message", "topic", t.name, "peer", from, "err", err)
		if t.g.opts.Scores != nil {
			t.g.opts.Scores.Penalise(from, ReasonInvalidGossip+": "+err.Error())
		}
		return pubsub.ValidationReject
	default:
		return pubsub.ValidationIgnore
	}
}

// receive delivers t's messages from other nodes until g closes.
func (t *Topic) receive(sub *pubsub.Subscription) {
	self := t.g.h.ID()
	for {
		m, err := sub.Next(t.g.ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == self || m.GetFrom() == self {
			continue
		}
		t.deliver(m.ReceivedFrom, m.Data, m.ValidatorData)
	}
}

// Publish validates data as a message from other nodes would be, and
// sends it to the topic's mesh. It refuses data over MaxGossipMessageSize
// (TooLarge), which GossipSub would drop silently, and data its validator
// refuses, with the validator's error. Gossip is best effort: Publish does
// not wait for anyone to receive the message, and a message published
// before the mesh has formed (a heartbeat after peers connect) may reach
// no one.
func (t *Topic) Publish(ctx context.Context, data []byte) error {
	op := "publish on " + t.name
	if len(data) > MaxGossipMessageSize {
		return protocol.E(op, protocol.TooLarge, "message is %d bytes, over the limit of %d", len(data), MaxGossipMessageSize)
	}
	v, err := t.validate(ctx, t.g.h.ID(), data)
	if err != nil {
		return protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	if err := t.t.Publish(ctx, data, pubsub.WithValidatorData(ownMessage{v})); err != nil {
		return protocol.E(op, protocol.Transient, "%w", err)
	}
	return nil
}

// Peers returns the peers known to be subscribed to the topic.
func (t *Topic) Peers() []peer.ID { return t.t.ListPeers() }

// String returns the topic's name.
func (t *Topic) String() string { return t.name }

// Close leaves every topic and stops GossipSub. It waits for deliveries in
// progress to return.
func (g *Gossip) Close() error {
	g.closed.Do(func() {
		g.cancel()
		g.wg.Wait()
		// GossipSub leaves its stream handler behind when it stops.
		g.h.RemoveStreamHandler(GossipProtocolID)
	})
	return nil
}
