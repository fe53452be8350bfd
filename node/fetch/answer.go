package fetch

import (
	"bufio"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// sourceError is a failure of the Source, as opposed to one of the stream:
// the client is told with an error frame.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "source: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// answer writes the frames that answer req, then the end frame.
func (s *Server) answer(w *frameWriter, req *Request) error {
	var err error
	switch req.Op {
	case OpObjects:
		err = answerIDs(w, req.IDs, s.src.Envelope)
	case OpGov:
		err = answerIDs(w, req.IDs, s.src.GovNode)
	case OpChunks:
		err = answerChunks(w, req.IDs, s.src.Chunk)
	case OpClaims, OpRotations, OpDerived:
		err = s.answerList(w, req)
	case OpFiles:
		err = s.answerDatasets(w, req)
	}
	if err != nil {
		return err
	}
	if err := w.frame(frameEnd, nil); err != nil {
		return err
	}
	return w.flush()
}

// answerIDs writes one frame per ID, in order: the bytes get returns, or
// not-found.
func answerIDs(w *frameWriter, ids []protocol.ID, get func(protocol.ID) ([]byte, error)) error {
	for _, id := range ids {
		b, err := get(id)
		switch {
		case protocol.IsKind(err, protocol.NotFound):
			err = w.frame(frameNotFound, id.Bytes())
		case err != nil:
			return &sourceError{err}
		case len(b) > MaxNodeSize:
			return &sourceError{fmt.Errorf("%s is %d bytes, over the frame limit of %d", id, len(b), MaxNodeSize)}
		default:
			err = w.frame(frameObject, b)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// answerChunks writes one frame per ID, in order: the chunk's bytes, or
// not-found. A chunk is sent as stored: the store checked it when it took
// it, and the client checks it again.
func answerChunks(w *frameWriter, ids []protocol.ID, get func(manifest.ChunkID) ([]byte, error)) error {
	for _, id := range ids {
		b, err := get(manifest.ChunkIDFromDigest(id.Digest()))
		switch {
		case protocol.IsKind(err, protocol.NotFound):
			err = w.frame(frameNotFound, id.Bytes())
		case err != nil:
			return &sourceError{err}
		case len(b) > MaxChunkSize:
			return &sourceError{fmt.Errorf("chunk %s is %d bytes, over the limit of %d", id, len(b), MaxChunkSize)}
		default:
			err = w.frame(frameChunk, b)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// answerDatasets writes the one dataset list frame that answers a files
// request: each dataset with at most MaxPaths of its paths, and no more
// datasets than fit one frame (the page then says more).
func (s *Server) answerDatasets(w *frameWriter, req *Request) error {
	found, more, err := s.src.DatasetsWithFile(req.Digest, req.After, req.limit())
	if err != nil {
		return &sourceError{err}
	}
	if len(found) > req.limit() || (more && len(found) == 0) {
		return &sourceError{fmt.Errorf("op files: %d datasets (more %v) for a limit of %d", len(found), more, req.limit())}
	}
	for i := range found {
		if err := checkDatasetPaths(&found[i]); err != nil {
			return &sourceError{err}
		}
		if len(found[i].Paths) > MaxPaths {
			found[i].Paths = found[i].Paths[:MaxPaths]
		}
	}
	body, n := appendDatasets(make([]byte, 0, 1+len(found)*128), found, more, maxDatasetsLen)
	if n < len(found) {
		s.opts.Logger.Debug("fetch: files page cut to fit one frame", "datasets", n, "of", len(found))
	}
	return w.frame(frameDatasets, body)
}

// answerList writes the one ID list frame that answers a request for a
// list of claims, rotations or what was derived from a subject.
func (s *Server) answerList(w *frameWriter, req *Request) error {
	var ids []protocol.ID
	var more bool
	var err error
	switch req.Op {
	case OpClaims:
		ids, more, err = s.src.ClaimsAbout(req.Subject, req.After, req.limit())
	case OpRotations:
		ids, more, err = s.src.Rotations(req.Key, req.After, req.limit())
	case OpDerived:
		ids, more, err = s.src.DerivedFrom(req.Subject, req.After, req.limit())
	}
	if err != nil {
		return &sourceError{err}
	}
	if len(ids) > req.limit() || (more && len(ids) == 0) {
		return &sourceError{fmt.Errorf("op %s: %d ids (more %v) for a limit of %d", req.Op, len(ids), more, req.limit())}
	}
	return w.frame(frameIDList, appendIDList(make([]byte, 0, 1+len(ids)*38), ids, more))
}

// frameWriter writes frames through a buffer, each under a write deadline
// that never passes the stream's.
type frameWriter struct {
	st      network.Stream
	w       *bufio.Writer
	timeout time.Duration
	end     time.Time
}

func newFrameWriter(st network.Stream, timeout time.Duration, end time.Time) *frameWriter {
	return &frameWriter{st: st, w: bufio.NewWriterSize(st, 32<<10), timeout: timeout, end: end}
}

func (w *frameWriter) frame(typ byte, body []byte) error {
	_ = w.st.SetWriteDeadline(earliest(time.Now().Add(w.timeout), w.end))
	return writeFrame(w.w, typ, body)
}

func (w *frameWriter) flush() error {
	_ = w.st.SetWriteDeadline(earliest(time.Now().Add(w.timeout), w.end))
	return w.w.Flush()
}
