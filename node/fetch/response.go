package fetch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
)

// ErrorCode is the first byte of an error frame: why the server refused.
// The list only grows at the end; a client treats a code it does not know
// as CodeServerError.
type ErrorCode byte

const (
	CodeBadRequest   ErrorCode = 1 // the request broke SPEC.md §7.3
	CodeWrongNetwork ErrorCode = 2 // the request names another commons
	CodeBusy         ErrorCode = 3 // too many streams at once
	CodeRateLimited  ErrorCode = 4 // too many requests from this peer
	CodeServerError  ErrorCode = 5 // the server failed to answer
)

var codeNames = [...]string{"", "bad request", "wrong network", "busy", "rate limited", "server error"}

func (c ErrorCode) String() string {
	if c > 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("error code %d", c)
}

// kind is the protocol.Kind a client gives a refusal with code c.
func (c ErrorCode) kind() protocol.Kind {
	switch c {
	case CodeBadRequest:
		return protocol.Other // our request was wrong: a bug here, not there
	case CodeWrongNetwork:
		return protocol.Forbidden
	}
	return protocol.Transient
}

// RemoteError is a refusal that a server sent in an error frame.
type RemoteError struct {
	Code    ErrorCode
	Message string // as the server wrote it, at most MaxErrorMessage bytes
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("peer refused (%s): %q", e.Code, e.Message)
}

// errorBody is the body of an error frame: code, then msg cut to
// MaxErrorMessage bytes on a rune boundary.
func errorBody(code ErrorCode, msg string) []byte {
	if len(msg) > MaxErrorMessage {
		msg = strings.ToValidUTF8(msg[:MaxErrorMessage], "")
	}
	return append([]byte{byte(code)}, msg...)
}

// decodeError parses the body of an error frame into an error whose kind
// follows the code.
func decodeError(body []byte) error {
	const op = "read error frame"
	if len(body) == 0 {
		return protocol.E(op, protocol.Invalid, "error frame without a code")
	}
	msg := body[1:]
	if !utf8.Valid(msg) {
		return protocol.E(op, protocol.Invalid, "error message is not UTF-8")
	}
	code := ErrorCode(body[0])
	if code == 0 || int(code) >= len(codeNames) {
		code = CodeServerError
	}
	re := &RemoteError{Code: ErrorCode(body[0]), Message: string(msg)}
	return &protocol.Error{Op: op, Kind: code.kind(), Err: re}
}

// appendIDList appends the body of an ID list frame to dst.
func appendIDList(dst []byte, ids []protocol.ID, more bool) []byte {
	flag := byte(0)
	if more {
		flag = 1
	}
	dst = append(dst, flag)
	for _, id := range ids {
		b := id.Bytes()
		dst = appendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	}
	return dst
}

// decodeIDList parses the body of an ID list frame. It checks the form
// only: each ID in its canonical binary form, at most max of them.
func decodeIDList(body []byte, max int) (ids []protocol.ID, more bool, err error) {
	const op = "read id list"
	more, rest, err := moreFlag(op, "id list", body)
	if err != nil {
		return nil, false, err
	}
	for len(rest) > 0 {
		if len(ids) == max {
			return nil, false, protocol.E(op, protocol.Invalid, "more than %d ids", max)
		}
		n := int(rest[0])
		if n == 0 || n > maxIDBytes || n >= 0x80 {
			return nil, false, protocol.E(op, protocol.Invalid, "id %d: length %d outside [1, %d]", len(ids), n, maxIDBytes)
		}
		if len(rest) < 1+n {
			return nil, false, protocol.E(op, protocol.Invalid, "id %d: cut short", len(ids))
		}
		raw := rest[1 : 1+n]
		id, err := protocol.IDFromBytes(raw)
		if err != nil {
			return nil, false, protocol.E(op, protocol.Invalid, "id %d: %w", len(ids), err)
		}
		if !bytes.Equal(id.Bytes(), raw) {
			return nil, false, protocol.E(op, protocol.Invalid, "id %d: not in canonical binary form", len(ids))
		}
		ids = append(ids, id)
		rest = rest[1+n:]
	}
	return ids, more, nil
}

// appendDatasets appends the body of a dataset list frame to dst: the more
// flag, then each dataset's binary ID and its paths. It stops before the
// first dataset that would take the body past max, and the list then says
// more; n is how many datasets it holds.
func appendDatasets(dst []byte, found []DatasetPaths, more bool, max int) (body []byte, n int) {
	start := len(dst)
	dst = append(dst, 0)
	for _, f := range found {
		mark := len(dst)
		b := f.Dataset.Bytes()
		dst = appendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
		dst = appendUvarint(dst, uint64(len(f.Paths)))
		for _, p := range f.Paths {
			dst = appendUvarint(dst, uint64(len(p)))
			dst = append(dst, p...)
		}
		if len(dst)-start > max {
			dst = dst[:mark]
			more = true
			break
		}
		n++
	}
	if more {
		dst[start] = 1
	}
	return dst, n
}

