package fetch

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// The server's defences against hostile clients. Each case ends with the
// server answering a well-behaved client on another host.

// openRaw opens a fetch stream from h to p for a test to write by hand.
func openRaw(tb testing.TB, h host.Host, p peer.ID) network.Stream {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := h.NewStream(ctx, p, ProtocolID)
	if err != nil {
		tb.Fatal(err)
	}
	_ = st.SetDeadline(time.Now().Add(10 * time.Second))
	tb.Cleanup(func() { st.Reset() })
	return st
}

// sendRaw writes raw on a new stream, closes the write side and returns
// the server's refusal.
func sendRaw(tb testing.TB, h host.Host, p peer.ID, raw []byte) *RemoteError {
	tb.Helper()
	st := openRaw(tb, h, p)
	if _, err := st.Write(raw); err != nil {
		tb.Fatal(err)
	}
	_ = st.CloseWrite()
	typ, body, err := newFrameReader(st).next(func(byte) (int, bool) { return MaxNodeSize, true })
	if err != nil {
		tb.Fatalf("no answer: %v", err)
	}
	if typ != frameError {
		tb.Fatalf("answer is a frame of type 0x%02x, want an error frame", typ)
	}
	var re *RemoteError
	if err := decodeError(body); !errors.As(err, &re) {
		tb.Fatalf("bad error frame: %v", err)
	}
	return re
}

func requestJSON(tb testing.TB, members string) []byte {
	return appendFrame(nil, frameRequest, []byte(`{"network":"`+testNetwork.String()+`",`+members+`}`))
}

func TestServerRefusesMalformedRequests(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	id := `"` + f.datasets[0].ID.String() + `"`
	manyIDs := make([]string, MaxIDs+1)
	for i := range manyIDs {
		manyIDs[i] = `"` + protocol.ObjectID([]byte{byte(i), byte(i >> 8)}).String() + `"`
	}
	good := requestJSON(t, `"op":"objects","ids":[`+id+`]`)
	cases := []struct {
		name, raw, reason string
	}{
		{"garbage", "hello, is this the fetch protocol?", "unexpected frame type"},
		{"oversized frame", string(appendUvarint(nil, 1<<30)) + "\x01{", "over the limit"},
		{"frame cut short", string(appendUvarint(nil, 100)) + "\x01{", "inside a frame"},
		{"request over MaxRequestSize", string(appendUvarint(nil, MaxRequestSize+2)) + "\x01{", "over the limit"},
		{"too many ids", string(requestJSON(t, `"op":"objects","ids":[`+strings.Join(manyIDs, ",")+`]`)), "257 ids"},
		{"unknown op", string(requestJSON(t, `"op":"delete","ids":[`+id+`]`)), "unknown op"},
		{"not json", string(appendFrame(nil, frameRequest, []byte("{not json"))), "bad request"},
		{"wrong frame type", string(appendFrame(nil, frameObject, good[2:])), "unexpected frame type 0x10"},
		{"two requests", string(good) + string(good), "data after the request"},
		{"member twice", string(requestJSON(t, `"op":"objects","op":"claims","ids":[`+id+`]`)), "given twice"},
		{"member in other case", string(requestJSON(t, `"Op":"objects","ids":[`+id+`]`)), "unknown member"},
		{"non-canonical id", string(requestJSON(t, `"op":"objects","ids":["B`+strings.ToUpper(id[2:])+`]`)), "canonical"},
		{"limit as a string", string(requestJSON(t, `"op":"claims","subject":`+id+`,"limit":"5"`)), "limit"},
		{"files without a digest", string(requestJSON(t, `"op":"files","after":`+id)), "needs a digest"},
		{"files with ids", string(requestJSON(t, `"op":"files","digest":"`+dig.String()+`","ids":[`+id+`]`)), "takes no ids"},
		{"digest on objects", string(requestJSON(t, `"op":"objects","ids":[`+id+`],"digest":"`+dig.String()+`"`)), "takes only ids"},
		{"bare hex digest", string(requestJSON(t, `"op":"files","digest":"`+dig.Hex()+`"`)), "canonical"},
		{"no request", "", "stream ends where a frame should begin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHost(t)
			connect(t, h, f.server)
			re := sendRaw(t, h, f.server.ID(), []byte(c.raw))
			if re.Code != CodeBadRequest {
				t.Errorf("refused with %s (%q), want bad request", re.Code, re.Message)
			}
			f.srvPen.wait(t, h.ID(), c.reason)
			f.checkServes(t)
		})
	}
}

