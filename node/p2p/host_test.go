package p2p_test

import (
	"context"
	"crypto/rand"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

func TestHostPeerIDIsNodeKey(t *testing.T) {
	key := newKey(t)
	h := newHost(t, key, nil)
	defer h.Close()
	pub, err := crypto.UnmarshalEd25519PublicKey(key.DID().PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	want, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.ID(); got != want {
		t.Errorf("peer ID %s, want %s (the node key)", got, want)
	}
	if !strings.HasPrefix(h.ID().String(), "12D3KooW") {
		t.Errorf("peer ID %s is not an Ed25519 identity", h.ID())
	}
}

func TestHostListensTCPAndQUIC(t *testing.T) {
	h, err := p2p.NewHost(p2p.HostConfig{
		Key:    newKey(t),
		Listen: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var tcp, quic bool
	for _, a := range h.Addrs() {
		s := a.String()
		tcp = tcp || strings.Contains(s, "/tcp/")
		quic = quic || strings.Contains(s, "/quic-v1")
	}
	if !tcp || !quic {
		t.Errorf("addresses %v: want TCP and QUIC", h.Addrs())
	}
	// Two hosts talk over QUIC alone.
	other, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Listen: []string{"/ip4/127.0.0.1/udp/0/quic-v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: other.ID(), Addrs: other.Addrs()}); err != nil {
		t.Fatalf("connect over QUIC: %v", err)
	}
}

func TestHostRefusesBadConfig(t *testing.T) {
	psk, err := repo.ParseSwarmKey(mustSwarmKey(t))
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := "/ip4/127.0.0.1/tcp/" + strings.TrimPrefix(busy.Addr().String(), "127.0.0.1:")
	for _, tc := range []struct {
		name string
		cfg  p2p.HostConfig
		want string // in the error
		kind protocol.Kind
	}{
		{"no key", p2p.HostConfig{}, "no node key", protocol.Invalid},
		{"quic with a swarm key", p2p.HostConfig{Key: newKey(t), SwarmKey: psk,
			Listen: []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}},
			"private network (swarm key) runs over TCP only", protocol.Invalid},
		{"short swarm key", p2p.HostConfig{Key: newKey(t), SwarmKey: psk[:16]}, "swarm key has 16 bytes", protocol.Invalid},
		{"bad multiaddr", p2p.HostConfig{Key: newKey(t), Listen: []string{"127.0.0.1:4001"}}, "listen address", protocol.Invalid},
		{"watermarks", p2p.HostConfig{Key: newKey(t), ConnLow: 50, ConnHigh: 10}, "low 50 > high 10", protocol.Invalid},
		{"inbound above all", p2p.HostConfig{Key: newKey(t), ResourceLimits: p2p.ResourceLimits{Conns: 10, ConnsInbound: 11}},
			"inbound connection limit 11 is above the connection limit 10", protocol.Invalid},
		{"port in use", p2p.HostConfig{Key: newKey(t), Listen: []string{"/ip4/127.0.0.1/udp/0/quic-v1", busyAddr}},
			"could not listen on " + busyAddr, protocol.Transient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := p2p.NewHost(tc.cfg)
			if err == nil {
				h.Close()
				t.Fatalf("NewHost succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if got := protocol.KindOf(err); got != tc.kind {
				t.Errorf("kind %v, want %v", got, tc.kind)
			}
		})
	}
}

func mustSwarmKey(t testing.TB) []byte {
	t.Helper()
	b, err := repo.NewSwarmKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A private network: hosts with the same swarm key connect; a host with
// another key, or none, cannot even complete a handshake, in either
// direction.
func TestPrivateNetwork(t *testing.T) {
	key1, _ := repo.ParseSwarmKey(mustSwarmKey(t))
	key2, _ := repo.ParseSwarmKey(mustSwarmKey(t))
	a := newHost(t, newKey(t), key1)
	defer a.Close()
	b := newHost(t, newKey(t), key1)
	defer b.Close()
	other := newHost(t, newKey(t), key2)
	defer other.Close()
	open := newHost(t, newKey(t), nil)
	defer open.Close()
	for _, h := range append(a.Addrs(), b.Addrs()...) {
		if _, err := h.ValueForProtocol(ma.P_TCP); err != nil {
			t.Errorf("private host listens on %s, want TCP only", h)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatalf("same swarm key: %v", err)
	}
	kept := []struct {
		name     string
		from, to host.Host
	}{
		{"other key dials in", other, a},
		{"dial other key", a, other},
		{"no key dials in", open, a},
		{"dial no key", a, open},
	}
	t.Run("kept out", func(t *testing.T) {
		for _, tc := range kept {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				err := tc.from.Connect(dctx, peer.AddrInfo{ID: tc.to.ID(), Addrs: tc.to.Addrs()})
				if err == nil {
					t.Fatal("connected, want the handshake to fail")
				}
				t.Log(err)
			})
		}
	})
	if n := len(a.Network().Peers()); n != 1 {
		t.Errorf("private host has %d peers, want 1 (its own network's)", n)
	}
}

// libp2p's metrics go to the registry given, and two hosts can share one
// (a process that runs several nodes).
func TestHostMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		h, err := p2p.NewHost(p2p.HostConfig{Key: newKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Metrics: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "libp2p_") {
			names = append(names, mf.GetName())
		}
	}
	if len(names) == 0 {
		t.Errorf("no libp2p metrics in the registry (%d families)", len(mfs))
	}
}
