package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	dto "github.com/prometheus/client_model/go"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// Attacks by a peer on the gossip topics, and the rules that stop them
// (SPEC.md §7.4, §8.9).

// hostilePublisher is a libp2p host of its own on one topic of a victim's
// commons, whose validator lets anything out.
type hostilePublisher struct {
	*p2p.Topic
	host   host.Host
	hostID peer.ID
}

// hostileTopic starts a hostile peer, joins topic, connects to victim and
// waits until the victim is in its mesh, where what it publishes goes.
func hostileTopic(t *testing.T, victim *netNode, topic string) hostilePublisher {
	t.Helper()
	return hostileTopics(t, victim, topic, 1)[0]
}

// hostileTopics starts n hostile peers as hostileTopic does, at once.
func hostileTopics(t *testing.T, victim *netNode, topic string, n int) []hostilePublisher {
	t.Helper()
	var out []hostilePublisher
	var gs []*p2p.Gossip
	for range n {
		h, err := p2p.NewHost(p2p.HostConfig{Key: mustKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		g, err := p2p.NewGossip(t.Context(), h, victim.repo.Network, p2p.GossipOptions{Heartbeat: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		tp, err := g.Join(topic, func(context.Context, peer.ID, []byte) (any, error) { return nil, nil }, func(peer.ID, []byte, any) {})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Connect(t.Context(), peer.AddrInfo{ID: victim.Host().ID(), Addrs: victim.Host().Addrs()}); err != nil {
			t.Fatal(err)
		}
		out = append(out, hostilePublisher{Topic: tp, host: h, hostID: h.ID()})
		gs = append(gs, g)
	}
	// Before anything has passed between them, a hostile peer's GossipSub
	// score of the victim turns positive only for the victim's time in its
	// mesh, after a second.
	for _, g := range gs {
		waitFor(t, "the victim in the hostile peer's mesh", func() bool { return g.PeerScore(victim.Host().ID()) > 0 })
	}
	return out
}

// signedRevocation makes a revocation of id by key, as an encoded envelope.
func signedRevocation(t *testing.T, key *protocol.Key, id protocol.ID) []byte {
	t.Helper()
	env, err := protocol.NewEnvelope(protocol.KindRevocation, protocol.ReferenceSubject(id),
		protocol.Revocation{Issuer: key.DID(), Reason: "hostile", Created: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	key.Sign(env)
	return env.Encode()
}

// TestGossipRevocationsTheStoreRefuses: a peer gossips revocations that
// verify but that every store refuses — of another issuer's claim, of a
// dataset. The victim's validator judges them as its store does: it
// rejects them, penalises the peer and forwards nothing; no node stores
// them. Before, the validator let them through to every node.
func TestGossipRevocationsTheStoreRefuses(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{gossip: true})
	victim := nodes[0]
	waitMesh(t, nodes)
	ds := mustDataset(t, victim.Node, "target")
	claim, err := victim.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds.ID, Role: "author", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		waitFor(t, "the claim reaches every node", func() bool { ok, _ := n.store.Has(claim.ID); return ok })
	}
	mallory := mustKey(t)
	bad := map[string][]byte{
		"another issuer's claim": signedRevocation(t, mallory, claim.ID),
		"a dataset":              signedRevocation(t, victim.repo.NodeKey, ds.ID),
	}
	// A peer of its own for each: the victim stops listening to one that
	// sent an invalid message.
	hostiles := hostileTopics(t, victim, victim.repo.Network.AnnounceTopic(), len(bad))
	for name, msg := range bad {
		hostile := hostiles[0]
		hostiles = hostiles[1:]
		o, err := protocol.VerifyObject(msg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := victim.store.CheckPut(o); err == nil {
			t.Fatalf("%s: the store would keep it", name)
		}
		refused := gossipedCount(t, victim, "refused")
		if err := hostile.Publish(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the victim judges the revocation of "+name, func() bool { return gossipedCount(t, victim, "refused") > refused })
		waitFor(t, "the victim penalises the sender of the revocation of "+name, func() bool { return victim.scoreOf(hostile.hostID) < 0 })
		for _, n := range nodes {
			if ok, _ := n.store.Has(o.ID); ok {
				t.Errorf("%s: stored", name)
			}
		}
	}
	// An honest revocation still goes through. It goes after the refused
	// ones on the victim's streams to its neighbours, so once it has
	// arrived, a refused one passed on would have arrived before it.
	rev, err := victim.Revoke(t.Context(), claim.ID, api.RevokeRequest{Reason: "withdrawn"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		waitFor(t, "an honest revocation still flows", func() bool { ok, _ := n.store.Has(rev.ID); return ok })
	}
	for _, n := range nodes[1:] {
		if s := n.scoreOf(victim.Host().ID()); s < 0 {
			t.Errorf("a neighbour penalised the victim (%v): a refused revocation was forwarded", s)
		}
		if got := gossipedCount(t, n, "refused"); got != 0 {
			t.Errorf("a neighbour received %v refused announcements: the victim forwarded them", got)
		}
	}
}

// gossipedCount reads n's count of announce-topic messages with outcome.
func gossipedCount(t *testing.T, n *netNode, outcome string) float64 {
	t.Helper()
	var m dto.Metric
	if err := n.metrics.Swarm.Gossiped.WithLabelValues(outcome).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
