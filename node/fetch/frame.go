package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// ProtocolID is the libp2p protocol of fetch streams.
const ProtocolID = "/commons/fetch/1.0.0"

// Frame types: the first byte of every frame. SPEC.md §7.3.
const (
	frameEnd      byte = 0x00 // end of a response; no body
	frameRequest  byte = 0x01 // the request: JSON
	frameObject   byte = 0x10 // an envelope (objects) or a node's bytes (gov)
	frameNotFound byte = 0x11 // the binary ID of something the server does not hold
	frameIDList   byte = 0x12 // a more flag, then length-prefixed binary IDs (claims, rotations)
	frameError    byte = 0x13 // an error code, then a UTF-8 message
	frameChunk    byte = 0x14 // a manifest chunk's bytes (chunks)
	frameDatasets byte = 0x15 // a more flag, then dataset IDs each with its paths (files)
)

// Limits of the protocol. Changing one changes the protocol: SPEC.md §7.3.
const (
	MaxRequestSize  = 32 << 10 // bytes of a request's JSON
	MaxIDs          = 256      // IDs in an objects, gov or chunks request
	MaxClaims       = 1000     // IDs in one claims, files or rotations answer; the default limit
	MaxErrorMessage = 1024     // bytes of the message in an error frame
	MaxNodeSize     = protocol.MaxEnvelopeSize
	MaxChunkSize    = manifest.MaxChunkSize // bytes of a chunk frame's body
	MaxPaths        = 16                    // paths given with one dataset in a files answer

	maxIDBytes   = 64 // bytes of one binary ID (an object ID is 37)
	maxIDListLen = 1 + MaxClaims*(1+maxIDBytes)
	maxErrorLen  = 1 + MaxErrorMessage
	// maxDatasetsLen bounds a files answer's one frame as every frame is
	// bounded; a server ends its page early, saying more, rather than
	// pass it. One dataset with MaxPaths paths of the longest kind takes
	// maxDatasetLen bytes, so a page always holds at least one.
	maxDatasetsLen = maxFrameLen - 1
	maxDatasetLen  = 1 + maxIDBytes + 1 + MaxPaths*(2+protocol.MaxPathLen)
	// maxFrameLen bounds every frame, so a minimal length prefix is at
	// most maxLengthBytes long.
	maxFrameLen    = 1 + MaxNodeSize
	maxLengthBytes = 4
	// readChunk is how much a body reader allocates ahead of the bytes
	// that have actually arrived.
	readChunk = 64 << 10
)

// bodyLimit says which frame types a reader accepts at some point of a
// stream and the largest body of each; ok false refuses the type.
type bodyLimit func(typ byte) (max int, ok bool)

// frameReader reads frames from a stream, refusing each before the body
// is allocated if its length or type is not acceptable.
type frameReader struct {
	r *bufio.Reader
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 16<<10)}
}

// next reads one frame. Violations by the peer are errors of kind Invalid
// (a stream that ends before a frame does is one); failures of the stream
// itself are returned as they are, for the caller to classify.
func (fr *frameReader) next(limit bodyLimit) (typ byte, body []byte, err error) {
	const op = "read frame"
	n, err := readLength(fr.r)
	if err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, protocol.E(op, protocol.Invalid, "empty frame (no type byte)")
	}
	typ, err = fr.r.ReadByte()
	if err != nil {
		return 0, nil, truncated(op, err)
	}
	max, ok := limit(typ)
	if !ok {
		return typ, nil, protocol.E(op, protocol.Invalid, "unexpected frame type 0x%02x", typ)
	}
	if n-1 > max {
		return typ, nil, protocol.E(op, protocol.Invalid, "frame type 0x%02x with a %d-byte body, over the limit of %d", typ, n-1, max)
	}
	body, err = readBody(fr.r, n-1)
	if err != nil {
		return typ, nil, truncated(op, err)
	}
	return typ, body, nil
}

// expectEOF succeeds when the peer has closed its write side and sent
// nothing more.
func (fr *frameReader) expectEOF() error {
	_, err := fr.r.ReadByte()
	switch {
	case err == nil:
		return protocol.E("read request", protocol.Invalid, "data after the request frame")
	case errors.Is(err, io.EOF):
		return nil
	}
	return err
}

// readLength reads a frame length: a minimal unsigned varint of at most
// maxFrameLen. It refuses a length over the limit as soon as the varint
// says so, before any body byte is read.
func readLength(r io.ByteReader) (int, error) {
	const op = "read frame length"
	var n uint64
	for i := 0; i < maxLengthBytes; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return 0, protocol.E(op, protocol.Invalid, "stream ends where a frame should begin")
			}
			return 0, truncated(op, err)
		}
		n |= uint64(b&0x7f) << (7 * i)
		if n > maxFrameLen {
			return 0, protocol.E(op, protocol.Invalid, "frame of %d bytes or more, over the limit of %d", n, maxFrameLen)
		}
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, protocol.E(op, protocol.Invalid, "length is not a minimal varint")
			}
			return int(n), nil
		}
	}
	return 0, protocol.E(op, protocol.Invalid, "frame length over the limit of %d (a varint of more than %d bytes)", maxFrameLen, maxLengthBytes)
}

// readBody reads exactly n bytes, allocating as they arrive rather than
// all at once: a peer that announces a large frame and sends little costs
// little.
func readBody(r io.Reader, n int) ([]byte, error) {
	if n <= readChunk {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var buf bytes.Buffer
	buf.Grow(readChunk)
	if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// truncated turns the end of the stream inside a frame into a protocol
// violation; other read errors pass through.
func truncated(op string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return protocol.E(op, protocol.Invalid, "stream ends inside a frame")
	}
	return err
}

// appendFrame appends a frame of type typ with body to dst.
func appendFrame(dst []byte, typ byte, body []byte) []byte {
	dst = appendUvarint(dst, uint64(1+len(body)))
	dst = append(dst, typ)
	return append(dst, body...)
}

// writeFrame writes a frame of type typ with body to w.
func writeFrame(w io.Writer, typ byte, body []byte) error {
	var hdr [11]byte
	h := appendUvarint(hdr[:0], uint64(1+len(body)))
	h = append(h, typ)
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
