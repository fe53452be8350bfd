package fetch

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// The Answered hook hears of a call only when the peer gave objects that
// were asked for, verified and accepted: once per call. Not-found, ID
// lists, governance bytes, a broken answer and an object the caller
// refuses earn nothing.
func TestClientAnsweredOnlyForVerifiedObjects(t *testing.T) {
	k := storetest.Key(t, "publisher")
	a, b := storetest.NewDataset(t, k, "a"), storetest.NewDataset(t, k, "b")
	ab := []protocol.ID{a.ID, b.ID}
	list := frames(appendFrame(nil, frameIDList, appendIDList(nil, []protocol.ID{a.ID}, false)), endFrame)
	refuse := errors.New("not needed")
	m := newManifest(t, 100)
	cases := []struct {
		name     string
		response []byte
		call     func(c *Client, p peer.ID) error
		want     int64
	}{
		{"objects", frames(objectFrame(a), objectFrame(b), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.Objects(context.Background(), p, ab)
			return err
		}, 1},
		{"one object, one not found", frames(objectFrame(a), notFoundFrame(b.ID), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.Objects(context.Background(), p, ab)
			return err
		}, 1},
		{"each accepted", frames(objectFrame(a), objectFrame(b), endFrame), func(c *Client, p peer.ID) error {
			_, err := c.ObjectsEach(context.Background(), p, ab, func(*protocol.Object) error { return nil })
			return err
		}, 1},
		{"not found only", frames(notFoundFrame(a.ID), notFoundFrame(b.ID), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.Objects(context.Background(), p, ab)
			return err
		}, 0},
		{"a verified object, then a forged one", frames(objectFrame(a), tampered(b), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.Objects(context.Background(), p, ab)
			return ignore(err, protocol.Invalid)
		}, 0},
		{"a verified object, then no end", frames(objectFrame(a), objectFrame(b)), func(c *Client, p peer.ID) error {
			_, _, err := c.Objects(context.Background(), p, ab)
			return ignore(err, protocol.Invalid)
		}, 0},
		{"each refused", frames(objectFrame(a), objectFrame(b), endFrame), func(c *Client, p peer.ID) error {
			_, err := c.ObjectsEach(context.Background(), p, ab, func(*protocol.Object) error { return refuse })
			if !errors.Is(err, refuse) {
				return err
			}
			return nil
		}, 0},
		{"claims list", list, func(c *Client, p peer.ID) error {
			_, _, err := c.Claims(context.Background(), p, b.ID, protocol.ID{}, 0)
			return err
		}, 0},
		{"datasets list", frames(appendFrame(nil, frameDatasets, []byte{0}), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.Datasets(context.Background(), p, protocol.SumDigest([]byte("file")), protocol.ID{}, 0)
			return err
		}, 0},
		{"chunks", frames(chunkFrame(m.chunks[m.ids[0]]), chunkFrame(m.chunks[m.ids[1]]), endFrame), func(c *Client, p peer.ID) error {
			_, err := c.Chunks(context.Background(), p, m.ids[:2])
			return err
		}, 1},
		{"chunks not found", frames(notFoundFrame(m.ids[0].ID()), endFrame), func(c *Client, p peer.ID) error {
			_, err := c.Chunks(context.Background(), p, m.ids[:1])
			return err
		}, 0},
		{"a chunk, then one not asked for", frames(chunkFrame(m.chunks[m.ids[0]]), chunkFrame(m.chunks[m.ids[2]]), endFrame), func(c *Client, p peer.ID) error {
			_, err := c.Chunks(context.Background(), p, m.ids[:2])
			return ignore(err, protocol.Invalid)
		}, 0},
		{"governance bytes", frames(objectFrame(a), objectFrame(b), endFrame), func(c *Client, p peer.ID) error {
			_, _, err := c.GovNodes(context.Background(), p, ab)
			return err
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cli := hostileServer(t, func(*Request) []byte { return tc.response }, false), newHost(t)
			connect(t, cli, srv)
			var answered atomic.Int64
			c := NewClient(cli, testNetwork, ClientOptions{Answered: func(p peer.ID) {
				if p != srv.ID() {
					t.Errorf("answered names %s, want the server %s", p, srv.ID())
				}
				answered.Add(1)
			}})
			if err := tc.call(c, srv.ID()); err != nil {
				t.Fatal(err)
			}
			if got := answered.Load(); got != tc.want {
				t.Errorf("answered %d times, want %d", got, tc.want)
			}
		})
	}
}

// ignore returns nil for an error of kind, and anything else as it is.
func ignore(err error, kind protocol.Kind) error {
	if protocol.IsKind(err, kind) {
		return nil
	}
	if err == nil {
		return errors.New("the call succeeded, want it to fail")
	}
	return err
}
