package fetch

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Source is what a Server answers from. The node adapts its store to it.
// It is called from many streams at once.
type Source interface {
	// Envelope returns the envelope of object id as stored (SPEC.md §2.8),
	// or an error of kind NotFound.
	Envelope(id protocol.ID) ([]byte, error)
	// ClaimsAbout returns up to limit IDs of the claims held about
	// subject, in ascending order of their text form, starting after
	// after (from the first when after is zero), and whether more follow.
	ClaimsAbout(subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error)
	// DatasetsWithFile returns up to limit of the datasets held that
	// list a file with digest d, each with the paths under which it lists
	// it, in ascending order of their IDs' text form, starting after after
	// (from the first when after is zero), and whether more follow.
	// Derivations that made such a file are not datasets that name it.
	DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) (found []DatasetPaths, more bool, err error)
	// Rotations returns up to limit IDs of the rotations held whose old
	// or new key is key, in ascending order of their text form, starting
	// after after (from the first when after is zero), and whether more
	// follow.
	Rotations(key protocol.DID, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error)
	// DerivedFrom returns up to limit IDs of the datasets held that name
	// subject among their parents and of the derivations held that name
	// it among their inputs, paged as ClaimsAbout.
	DerivedFrom(subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error)
	// GovNode returns the bytes of governance DAG node id as stored, or
	// an error of kind NotFound.
	GovNode(id protocol.ID) ([]byte, error)
	// Chunk returns the bytes of manifest chunk id as stored, or an error
	// of kind NotFound.
	Chunk(id manifest.ChunkID) ([]byte, error)
}

// DatasetPaths is a dataset that lists a file, and the paths under which
// it lists it: in a files answer, at most MaxPaths of them. With a path a
// node can look the file up in the dataset's manifest (SPEC.md §3.8)
// without reading the rest of it.
type DatasetPaths struct {
	Dataset protocol.ID
	Paths   []string
}

// ServiceName is the resource manager service of fetch streams.
const ServiceName = "commons.fetch"

// Defaults of ServerOptions.
const (
	DefaultMaxStreams        = 64
	DefaultMaxStreamsPerPeer = 8
	DefaultRate              = 20 // requests per second per peer
	DefaultBurst             = 40
	DefaultRequestTimeout    = 10 * time.Second
	DefaultStreamTimeout     = 60 * time.Second
	DefaultWriteTimeout      = 10 * time.Second
)

// errorLinger is how long a server waits, after an error frame, for the
// client to read it and reset, before it resets itself. A reset discards
// what the other side has not read yet, so resetting at once would lose
// the error frame.
const errorLinger = time.Second

// ServerOptions tune a Server. Zero fields take the defaults above.
type ServerOptions struct {
	MaxStreams        int           // streams served at once, all peers: DefaultMaxStreams
	MaxStreamsPerPeer int           // streams served at once for one peer: DefaultMaxStreamsPerPeer
	Rate              float64       // requests per second a peer may sustain: DefaultRate
	Burst             int           // requests a peer may make at once after a pause: DefaultBurst
	RequestTimeout    time.Duration // to receive the whole request: DefaultRequestTimeout
	StreamTimeout     time.Duration // for the whole stream: DefaultStreamTimeout
	WriteTimeout      time.Duration // for each frame written: DefaultWriteTimeout

	// Penalty, if set, is told of each peer that breaks the protocol or
	// the rate limit, with a short lowercase reason. The node wires it to
	// peer scoring. It must not block.
	Penalty func(p peer.ID, reason string)
	// Logger receives a debug line per refused stream; nil logs nothing.
	Logger *slog.Logger
}

func (o ServerOptions) withDefaults() ServerOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxStreams, DefaultMaxStreams)
	def(&o.MaxStreamsPerPeer, DefaultMaxStreamsPerPeer)
	def(&o.Burst, DefaultBurst)
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	defDur(&o.RequestTimeout, DefaultRequestTimeout)
	defDur(&o.StreamTimeout, DefaultStreamTimeout)
	defDur(&o.WriteTimeout, DefaultWriteTimeout)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server answers fetch requests of one commons from a Source.
