package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// The client's defences against hostile servers: a raw stream handler
// reads the request and answers with whatever the case writes.

// hostileServer starts a host whose fetch handler reads the request and
// writes respond's bytes; stall makes it hold the stream open after them.
func hostileServer(tb testing.TB, respond func(*Request) []byte, stall bool) host.Host {
	tb.Helper()
	h := newHost(tb)
	done := make(chan struct{})
	tb.Cleanup(func() { close(done) })
	h.SetStreamHandler(ProtocolID, func(st network.Stream) {
		defer st.Reset()
		req, err := readRequest(st)
		if err != nil {
			tb.Errorf("hostile server: the client sent a bad request: %v", err)
			return
		}
		if _, err := st.Write(respond(req)); err != nil {
			return
		}
		if stall {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
			return
		}
		_ = st.CloseWrite()
		_, _ = io.Copy(io.Discard, st) // until the client closes or resets
	})
	return h
}

func frames(fs ...[]byte) []byte { return bytes.Join(fs, nil) }

func objectFrame(o *protocol.Object) []byte {
	return appendFrame(nil, frameObject, o.Envelope.Encode())
}
func notFoundFrame(id protocol.ID) []byte { return appendFrame(nil, frameNotFound, id.Bytes()) }

var endFrame = []byte{1, frameEnd}

// tampered returns o's envelope with its signature broken.
func tampered(o *protocol.Object) []byte {
	env := *o.Envelope
	env.Signatures = slices.Clone(env.Signatures)
	sig := slices.Clone(env.Signatures[0].Sig)
	sig[0] ^= 1
	env.Signatures[0].Sig = sig
	return appendFrame(nil, frameObject, env.Encode())
}

func TestClientRefusesHostileServers(t *testing.T) {
	k := storetest.Key(t, "publisher")
	a, b, c := storetest.NewDataset(t, k, "a"), storetest.NewDataset(t, k, "b"), storetest.NewDataset(t, k, "c")
	ids := []protocol.ID{a.ID, b.ID}
	cases := []struct {
		name     string
		response []byte
		want     string // in the error
		verified int    // objects returned with the error
	}{
		{"bad signature", frames(tampered(a), objectFrame(b), endFrame), "does not verify", 0},
		{"object not asked for", frames(objectFrame(c), objectFrame(b), endFrame), "not asked for", 0},
		{"objects out of order", frames(objectFrame(b), objectFrame(a), endFrame), "not asked for there", 0},
		{"good then bad", frames(objectFrame(a), tampered(b), endFrame), "does not verify", 1},
		{"oversized frame", frames(appendUvarint(nil, maxFrameLen+1), []byte{frameObject}), "over the limit", 0},
		{"oversized not-found", appendFrame(nil, frameNotFound, make([]byte, 100)), "over the limit", 0},
		{"garbage", []byte("\x05\x10{}{}\x00\xff\xff\xff\xff\xff"), "answer 0", 0},
		{"not-found for another id", frames(notFoundFrame(c.ID)), "not-found for something other", 0},
		{"unknown frame type", appendFrame(nil, 0x7f, nil), "unexpected frame type 0x7f", 0},
		{"end too early", frames(objectFrame(a), endFrame), "unexpected frame type 0x00", 1},
		{"no end", frames(objectFrame(a), objectFrame(b)), "stream ends where a frame should begin", 2},
		{"an extra answer", frames(objectFrame(a), objectFrame(b), objectFrame(c)), "unexpected frame type 0x10", 2},
		{"cut short", frames(objectFrame(a))[:100], "stream ends inside a frame", 0},
		{"non-minimal length", []byte{0x81, 0x00, frameEnd}, "not a minimal varint", 0},
		{"error frame not UTF-8", appendFrame(nil, frameError, []byte{byte(CodeBusy), 0xff}), "not UTF-8", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := hostileServer(t, func(*Request) []byte { return tc.response }, false), newHost(t)
			connect(t, cli, srv)
			pen := &penalties{}
			objs, _, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Objects(context.Background(), srv.ID(), ids)
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.ID().String()) {
				t.Fatalf("got %v; want an invalid error naming the peer and %q", err, tc.want)
			}
			if len(objs) != tc.verified || (len(objs) > 0 && objs[0].ID != a.ID) {
				t.Errorf("returned %v with the error, want the %d verified before it", idsOf(objs), tc.verified)
			}
			pen.wait(t, srv.ID(), tc.want)
		})
	}
}

