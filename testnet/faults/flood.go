package faults

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// FloodConfig is a hostile peer: a libp2p host of the network (it holds
// the swarm key, as an insider whose node went bad would) that floods the
// announce and governance topics with garbage and opens fetch streams
// that ask for what does not exist or send garbage.
type FloodConfig struct {
	Genesis  string   // the network's genesis file
	SwarmKey string   // the swarm key file
	Listen   string   // its listen multiaddr
	Peers    []string // the daemons' addresses, /ip4/…/p2p/…
	Rate     int      // gossip messages a second (and as many fetch streams)
	Size     int      // bytes of each gossip message
}

// FloodStats is what the hostile peer managed.
type FloodStats struct {
	Published, PublishErrors, Streams, StreamErrors int64
}

// Flood runs the hostile peer until ctx ends.
func Flood(ctx context.Context, cfg FloodConfig) (FloodStats, error) {
	var st FloodStats
	gb, err := os.ReadFile(cfg.Genesis)
	if err != nil {
		return st, err
	}
	_, network, err := protocol.DecodeGenesis(gb)
	if err != nil {
		return st, err
	}
	kb, err := os.ReadFile(cfg.SwarmKey)
	if err != nil {
		return st, err
	}
	psk, err := repo.ParseSwarmKey(kb)
	if err != nil {
		return st, err
	}
	key, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		return st, err
	}
	h, err := p2p.NewHost(p2p.HostConfig{Key: key, Listen: []string{cfg.Listen}, SwarmKey: psk})
	if err != nil {
		return st, err
	}
	defer h.Close()
	g, err := p2p.NewGossip(ctx, h, network, p2p.GossipOptions{})
	if err != nil {
		return st, err
	}
	defer g.Close()
	accept := func(context.Context, peer.ID, []byte) (any, error) { return nil, nil }
	ignore := func(peer.ID, []byte, any) {}
	var topics []*p2p.Topic
	for _, name := range []string{network.AnnounceTopic(), network.GovernanceTopic()} {
		tp, err := g.Join(name, accept, ignore)
		if err != nil {
			return st, err
		}
		topics = append(topics, tp)
	}
	var peers []peer.AddrInfo
	for _, a := range cfg.Peers {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return st, err
		}
		ai, err := peer.AddrInfoFromP2pAddr(m)
		if err != nil {
			return st, err
		}
		peers = append(peers, *ai)
		h.Connect(ctx, *ai)
	}
	var published, pubErrs, streams, streamErrs atomic.Int64
	rate := max(cfg.Rate, 1)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return FloodStats{published.Load(), pubErrs.Load(), streams.Load(), streamErrs.Load()}, nil
		case <-tick.C:
		}
		msg := make([]byte, max(cfg.Size, 16))
		rand.Read(msg)
		if err := topics[i%len(topics)].Publish(ctx, msg); err != nil {
			pubErrs.Add(1)
		} else {
			published.Add(1)
		}
		p := peers[i%len(peers)]
		go func() {
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if h.Network().Connectedness(p.ID) == 0 {
				h.Connect(sctx, p)
			}
			s, err := h.NewStream(sctx, p.ID, fetch.ProtocolID)
			if err != nil {
				streamErrs.Add(1)
				return
			}
			streams.Add(1)
			// A frame that claims far more than it carries, then garbage.
			var frame [binary.MaxVarintLen64]byte
			n := binary.PutUvarint(frame[:], 1<<30)
			s.SetDeadline(time.Now().Add(2 * time.Second))
			s.Write(frame[:n])
			junk := make([]byte, 512)
			rand.Read(junk)
			s.Write(junk)
			s.Reset()
		}()
	}
}

func (s FloodStats) String() string {
	return fmt.Sprintf("published %d gossip messages (%d refused at once), opened %d fetch streams (%d failed)", s.Published, s.PublishErrors, s.Streams, s.StreamErrors)
}
