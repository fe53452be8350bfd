package p2p

import (
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// GossipSub's peer scoring, in the units of Scores: a peer's gossip score
// is its Scores score (weight 1) plus what GossipSub measures itself. The
// thresholds put a peer that Scores bans (DefaultBanThreshold) on
// GossipSub's gray list too, and a peer half-way there out of gossip.
const (
	gossipThreshold             = -50  // below: no gossip (IHAVE/IWANT) to or from the peer
	publishThreshold            = -80  // below: not published to
	graylistThreshold           = -100 // below: everything from the peer ignored
	acceptPXThreshold           = 10   // peer exchange only from peers that delivered first, often
	opportunisticGraftThreshold = 2
)

func gossipThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           acceptPXThreshold,
		OpportunisticGraftThreshold: opportunisticGraftThreshold,
	}
}

// gossipScoreParams are GossipSub's score parameters: app is the
// application-specific score (Scores), topics the network's topics.
func gossipScoreParams(app func(peer.ID) float64, topics []string) *pubsub.PeerScoreParams {
	const decayInterval = time.Second
	decay := func(toZero time.Duration) float64 {
		return pubsub.ScoreParameterDecayWithBase(toZero, decayInterval, pubsub.DefaultDecayToZero)
	}
	topic := &pubsub.TopicScoreParams{
		TopicWeight: 1,
		// P1: up to +6, after ten minutes in the mesh.
		TimeInMeshWeight:  0.01,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     600,
		// P2: +1 per message first delivered by the peer, up to +20,
		// forgotten within an hour.
		FirstMessageDeliveriesWeight: 1,
		FirstMessageDeliveriesDecay:  decay(time.Hour),
		FirstMessageDeliveriesCap:    20,
		// P3 and P3b (too few deliveries in the mesh) are off: new
		// objects and governance updates are sparse, and a quiet mesh
		// peer is not a failing one.
		//
		// P4: the square of the invalid messages the peer sent, forgotten
		// within an hour (about nine minutes to halve the count). One
		// invalid message costs 50 (out of gossip), two 200 (gray list):
		// an honest node validates before it forwards, so it never sends
		// one.
		InvalidMessageDeliveriesWeight: -50,
		InvalidMessageDeliveriesDecay:  decay(time.Hour),
	}
	params := &pubsub.PeerScoreParams{
		Topics:            make(map[string]*pubsub.TopicScoreParams, len(topics)),
		TopicScoreCap:     30, // the good a peer can earn in topics
		AppSpecificScore:  app,
		AppSpecificWeight: 1,
		// P6: an institution may run several nodes behind one address;
		// past 10 peers on one IP, each costs the square of the excess.
		// GossipSub ignores loopback addresses here.
		IPColocationFactorWeight:    -5,
		IPColocationFactorThreshold: 10,
		// P7: broken IHAVE promises and grafts during a backoff, past 6,
		// squared, forgotten within ten minutes.
		BehaviourPenaltyWeight:    -10,
		BehaviourPenaltyThreshold: 6,
		BehaviourPenaltyDecay:     decay(10 * time.Minute),
		DecayInterval:             decayInterval,
		DecayToZero:               pubsub.DefaultDecayToZero,
		// A peer that disconnects keeps its score this long: reconnecting
		// does not clear it.
		RetainScore: 30 * time.Minute,
	}
	for _, t := range topics {
		params.Topics[t] = topic
	}
	return params
}