// TestClientRefusesHostileIDLists runs each bad list against the ops
// that answer with one: claims and rotations with an ID list, files with a
// dataset list, whose IDs follow the same rules.
func TestClientRefusesHostileIDLists(t *testing.T) {
	k := storetest.Key(t, "publisher")
	var objs []protocol.ID
	for i := range 3 {
		objs = append(objs, storetest.NewDataset(t, k, string(rune('a'+i))).ID)
	}
	slices.SortFunc(objs, func(x, y protocol.ID) int { return strings.Compare(x.String(), y.String()) })
	artifact := protocol.ArtifactID(protocol.SumDigest([]byte("file")))
	type listCall func(c *Client, p peer.ID, after protocol.ID, limit int) (int, error)
	idList := func(ids []protocol.ID, more bool) []byte {
		return appendFrame(nil, frameIDList, appendIDList(nil, ids, more))
	}
	datasetList := func(ids []protocol.ID, more bool) []byte {
		found := make([]DatasetPaths, len(ids))
		for i, id := range ids {
			found[i] = DatasetPaths{Dataset: id, Paths: []string{"data/file.csv"}}
		}
		body, _ := appendDatasets(nil, found, more, maxDatasetsLen)
		return appendFrame(nil, frameDatasets, body)
	}
	ops := map[Op]struct {
		call  listCall
		frame func(ids []protocol.ID, more bool) []byte
		typ   string // the frame type, as errors spell it
		items string // what the list holds, as errors name it
	}{
		OpClaims: {func(c *Client, p peer.ID, after protocol.ID, limit int) (int, error) {
			ids, _, err := c.Claims(context.Background(), p, objs[2], after, limit)
			return len(ids), err
		}, idList, "0x12", "ids"},
		OpRotations: {func(c *Client, p peer.ID, after protocol.ID, limit int) (int, error) {
			ids, _, err := c.Rotations(context.Background(), p, k.DID(), after, limit)
			return len(ids), err
		}, idList, "0x12", "ids"},
		OpDerived: {func(c *Client, p peer.ID, after protocol.ID, limit int) (int, error) {
			ids, _, err := c.Derived(context.Background(), p, objs[2], after, limit)
			return len(ids), err
		}, idList, "0x12", "ids"},
		OpFiles: {func(c *Client, p peer.ID, after protocol.ID, limit int) (int, error) {
			found, _, err := c.Datasets(context.Background(), p, artifact.Digest(), after, limit)
			return len(found), err
		}, datasetList, "0x15", "datasets"},
	}
	for op, o := range ops {
		list := func(more bool, ids ...protocol.ID) []byte { return frames(o.frame(ids, more), endFrame) }
		cases := []struct {
			name     string
			after    protocol.ID
			limit    int
			response []byte
			want     string
		}{
			{"out of order", protocol.ID{}, 10, list(false, objs[1], objs[0]), "out of order"},
			{"repeated", protocol.ID{}, 10, list(false, objs[0], objs[0]), "out of order"},
			{"not after after", objs[1], 10, list(false, objs[0]), "out of order"},
			{"after itself", objs[1], 10, list(false, objs[1], objs[2]), "out of order"},
			{"over the limit", protocol.ID{}, 2, list(false, objs...), "more than 2 " + o.items},
			{"over the default limit", protocol.ID{}, 0, list(false, manyIDs(MaxClaims+1)...), "more than 1000 " + o.items},
			{"more but empty", protocol.ID{}, 10, list(true), "empty list that says more"},
			{"an artifact", protocol.ID{}, 10, list(false, artifact), "names an artifact"},
			{"bad more flag", protocol.ID{}, 10, frames(o.frame(nil, false)[:1], []byte{o.frame(nil, false)[1], 2}, endFrame), "more flag"},
			{"objects instead", protocol.ID{}, 10, frames(appendFrame(nil, frameObject, []byte("{}"))), "unexpected frame type 0x10"},
			{"two lists", protocol.ID{}, 10, frames(o.frame(objs[:1], false), list(false, objs[1])), "unexpected frame type " + o.typ},
			{"no end", protocol.ID{}, 10, o.frame(objs[:1], false), "stream ends where a frame should begin"},
		}
		for _, tc := range cases {
			t.Run(string(op)+"/"+tc.name, func(t *testing.T) {
				srv := hostileServer(t, func(r *Request) []byte {
					if r.Op != op {
						t.Errorf("the client asked with op %q, want %q", r.Op, op)
					}
					return tc.response
				}, false)
				cli := newHost(t)
				connect(t, cli, srv)
				pen := &penalties{}
				n, err := o.call(NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}), srv.ID(), tc.after, tc.limit)
				if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), tc.want) || n != 0 {
					t.Fatalf("got %d, %v; want nothing and an invalid error with %q", n, err, tc.want)
				}
				pen.wait(t, srv.ID(), tc.want)
			})
		}
	}
}

