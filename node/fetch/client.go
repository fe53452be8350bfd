package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// DefaultTimeout bounds a call when ClientOptions.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ClientOptions tune a Client.
type ClientOptions struct {
	// Timeout bounds each call, on top of the caller's context; a peer
	// that has not finished its answer by then is penalised as stalled.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// Penalty, if set, is told of each peer whose answer breaks the
	// protocol, fails verification or stalls, with a short lowercase
	// reason. It must not block.
	Penalty func(p peer.ID, reason string)
}

// Client asks peers of one commons for objects, claims, the datasets that
// name a file, manifest chunks, and governance nodes. It is safe for concurrent use.
//
// The client credits no one: what a peer gave earns it credit only once
// the node has accepted it, past the checks that follow the client's (the
// clock, the store's rules: SPEC.md §7.3 "Credit"), and only the caller
// that runs them knows. A call's error tells it whether the answer was
// complete.
type Client struct {
	h       host.Host
	network protocol.NetworkID
	opts    ClientOptions
}

// NewClient returns a client that opens streams from h and asks for
// network's objects.
func NewClient(h host.Host, network protocol.NetworkID, opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Client{h: h, network: network, opts: opts}
}

// Objects asks p for the objects ids (at most MaxIDs object IDs;
// duplicates are asked for once). Each envelope p sends is checked with
// protocol.VerifyObjects, which gives it protocol.VerifyObject's answer,
// and must be the object asked for at its place; the objects returned
// are verified, ready for the door of SPEC.md §6.2 (the clock check) and
// the store. notFound lists what p does not hold.
//
// On an error the objects that verified before it are returned too. An
// error of kind Invalid means p broke the protocol or sent an object that
// does not verify: the stream was reset and p penalised. Transient covers
// stream failures, timeouts (a stall also penalises p) and a busy p;
// Forbidden, a p of another commons.
func (c *Client) Objects(ctx context.Context, p peer.ID, ids []protocol.ID) (objs []*protocol.Object, notFound []protocol.ID, err error) {
	req := &Request{Network: c.network, Op: OpObjects, IDs: unique(ids)}
	err = c.call(ctx, p, "fetch objects", req, func(r io.Reader) error {
		objs, notFound, err = readObjects(r, req.IDs)
		return err
	})
	return objs, notFound, err
}

// ObjectsEach is Objects that hands each verified object to each in
// answer order, a group at a time (verifyGroup objects or
// verifyGroupBytes of envelopes, verified with batched signature checks),
// so that the caller holds no more of the answer than it keeps and one
// group. An error from each ends the call: the stream is reset, and an
// error of kind Invalid (an object that is not what the caller asked for)
// penalises p like a violation of the protocol.
func (c *Client) ObjectsEach(ctx context.Context, p peer.ID, ids []protocol.ID, each func(*protocol.Object) error) (notFound []protocol.ID, err error) {
	req := &Request{Network: c.network, Op: OpObjects, IDs: unique(ids)}
	err = c.call(ctx, p, "fetch objects", req, func(r io.Reader) error {
		notFound, err = readEachObject(r, req.IDs, each)
		return err
	})
	return notFound, err
}

// Claims asks p for the IDs of the claims it holds about subject: at most
// limit (0 means MaxClaims), in ascending order of their text form,
// starting after after (from the first when after is zero). more reports
// that p holds more; ask again with after set to the last ID returned.
// The IDs are checked for form and order only: fetch the claims with
// Objects to verify them. Errors are as for Objects.
func (c *Client) Claims(ctx context.Context, p peer.ID, subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return c.list(ctx, p, "fetch claims", &Request{Network: c.network, Op: OpClaims, Subject: subject, After: after, Limit: limit})
}

// Datasets asks p for the datasets it holds that list a file with digest
// d, each with the paths (at most MaxPaths) under which it lists the file:
// at most limit (0 means MaxClaims), in ascending order of their IDs' text
// form, starting after after (from the first when after is zero). more
// reports that p holds more; ask again with after set to the last dataset
// returned. This is how a node locates a file it has never seen: ask the
// providers of the file's DHT key (SPEC.md §7.2), then fetch the datasets
// with Objects, which verifies them, and for a dataset with a manifest
// look a path up in it, fetching only the chunks on the way to its entry
// (Chunks). The list is checked for form and order only: a dataset that
// does not list the file, or not under that path, is the caller's to
// notice. Errors are as for Objects.
func (c *Client) Datasets(ctx context.Context, p peer.ID, d protocol.Digest, after protocol.ID, limit int) (found []DatasetPaths, more bool, err error) {
	req := &Request{Network: c.network, Op: OpFiles, Digest: d, After: after, Limit: limit}
	err = c.call(ctx, p, "fetch datasets", req, func(r io.Reader) error {
		found, more, err = readDatasets(r, req.After, req.limit())
		return err
	})
	return found, more, err
}

// Chunks asks p for the manifest chunks ids (at most MaxIDs; duplicates
// are asked for once) and returns those it holds, each checked: its bytes
// hash to the ID asked for at its place and decode as a chunk
// (manifest.DecodeChunk). What a parent says of a chunk (SPEC.md §3.8,
// rule 9) is for the reader of the tree to check. A chunk absent from the
// map is one p does not hold.
//
// On an error the chunks checked before it are returned too. Errors are
// as for Objects: a chunk that is not the one asked for, over
// MaxChunkSize, or not a chunk, is a violation (kind Invalid), and p is
// penalised.
func (c *Client) Chunks(ctx context.Context, p peer.ID, ids []manifest.ChunkID) (map[manifest.ChunkID][]byte, error) {
	asked := make([]protocol.ID, len(ids))
	for i, id := range ids {
		asked[i] = id.ID()
	}
	req := &Request{Network: c.network, Op: OpChunks, IDs: unique(asked)}
	got := make(map[manifest.ChunkID][]byte)
	err := c.call(ctx, p, "fetch chunks", req, func(r io.Reader) error {
		_, err := readChunks(r, req.IDs, func(id manifest.ChunkID, b []byte) { got[id] = b })
		return err
	})
	return got, err
}

