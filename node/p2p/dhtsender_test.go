package p2p_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	pb "github.com/libp2p/go-libp2p-kad-dht/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	"github.com/libp2p/go-msgio"
	"google.golang.org/protobuf/proto"

	"github.com/commons-p2p/commons/node/p2p"
)

// TestDHTRequestsToOnePeerDoNotWait: a DHT request to a peer is answered
// while an earlier request to the same peer still waits for its answer,
// as the lookups of one query (subject, claims, derived) ask the same
// peers at once. The peer here never answers the first ping it gets
// and answers every other.
func TestDHTRequestsToOnePeerDoNotWait(t *testing.T) {
	a := newHost(t, newKey(t), nil)
	d, err := p2p.NewDHT(a, netA, p2p.DHTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	b := newHost(t, newKey(t), nil)
	held := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var armed atomic.Bool // the next ping is held
	b.SetStreamHandler(libp2pprotocol.ID(netA.ProtocolPrefix()+"/kad/1.0.0"), func(s network.Stream) {
		defer s.Reset()
		r := msgio.NewVarintReaderSize(s, network.MessageSizeMax)
		w := msgio.NewVarintWriter(s)
		for {
			raw, err := r.ReadMsg()
			if err != nil {
				return
			}
			var req pb.Message
			if err := proto.Unmarshal(raw, &req); err != nil {
				return
			}
			if req.Type == pb.Message_PING && armed.CompareAndSwap(true, false) {
				close(held)
				<-release
				return
			}
			resp, _ := proto.Marshal(&pb.Message{Type: req.Type})
			if err := w.WriteMsg(resp); err != nil {
				return
			}
		}
	})
	if err := a.Connect(t.Context(), peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatal(err)
	}

	first := make(chan error, 1)
	armed.Store(true)
	go func() { first <- d.Ping(t.Context(), b.ID()) }()
	<-held
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Ping(ctx, b.ID()); err != nil {
		t.Fatalf("a second request while the first waits: %v", err)
	}
	select {
	case err := <-first:
		t.Fatalf("the first request ended (%v) before the second was answered: requests to one peer waited for each other", err)
	default:
	}
}

// BenchmarkConcurrentLookups times what an attribution's search makes of
// the DHT: three provider lookups at once, of keys no one provides (each
// runs to its end), from one node of 20 in one process, every link 50 ms
// each way (RTT 100 ms), every node connected to every other, as in the
// faults harness's latency schedule. Against the same made with kad-dht's
// own sender, which holds one stream per peer from a request to its
// answer, in the same run:
//
//	go test -run '^$' -bench ConcurrentLookups -benchtime 20x ./node/p2p/
func BenchmarkConcurrentLookups(b *testing.B) {
	for _, tc := range []struct {
		name  string
		start func(h host.Host) (*dht.IpfsDHT, error)
	}{
		{"kad-dht-sender", func(h host.Host) (*dht.IpfsDHT, error) {
			return dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix(libp2pprotocol.ID(netA.ProtocolPrefix())), dht.DisableValues())
		}},
		{"commons-sender", func(h host.Host) (*dht.IpfsDHT, error) { return p2p.NewDHT(h, netA, p2p.DHTOptions{}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			nodes := meshOfDHTs(b, 20, 50*time.Millisecond, tc.start)
			b.ResetTimer()
			for i := range b.N {
				from := nodes[i%len(nodes)]
				var wg sync.WaitGroup
				for range 3 {
					key := randomKey(b)
					wg.Go(func() {
						for range from.FindProvidersAsync(b.Context(), key, 21) {
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/attribution")
		})
	}
}

// meshOfDHTs starts n DHT nodes on a mocknet, every one connected to every
// other and its routing table refreshed, then gives every link latency
// one way.
func meshOfDHTs(b *testing.B, n int, latency time.Duration, start func(h host.Host) (*dht.IpfsDHT, error)) []*dht.IpfsDHT {
	mn := mocknet.New()
	b.Cleanup(func() { mn.Close() })
	nodes := make([]*dht.IpfsDHT, n)
	for i := range nodes {
		h, err := mn.GenPeer()
		if err != nil {
			b.Fatal(err)
		}
		if nodes[i], err = start(h); err != nil {
			b.Fatal(err)
		}
		d := nodes[i]
		b.Cleanup(func() { d.Close() })
	}
	if err := mn.LinkAll(); err != nil {
		b.Fatal(err)
	}
	if err := mn.ConnectAllButSelf(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	for i, d := range nodes {
		for d.RoutingTable().Size() < n-1 {
			if ctx.Err() != nil {
				b.Fatalf("node %d: %d peers in its routing table, want %d", i, d.RoutingTable().Size(), n-1)
			}
			<-d.RefreshRoutingTable()
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, byPeer := range mn.Links() {
		for _, links := range byPeer {
			for l := range links {
				l.SetOptions(mocknet.LinkOptions{Latency: latency})
			}
		}
	}
	return nodes
}