// manyIDs returns n distinct object IDs in ascending text order.
func manyIDs(n int) []protocol.ID {
	ids := make([]protocol.ID, n)
	for i := range ids {
		ids[i] = protocol.ObjectID(fmt.Appendf(nil, "%d", i))
	}
	slices.SortFunc(ids, func(x, y protocol.ID) int { return strings.Compare(x.String(), y.String()) })
	return ids
}

func TestClientGivesUpOnStalledServer(t *testing.T) {
	a := storetest.NewDataset(t, storetest.Key(t, "p"), "a")
	srv := hostileServer(t, func(*Request) []byte { return objectFrame(a)[:50] }, true)
	cli := newHost(t)
	connect(t, cli, srv)
	pen := &penalties{}
	// The caller's context never ends: only the client's own timeout can
	// end the call, and its error names it.
	_, _, err := NewClient(cli, testNetwork, ClientOptions{Timeout: 300 * time.Millisecond, Penalty: pen.hook}).Objects(context.Background(), srv.ID(), []protocol.ID{a.ID})
	if !protocol.IsKind(err, protocol.Transient) || !strings.Contains(err.Error(), "no complete answer within 300ms") {
		t.Fatalf("got %v; want a transient timeout", err)
	}
	pen.wait(t, srv.ID(), "no complete answer")
}

func TestClientCancelledByCallerDoesNotPenalise(t *testing.T) {
	a := storetest.NewDataset(t, storetest.Key(t, "p"), "a")
	srv := hostileServer(t, func(*Request) []byte { return nil }, true)
	cli := newHost(t)
	connect(t, cli, srv)
	pen := &penalties{}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Objects(ctx, srv.ID(), []protocol.ID{a.ID})
	if !protocol.IsKind(err, protocol.Transient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want transient, wrapping the caller's deadline", err)
	}
	if len(pen.all()) != 0 {
		t.Errorf("penalised a peer for the caller's deadline: %q", pen.all())
	}
}

func TestClientHonestRefusalsAreNotPenalised(t *testing.T) {
	a := storetest.NewDataset(t, storetest.Key(t, "p"), "a")
	for _, code := range []ErrorCode{CodeBusy, CodeRateLimited, CodeServerError, 99} {
		srv := hostileServer(t, func(*Request) []byte {
			return appendFrame(nil, frameError, errorBody(code, "not now"))
		}, false)
		cli := newHost(t)
		connect(t, cli, srv)
		pen := &penalties{}
		_, _, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Objects(context.Background(), srv.ID(), []protocol.ID{a.ID})
		var re *RemoteError
		if !protocol.IsKind(err, protocol.Transient) || !errors.As(err, &re) || re.Code != code || re.Message != "not now" {
			t.Errorf("code %d: got %v; want a transient refusal", code, err)
		}
		if len(pen.all()) != 0 {
			t.Errorf("code %d: penalised: %q", code, pen.all())
		}
	}
}

// TestObjectsEachStopsAtRefusal: ObjectsEach hands each verified object
// over before it reads the next; when the caller refuses one as not what
// it asked for (Invalid), the call ends there, nothing after it is read,
// and the server is penalised.
func TestObjectsEachStopsAtRefusal(t *testing.T) {
	k := storetest.Key(t, "publisher")
	a, b, c := storetest.NewDataset(t, k, "a"), storetest.NewDataset(t, k, "b"), storetest.NewDataset(t, k, "c")
	srv := hostileServer(t, func(*Request) []byte {
		return frames(objectFrame(a), objectFrame(b), objectFrame(c), endFrame)
	}, false)
	cli := newHost(t)
	connect(t, cli, srv)
	pen := &penalties{}
	var got []protocol.ID
	_, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).ObjectsEach(context.Background(), srv.ID(), []protocol.ID{a.ID, b.ID, c.ID}, func(o *protocol.Object) error {
		got = append(got, o.ID)
		if o.ID == b.ID {
			return protocol.E("judge", protocol.Invalid, "%s is not what was asked for", o.ID)
		}
		return nil
	})
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "not what was asked for") {
		t.Fatalf("got %v; want the caller's refusal, invalid", err)
	}
	if len(got) != 2 || got[0] != a.ID || got[1] != b.ID {
		t.Errorf("handed %v, want a then b and nothing after the refusal", got)
	}
	pen.wait(t, srv.ID(), "not what was asked for")
}