// Rotations asks p for the IDs of the rotations it holds whose old or new
// key is key, paged as Claims is. A node that judges a claim asks for the
// rotations of the keys that signed it (SPEC.md §4.6, §7.5); the IDs are
// checked for form and order only: fetch the rotations with Objects.
func (c *Client) Rotations(ctx context.Context, p peer.ID, key protocol.DID, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return c.list(ctx, p, "fetch rotations", &Request{Network: c.network, Op: OpRotations, Key: key, After: after, Limit: limit})
}

// Derived asks p for the IDs of the datasets it holds that name subject
// among their parents and of the derivations it holds that name it among
// their inputs, paged as Claims is: what was made from subject (SPEC.md
// §7.5). The IDs are checked for form and order only: fetch the objects
// with Objects, and check that each names subject.
func (c *Client) Derived(ctx context.Context, p peer.ID, subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return c.list(ctx, p, "fetch derived", &Request{Network: c.network, Op: OpDerived, Subject: subject, After: after, Limit: limit})
}

// GovNodes asks p for the governance DAG nodes ids (at most MaxIDs,
// duplicates asked for once). The bytes are NOT verified: the caller must
// check that each node is the one its ID names and that it is valid
// before using or storing it, and penalise p when not. Errors are as for
// Objects.
func (c *Client) GovNodes(ctx context.Context, p peer.ID, ids []protocol.ID) (nodes []RawNode, notFound []protocol.ID, err error) {
	req := &Request{Network: c.network, Op: OpGov, IDs: unique(ids)}
	err = c.call(ctx, p, "fetch gov nodes", req, func(r io.Reader) error {
		nodes, notFound, err = readGov(r, req.IDs)
		return err
	})
	return nodes, notFound, err
}

// list runs a request for an ID list and checks the list against the
// request's after and limit.
func (c *Client) list(ctx context.Context, p peer.ID, op string, req *Request) (ids []protocol.ID, more bool, err error) {
	err = c.call(ctx, p, op, req, func(r io.Reader) error {
		ids, more, err = readIDList(r, req.After, req.limit())
		return err
	})
	return ids, more, err
}

// call runs one request on a new stream to p and reads the answer with
// read. It ends the stream with Close after a complete answer and with
// Reset otherwise, penalises p for violations and stalls, and gives the
// error its kind.
func (c *Client) call(ctx context.Context, p peer.ID, op string, req *Request, read func(io.Reader) error) error {
	if err := req.Validate(); err != nil {
		return protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	own := time.Now().Add(c.opts.Timeout)
	callCtx, cancel := context.WithDeadline(ctx, own)
	defer cancel()
	deadline, _ := callCtx.Deadline() // own, or the caller's if sooner

	st, err := c.h.NewStream(callCtx, p, ProtocolID)
	if err != nil {
		return c.fail(ctx, p, op, own, fmt.Errorf("open stream: %w", err))
	}
	stop := context.AfterFunc(callCtx, func() { _ = st.Reset() })
	defer stop()
	_ = st.SetDeadline(deadline)

	if _, err = st.Write(appendFrame(nil, frameRequest, req.Encode())); err == nil {
		err = st.CloseWrite()
	}
	if err != nil {
		_ = st.Reset()
		return c.fail(ctx, p, op, own, fmt.Errorf("send request: %w", err))
	}
	if err := read(st); err != nil {
		_ = st.Reset()
		return c.fail(ctx, p, op, own, err)
	}
	_ = st.Close()
	return nil
}

// fail classifies err, penalises p when it is to blame, and names p in
// the error.
// own is the deadline of the call's own timeout.
func (c *Client) fail(ctx context.Context, p peer.ID, op string, own time.Time, err error) error {
	var re *RemoteError
	callerDeadline, callerHasDeadline := ctx.Deadline()
	now := time.Now()
	switch {
	case errors.As(err, &re):
		return protocol.E(op, protocol.KindOf(err), "peer %s: %w", p, err)
	case protocol.IsKind(err, protocol.Invalid):
		c.penalise(p, err.Error())
		return protocol.E(op, protocol.Invalid, "peer %s: %w", p, err)
	case ctx.Err() != nil: // the caller gave up
		return protocol.E(op, protocol.Transient, "peer %s: %w (%v)", p, ctx.Err(), err)
	case callerHasDeadline && !now.Before(callerDeadline) && !callerDeadline.After(own):
		// The caller's deadline passed, and its context has not noticed yet.
		return protocol.E(op, protocol.Transient, "peer %s: %w (%v)", p, context.DeadlineExceeded, err)
	case !now.Before(own):
		c.penalise(p, fmt.Sprintf("no complete answer within %v", c.opts.Timeout))
		return protocol.E(op, protocol.Transient, "peer %s: no complete answer within %v: %w", p, c.opts.Timeout, err)
	}
	return protocol.E(op, protocol.Transient, "peer %s: %w", p, err)
}

func (c *Client) penalise(p peer.ID, reason string) {
	if c.opts.Penalty != nil {
		c.opts.Penalty(p, reason)
	}
}

// unique returns ids without repeats, in first-seen order.
func unique(ids []protocol.ID) []protocol.ID {
	seen := make(map[protocol.ID]bool, len(ids))
	out := make([]protocol.ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