func TestServerRateLimit(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{Rate: 1, Burst: 3})
	var served, limited int
	for range 10 {
		_, _, err := f.fetch.Objects(context.Background(), f.server.ID(), []protocol.ID{f.datasets[0].ID})
		var re *RemoteError
		switch {
		case err == nil:
			served++
		case errors.As(err, &re) && re.Code == CodeRateLimited && protocol.IsKind(err, protocol.Transient):
			limited++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if served < 3 || served > 4 || limited != 10-served {
		t.Errorf("served %d, rate limited %d; want 3 (or 4 with a refill) and the rest", served, limited)
	}
	f.srvPen.wait(t, f.client.ID(), "over the request rate")
	f.checkServes(t) // another peer has a bucket of its own
}

// blockingSource holds every Envelope call until release is closed.
func blockingSource(entered chan<- struct{}, release <-chan struct{}, env []byte) *fakeSource {
	return &fakeSource{envelope: func(protocol.ID) ([]byte, error) {
		entered <- struct{}{}
		<-release
		return env, nil
	}}
}

func TestServerBusy(t *testing.T) {
	obj := storetest.NewDataset(t, storetest.Key(t, "p"), "slow")
	entered, release := make(chan struct{}, 8), make(chan struct{})
	srv := newHost(t)
	pen := &penalties{}
	NewServer(testNetwork, blockingSource(entered, release, obj.Envelope.Encode()),
		ServerOptions{MaxStreams: 2, MaxStreamsPerPeer: 1, Penalty: pen.hook}).Register(srv)
	a, b, c := newHost(t), newHost(t), newHost(t)
	for _, h := range []host.Host{a, b, c} {
		connect(t, h, srv)
	}
	fetch := func(h host.Host) error {
		_, _, err := NewClient(h, testNetwork, ClientOptions{}).Objects(context.Background(), srv.ID(), []protocol.ID{obj.ID})
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, h := range []host.Host{a, b} {
		wg.Go(func() { errs[i] = fetch(h) })
		<-entered
	}
	checkBusy := func(who string, err error) {
		var re *RemoteError
		if !errors.As(err, &re) || re.Code != CodeBusy || !protocol.IsKind(err, protocol.Transient) {
			t.Errorf("%s: %v, want a transient busy refusal", who, err)
		}
	}
	checkBusy("a second stream of one peer", fetch(a))
	checkBusy("a third stream in all", fetch(c))
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("held request %d: %v", i, err)
		}
	}
	if err := fetch(c); err != nil {
		t.Errorf("after the load: %v", err)
	}
	if len(pen.all()) != 0 {
		t.Errorf("busy refusals penalised: %q", pen.all())
	}
}

func TestServerDropsStalledClient(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{RequestTimeout: 300 * time.Millisecond})
	h := newHost(t)
	connect(t, h, f.server)
	st := openRaw(t, h, f.server.ID())
	// Half a request frame, then nothing.
	if _, err := st.Write(append(appendUvarint(nil, 100), frameRequest, '{', '"')); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, st)
		ended <- err
	}()
	f.checkServes(t) // while the stall lasts
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the stalled stream ended cleanly; want a reset")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server kept a stalled stream open")
	}
	// The reason the server gives is the request deadline, not another.
	f.srvPen.wait(t, h.ID(), "no complete request within 300ms")
	f.checkServes(t)
}

func TestServerDropsClientThatDoesNotRead(t *testing.T) {
	// The answer (1 MiB) is larger than the stream's window, so the server
	// blocks writing until its write deadline resets the stream.
	big, small := make([]byte, 1<<20), []byte("a small node")
	id, smallID := protocol.ObjectID([]byte("a node")), protocol.ObjectID([]byte("a small node"))
	srv, cli := newHost(t), newHost(t)
	NewServer(testNetwork, &fakeSource{govNode: func(n protocol.ID) ([]byte, error) {
		if n == smallID {
			return small, nil
		}
		return big, nil
	}}, ServerOptions{WriteTimeout: 300 * time.Millisecond}).Register(srv)
	connect(t, cli, srv)
	st := openRaw(t, cli, srv.ID())
	if _, err := st.Write(appendFrame(nil, frameRequest, (&Request{Network: testNetwork, Op: OpGov, IDs: []protocol.ID{id}}).Encode())); err != nil {
		t.Fatal(err)
	}
	_ = st.CloseWrite()
	time.Sleep(time.Second)
	if nodes, _, err := readGov(st, []protocol.ID{id}); err == nil {
		t.Fatalf("read %d nodes from a stream the server should have reset", len(nodes))
	}
	// The server still answers (a small answer: a 300ms write deadline is
	// too short for 1 MiB on a loaded machine).
	nodes, _, err := NewClient(cli, testNetwork, ClientOptions{}).GovNodes(context.Background(), srv.ID(), []protocol.ID{smallID})
	if err != nil || len(nodes) != 1 || string(nodes[0].Bytes) != string(small) {
		t.Fatalf("a reading client: %d nodes, %v", len(nodes), err)
	}
}