type Server struct {
	network protocol.NetworkID
	src     Source
	opts    ServerOptions
	admit   *admission
}

// NewServer returns a server that answers requests for network from src.
func NewServer(network protocol.NetworkID, src Source, opts ServerOptions) *Server {
	opts = opts.withDefaults()
	return &Server{network: network, src: src, opts: opts, admit: newAdmission(opts)}
}

// Register makes h answer the fetch protocol with s.
func (s *Server) Register(h host.Host) { h.SetStreamHandler(ProtocolID, s.handle) }

// handle serves one stream. Every path ends in Close (after an end frame)
// or Reset.
func (s *Server) handle(st network.Stream) {
	p := st.Conn().RemotePeer()
	_ = st.Scope().SetService(ServiceName) // so resource manager limits can name the service
	end := time.Now().Add(s.opts.StreamTimeout)
	_ = st.SetDeadline(end)
	code, ok := s.admit.admit(p)
	if !ok {
		if code == CodeRateLimited {
			s.penalise(p, fmt.Sprintf("over the request rate (%g/s, burst %d)", s.opts.Rate, s.opts.Burst))
		}
		s.refuse(st, end, code, code.String())
		return
	}
	defer s.admit.release(p)

	_ = st.SetReadDeadline(earliest(time.Now().Add(s.opts.RequestTimeout), end))
	req, err := readRequest(st)
	if err != nil {
		s.failRequest(st, p, end, err)
		return
	}
	if req.Network != s.network {
		s.penalise(p, "request for another network")
		s.refuse(st, end, CodeWrongNetwork, fmt.Sprintf("this node serves network %s, not %s", s.network, req.Network))
		return
	}
	w := newFrameWriter(st, s.opts.WriteTimeout, end)
	if err := s.answer(w, req); err != nil {
		var se *sourceError
		if errors.As(err, &se) {
			s.opts.Logger.Warn("fetch: source failed", "peer", p, "op", req.Op, "err", se.err)
			w.flush()
			s.refuse(st, end, CodeServerError, "the server failed to answer")
			return
		}
		_ = st.Reset() // the stream failed under us: nobody left to tell
		return
	}
	_ = st.Close()
}

// readRequest reads the request frame, then the end of the client's side.
func readRequest(st io.Reader) (*Request, error) {
	fr := newFrameReader(st)
	_, body, err := fr.next(func(typ byte) (int, bool) { return MaxRequestSize, typ == frameRequest })
	if err != nil {
		return nil, err
	}
	req, err := DecodeRequest(body)
	if err != nil {
		return nil, err
	}
	return req, fr.expectEOF()
}

// failRequest ends a stream whose request could not be read.
func (s *Server) failRequest(st network.Stream, p peer.ID, end time.Time, err error) {
	switch {
	case protocol.IsKind(err, protocol.Invalid):
		s.penalise(p, "bad request: "+err.Error())
		s.refuse(st, end, CodeBadRequest, err.Error())
	case isTimeout(err):
		s.penalise(p, fmt.Sprintf("no complete request within %v", s.opts.RequestTimeout))
		_ = st.Reset()
	default: // the client reset or went away
		_ = st.Reset()
	}
}

// refuse sends an error frame, closes the write side, waits briefly for the
// client to reset, and resets.
func (s *Server) refuse(st network.Stream, end time.Time, code ErrorCode, msg string) {
	s.opts.Logger.Debug("fetch: refused", "peer", st.Conn().RemotePeer(), "code", code, "msg", msg)
	_ = st.SetWriteDeadline(earliest(time.Now().Add(s.opts.WriteTimeout), end))
	if _, err := st.Write(appendFrame(nil, frameError, errorBody(code, msg))); err == nil && st.CloseWrite() == nil {
		_ = st.SetReadDeadline(earliest(time.Now().Add(errorLinger), end))
		_, _ = io.CopyN(io.Discard, st, MaxRequestSize) // until the client resets, or the linger ends
	}
	_ = st.Reset()
}

func (s *Server) penalise(p peer.ID, reason string) {
	if s.opts.Penalty != nil {
		s.opts.Penalty(p, reason)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
