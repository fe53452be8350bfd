package node

import (
	"context"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
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
// waits until the victim is its topic peer and a heartbeat has passed.
func hostileTopic(t *testing.T, victim *netNode, topic string) hostilePublisher {
	t.Helper()
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
	waitFor(t, "the hostile peer joins the topic", func() bool { return len(tp.Peers()) > 0 })
	time.Sleep(300 * time.Millisecond)
	return hostilePublisher{Topic: tp, host: h, hostID: h.ID()}
}
