package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/protocol"
)

// Peer is a connected peer: its ID, the addresses of its connections, its
// score and its credit.
type Peer struct {
	ID     peer.ID
	Addrs  []string
	Score  float64
	Credit float64
}

// Addrs returns the node's full multiaddrs (ending in /p2p/PEER); none for
// a nil swarm.
func (s *Swarm) Addrs() []string {
	if s == nil {
		return []string{}
	}
	h := s.host
	full, err := peer.AddrInfoToP2pAddrs(&peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()})
	if err != nil {
		return []string{}
	}
	out := make([]string, len(full))
	for i, a := range full {
		out[i] = a.String()
	}
	return out
}

// Connect dials the peer at addr, a multiaddr ending in /p2p/PEER, and
// keeps the connection only to a member of this commons.
func (s *Swarm) Connect(ctx context.Context, addr string) (Peer, error) {
	const op = "connect"
	if s == nil {
		return Peer{}, protocol.E(op, protocol.Transient, "the node is not on the network")
	}
	m, err := ma.NewMultiaddr(addr)
	if err != nil {
		return Peer{}, protocol.E(op, protocol.Invalid, "%q is not a multiaddr: %v", addr, err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(m)
	if err != nil {
		return Peer{}, protocol.E(op, protocol.Invalid, "%q does not end in /p2p/PEER: %v", addr, err)
	}
	if ai.ID == s.host.ID() {
		return Peer{}, protocol.E(op, protocol.Invalid, "%s is this node", ai.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.host.Connect(ctx, *ai); err != nil {
		return Peer{}, protocol.E(op, protocol.Transient, "%s: %v", addr, err)
	}
	if err := s.checkMember(ctx, ai.ID); err != nil {
		s.host.Network().ClosePeer(ai.ID)
		return Peer{}, protocol.E(op, protocol.Forbidden, "%s: %v", addr, err)
	}
	return s.peer(ai.ID), nil
}

// kadProtocol is this network's DHT protocol, which every member speaks.
func (s *Swarm) kadProtocol() libp2pprotocol.ID {
	return libp2pprotocol.ID(s.cfg.Network.ProtocolPrefix() + "/kad/1.0.0")
}

// checkMember asks p to speak this network's DHT protocol: a peer of
// another commons (another genesis) does not, and a connection to it would
// serve neither side.
func (s *Swarm) checkMember(ctx context.Context, p peer.ID) error {
	st, err := s.host.NewStream(ctx, p, s.kadProtocol())
	if err != nil {
		return fmt.Errorf("the peer is not a member of this commons (network %s): %v", s.cfg.Network, err)
	}
	st.Reset()
	return nil
}

// Peers lists the peers the node is connected to, by peer ID; none for a
// nil swarm.
func (s *Swarm) Peers() []Peer {
	out := []Peer{}
	if s == nil {
		return out
	}
	for _, p := range s.host.Network().Peers() {
		out = append(out, s.peer(p))
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

func (s *Swarm) peer(p peer.ID) Peer {
	info := Peer{ID: p, Addrs: []string{}, Score: s.scores.Score(p), Credit: s.scores.Credit(p)}
	for _, c := range s.host.Network().ConnsToPeer(p) {
		info.Addrs = append(info.Addrs, c.RemoteMultiaddr().String())
	}
	return info
}

// DefaultOutsiderGrace is how long a peer may stay connected without
// speaking this commons' DHT protocol: time for a node that is starting to
// register it and tell its peers (identify push).
const DefaultOutsiderGrace = 10 * time.Second

// dropOutsiders closes the connections of peers that, grace after
// identifying themselves, still do not speak this commons' DHT protocol:
// nodes of another genesis, or no commons node at all. They could share
// nothing with this node (SPEC.md §7.2) and would only hold its resources.
func (s *Swarm) dropOutsiders(ctx context.Context, grace time.Duration) error {
	h := s.host
	sub, err := h.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
	if err != nil {
		return err
	}
	kad := s.kadProtocol()
	s.wg.Go(func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-sub.Out():
				p := e.(event.EvtPeerIdentificationCompleted).Peer
				time.AfterFunc(grace, func() {
					if ctx.Err() != nil || h.Network().Connectedness(p) != network.Connected {
						return
					}
					if ok, _ := h.Peerstore().SupportsProtocols(p, kad); len(ok) == 0 {
						s.log.Info("network: closing a peer of no commons or another", "peer", p)
						h.Network().ClosePeer(p)
					}
				})
			}
		}
	})
	return nil
}
