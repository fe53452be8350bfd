package fetch

import (
	"bytes"
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
	if len(body) == 0 {
		return nil, false, protocol.E(op, protocol.Invalid, "empty id list frame")
	}
	switch body[0] {
	case 0:
	case 1:
		more = true
	default:
		return nil, false, protocol.E(op, protocol.Invalid, "more flag 0x%02x, want 0 or 1", body[0])
	}
	rest := body[1:]
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
