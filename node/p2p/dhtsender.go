package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	pb "github.com/libp2p/go-libp2p-kad-dht/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	protocolid "github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-msgio"
	"google.golang.org/protobuf/proto"
)

// How the DHT's messages go out (dhtSender).
const (
	// dhtReadTimeout bounds the wait for one answer, as kad-dht's own
	// sender does.
	dhtReadTimeout = 10 * time.Second
	// MaxIdleDHTStreams is how many open streams to one peer the sender
	// keeps for the next messages; more are opened while as many
	// requests to the peer are under way, and closed after. A peer
	// handles each stream's messages in order, so as many requests at
	// once to a peer (pings) each take one of those streams and return
	// once the messages sent on it before were handled.
	MaxIdleDHTStreams = 4
)

// dhtSender sends the DHT's requests and messages, each on a stream of
// its own while the peer's streams are busy, instead of kad-dht's one
// stream per peer held from a request until its answer. The lookups a
// query makes at once (an attribution's subject, claims and derived
// keys, SPEC.md §7.5) ask the same peers, most of all in a small network
// where the K closest peers to any key are everyone: behind one stream
// each waited a round trip per request ahead of it at every peer.
// Streams are reused, the one used last first, so that a request sent
// after a message (a ping after a provide) goes on the same stream and is
// handled after it, as with kad-dht's sender.
type dhtSender struct {
	h      host.Host
	protos []protocolid.ID

	mu   sync.Mutex
	idle map[peer.ID][]*dhtStream
}

var _ pb.MessageSenderWithDisconnect = (*dhtSender)(nil)

// newDHTSender fits dht.WithCustomMessageSender.
func newDHTSender(h host.Host, protos []protocolid.ID) pb.MessageSenderWithDisconnect {
	return &dhtSender{h: h, protos: protos, idle: map[peer.ID][]*dhtStream{}}
}

type dhtStream struct {
	s      network.Stream
	r      msgio.ReadCloser
	reused bool // taken from the idle streams: the peer may have closed it since
}

// stream takes the idle stream to p used last, or opens one.
func (m *dhtSender) stream(ctx context.Context, p peer.ID) (*dhtStream, error) {
	m.mu.Lock()
	if l := m.idle[p]; len(l) > 0 {
		st := l[len(l)-1]
		m.idle[p] = l[:len(l)-1]
		m.mu.Unlock()
		st.reused = true
		return st, nil
	}
	m.mu.Unlock()
	s, err := m.h.NewStream(ctx, p, m.protos...)
	if err != nil {
		return nil, err
	}
	return &dhtStream{s: s, r: msgio.NewVarintReaderSize(s, network.MessageSizeMax)}, nil
}

// release keeps st for the next message to p, or closes it when enough
// are kept.
func (m *dhtSender) release(p peer.ID, st *dhtStream) {
	m.mu.Lock()
	if len(m.idle[p]) < MaxIdleDHTStreams {
		m.idle[p] = append(m.idle[p], st)
		st = nil
	}
	m.mu.Unlock()
	if st != nil {
		st.s.Close()
	}
}

// OnDisconnect drops the streams kept for p.
func (m *dhtSender) OnDisconnect(_ context.Context, p peer.ID) {
	m.mu.Lock()
	l := m.idle[p]
	delete(m.idle, p)
	m.mu.Unlock()
	for _, st := range l {
		st.s.Reset()
	}
}

// SendMessage sends msg to p without waiting for an answer.
func (m *dhtSender) SendMessage(ctx context.Context, p peer.ID, msg *pb.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("dht message to %s: %w", p, err)
	}
	for {
		st, err := m.stream(ctx, p)
		if err != nil {
			return err
		}
		if err := msgio.NewVarintWriter(st.s).WriteMsg(b); err != nil {
			st.s.Reset()
			if st.reused {
				continue // closed by the peer while idle: try a stream of its own
			}
			return err
		}
		m.release(p, st)
		return nil
	}
}

// SendRequest sends req to p and returns its answer.
func (m *dhtSender) SendRequest(ctx context.Context, p peer.ID, req *pb.Message) (*pb.Message, error) {
	b, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("dht request to %s: %w", p, err)
	}
	for {
		st, err := m.stream(ctx, p)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		resp, err := st.request(ctx, b)
		if err != nil {
			st.s.Reset()
			if st.reused && ctx.Err() == nil && !errors.Is(err, errDHTReadTimeout) {
				continue // closed by the peer while idle: try a stream of its own
			}
			return nil, err
		}
		m.h.Peerstore().RecordLatency(p, time.Since(start))
		m.release(p, st)
		return resp, nil
	}
}

var errDHTReadTimeout = errors.New("dht: timed out reading the answer")

// request writes b and reads one answer, within ctx and dhtReadTimeout.
// A stream that fails is reset by the caller.
func (st *dhtStream) request(ctx context.Context, b []byte) (*pb.Message, error) {
	if err := msgio.NewVarintWriter(st.s).WriteMsg(b); err != nil {
		return nil, err
	}
	timeout := time.AfterFunc(dhtReadTimeout, func() { st.s.SetReadDeadline(time.Now()) })
	cancelled := context.AfterFunc(ctx, func() { st.s.SetReadDeadline(time.Now()) })
	raw, err := st.r.ReadMsg()
	timedOut, stopped := !timeout.Stop(), !cancelled()
	switch {
	case stopped:
		return nil, ctx.Err()
	case timedOut:
		return nil, errDHTReadTimeout
	case err != nil:
		return nil, err
	}
	defer st.r.ReleaseMsg(raw)
	st.s.SetReadDeadline(time.Time{})
	resp := new(pb.Message)
	if err := proto.Unmarshal(raw, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