// checkDatasetPaths checks the form of one dataset of a files answer: 1
// to MaxPaths paths, each 1 to protocol.MaxPathLen bytes of UTF-8. Whether
// a path is one the dataset lists is for its manifest to say.
func checkDatasetPaths(f *DatasetPaths) error {
	if len(f.Paths) == 0 {
		return fmt.Errorf("dataset %s with no path", f.Dataset)
	}
	for i, p := range f.Paths {
		if p == "" || len(p) > protocol.MaxPathLen || !utf8.ValidString(p) {
			return fmt.Errorf("dataset %s: path %d is not 1 to %d bytes of UTF-8", f.Dataset, i, protocol.MaxPathLen)
		}
	}
	return nil
}

// decodeDatasets parses the body of a dataset list frame. It checks the
// form only: each ID in its canonical binary form, at most max datasets,
// each with 1 to MaxPaths paths of 1 to protocol.MaxPathLen bytes of
// UTF-8.
func decodeDatasets(body []byte, max int) (found []DatasetPaths, more bool, err error) {
	const op = "read dataset list"
	more, rest, err := moreFlag(op, "dataset list", body)
	if err != nil {
		return nil, false, err
	}
	r := &listReader{b: rest}
	for len(r.b) > 0 {
		if len(found) == max {
			return nil, false, protocol.E(op, protocol.Invalid, "more than %d datasets", max)
		}
		f, err := r.dataset()
		if err != nil {
			return nil, false, protocol.E(op, protocol.Invalid, "dataset %d: %w", len(found), err)
		}
		found = append(found, f)
	}
	return found, more, nil
}

// listReader reads the items of a dataset list frame.
type listReader struct{ b []byte }

// uvarint reads a minimal unsigned varint of at most max.
func (r *listReader) uvarint(what string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(r.b)
	switch {
	case n <= 0:
		return 0, fmt.Errorf("%s: not a varint", what)
	case n > 1 && r.b[n-1] == 0:
		return 0, fmt.Errorf("%s: not a minimal varint", what)
	case v > max:
		return 0, fmt.Errorf("%s %d, over %d", what, v, max)
	}
	r.b = r.b[n:]
	return v, nil
}

// bytes reads a length, at least 1 and at most max, and that many bytes.
func (r *listReader) bytes(what string, max uint64) ([]byte, error) {
	n, err := r.uvarint(what+" length", max)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%s of length 0", what)
	}
	if uint64(len(r.b)) < n {
		return nil, fmt.Errorf("%s: cut short", what)
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b, nil
}

func (r *listReader) dataset() (DatasetPaths, error) {
	raw, err := r.bytes("id", maxIDBytes)
	if err != nil {
		return DatasetPaths{}, err
	}
	id, err := protocol.IDFromBytes(raw)
	if err != nil {
		return DatasetPaths{}, err
	}
	if !bytes.Equal(id.Bytes(), raw) {
		return DatasetPaths{}, errors.New("id not in canonical binary form")
	}
	n, err := r.uvarint("number of paths", MaxPaths)
	if err != nil {
		return DatasetPaths{}, err
	}
	if n == 0 {
		return DatasetPaths{}, errors.New("no path")
	}
	f := DatasetPaths{Dataset: id, Paths: make([]string, 0, n)}
	for i := range n {
		p, err := r.bytes(fmt.Sprintf("path %d", i), protocol.MaxPathLen)
		if err != nil {
			return DatasetPaths{}, err
		}
		if !utf8.Valid(p) {
			return DatasetPaths{}, fmt.Errorf("path %d is not UTF-8", i)
		}
		f.Paths = append(f.Paths, string(p))
	}
	return f, nil
}

// moreFlag reads the first byte of a list frame's body: 1 when more
// follow, 0 when not; it returns the rest of the body.
func moreFlag(op, what string, body []byte) (more bool, rest []byte, err error) {
	if len(body) == 0 {
		return false, nil, protocol.E(op, protocol.Invalid, "empty %s frame", what)
	}
	switch body[0] {
	case 0:
	case 1:
		more = true
	default:
		return false, nil, protocol.E(op, protocol.Invalid, "more flag 0x%02x, want 0 or 1", body[0])
	}
	return more, body[1:], nil
}
