package protocol

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller should do about it. The list
// only ever grows at the end: kinds are part of the HTTP API.
type Kind uint8

const (
	Other     Kind = iota // unclassified
	Invalid               // bad input: refuse it, penalise its sender, store nothing
	NotFound              // absent here: a caller may fetch it elsewhere
	Transient             // try again later
	Exists                // already there and must not be replaced
	Forbidden             // well formed, but the signer may not do this
	TooLarge              // over a size limit set by SPEC.md
	NoSpace               // the node's disk is too full to store it: try again once space is freed
)

var kindNames = [...]string{"other", "invalid", "not found", "transient", "exists", "forbidden", "too large", "no space"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is an error with the operation that failed and its Kind.
type Error struct {
	Op   string // what was being done: "decode envelope", "verify signature"
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. The message is formatted like fmt.Errorf, so %w works.
func E(op string, k Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: k, Err: fmt.Errorf(format, args...)}
}

// KindOf reports the Kind of the outermost *Error in err's chain that has
// one other than Other, or Other.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// IsKind reports whether err is of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
