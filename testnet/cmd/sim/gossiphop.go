package main

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"os"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// gossipSize is a governance update's size on the wire, about: a signed
// vote or proposal with its author's DID.
const gossipSize = 600

// measureGossip times n gossip hops between two hosts of this process,
// made as the daemon makes them (p2p.NewHost on TCP loopback,
// p2p.NewGossip): one publishes a message of size bytes on the
// governance topic, the other's receiver gets it, one message at a time.
// It returns the hops' wall times and their CPU time (this process's,
// by the scheduler's statistics, over the timed hops): the signing and
// sending on one side, the signature's check, the validator's call,
// the delivery on the other. The validator reads nothing: what a
// daemon's validator does with a governance update is not in it.
func measureGossip(n, size int) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var hosts [2]*gossipNode
	for i := range hosts {
		g, err := newGossipNode(ctx)
		if err != nil {
			return nil, 0, err
		}
		defer g.close()
		hosts[i] = g
	}
	a, b := hosts[0], hosts[1]
	if err := a.h.Connect(ctx, peer.AddrInfo{ID: b.h.ID(), Addrs: b.h.Addrs()}); err != nil {
		return nil, 0, err
	}
	// The mesh forms at a heartbeat after the peers see each other's
	// subscription.
	for len(a.t.Peers()) == 0 {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("gossip hop: the two hosts never saw each other's subscription")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * p2p.DefaultGossipHeartbeat)
	const warm = 10
	var hops []time.Duration
	self := []int{os.Getpid()}
	var before schedTime
	for i := range n + warm {
		if i == warm {
			var err error
			if before, err = schedOf(self); err != nil {
				return nil, 0, err
			}
		}
		msg := make([]byte, size)
		crand.Read(msg)
		t0 := time.Now()
		if err := a.t.Publish(ctx, msg); err != nil {
			return nil, 0, err
		}
		select {
		case <-b.got:
		case <-time.After(10 * time.Second):
			return nil, 0, fmt.Errorf("gossip hop %d: not delivered within 10 s", i)
		}
		if i >= warm {
			hops = append(hops, time.Since(t0))
		}
	}
	after, err := schedOf(self)
	if err != nil {
		return nil, 0, err
	}
	return hops, after.sub(before).run / time.Duration(n), nil
}

type gossipNode struct {
	h   host.Host
	g   *p2p.Gossip
	t   *p2p.Topic
	got chan struct{}
}

func newGossipNode(ctx context.Context) (*gossipNode, error) {
	k, err := protocol.GenerateKey(crand.Reader)
	if err != nil {
		return nil, err
	}
	h, err := p2p.NewHost(p2p.HostConfig{Key: k, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		return nil, err
	}
	g, err := p2p.NewGossip(ctx, h, simNetwork, p2p.GossipOptions{})
	if err != nil {
		h.Close()
		return nil, err
	}
	n := &gossipNode{h: h, g: g, got: make(chan struct{}, 1)}
	n.t, err = g.Join(simNetwork.GovernanceTopic(),
		func(context.Context, peer.ID, []byte) (any, error) { return nil, nil },
		func(peer.ID, []byte, any) { n.got <- struct{}{} })
	if err != nil {
		g.Close()
		h.Close()
		return nil, err
	}
	return n, nil
}

func (n *gossipNode) close() {
	n.g.Close()
	n.h.Close()
}
