package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
)

// Op is what a request asks for.
type Op string

const (
	OpObjects   Op = "objects"   // envelopes by ID
	OpClaims    Op = "claims"    // IDs of the claims held about a subject
	OpGov       Op = "gov"       // governance DAG nodes by ID
	OpFiles     Op = "files"     // IDs of the datasets held that name a file
	OpRotations Op = "rotations" // IDs of the rotations held that name a key
	OpChunks    Op = "chunks"    // manifest chunks by ID
	OpDerived   Op = "derived"   // IDs of the datasets and derivations held that name a subject as parent or input
)

// Request is the one request of a fetch stream. SPEC.md §7.3 gives its
// JSON form and which fields each op takes.
type Request struct {
	Network protocol.NetworkID // must be the server's network
	Op      Op
	IDs     []protocol.ID   // objects, gov, chunks: 1 to MaxIDs, unique
	Subject protocol.ID     // claims, derived: the subject
	Digest  protocol.Digest // files: the file's digest; never all zero, which means none
	Key     protocol.DID    // rotations: the key
	After   protocol.ID     // claims, files, rotations, derived: list only what follows this ID; zero from the start
	Limit   int             // claims, files, rotations, derived: 1 to MaxClaims; 0 means MaxClaims
}

// wireRequest is the JSON form of Request.
type wireRequest struct {
	Network string   `json:"network"`
	Op      Op       `json:"op"`
	IDs     []string `json:"ids,omitempty"`
	Subject string   `json:"subject,omitempty"`
	Digest  string   `json:"digest,omitempty"`
	Key     string   `json:"key,omitempty"`
	After   string   `json:"after,omitempty"`
	Limit   int      `json:"limit,omitempty"`
}

// Encode returns the JSON form of r. r must be valid.
func (r *Request) Encode() []byte {
	w := wireRequest{Network: r.Network.String(), Op: r.Op, Limit: r.Limit}
	for _, id := range r.IDs {
		w.IDs = append(w.IDs, id.String())
	}
	w.Subject, w.After = r.Subject.String(), r.After.String()
	if r.hasDigest() {
		w.Digest = r.Digest.String()
	}
	if !r.Key.IsZero() {
		w.Key = r.Key.String()
	}
	b, err := json.Marshal(w)
	if err != nil {
		panic(err) // unreachable: strings and an int
	}
	return b
}

// Validate checks r against the rules of SPEC.md §7.3.
func (r *Request) Validate() error {
	const op = "check request"
	if r.Network.IsZero() {
		return protocol.E(op, protocol.Invalid, "no network")
	}
	switch r.Op {
	case OpObjects, OpGov, OpChunks:
		if !r.Subject.IsZero() || r.hasDigest() || !r.Key.IsZero() || !r.After.IsZero() || r.Limit != 0 {
			return protocol.E(op, protocol.Invalid, "op %q takes only ids", r.Op)
		}
		return checkIDs(op, r.Op, r.IDs)
	case OpClaims, OpFiles, OpRotations, OpDerived:
		return r.checkList(op)
	}
	return protocol.E(op, protocol.Invalid, "unknown op %q", clip(string(r.Op)))
}

// checkList checks a request for an ID list: the claims about a subject,
// the datasets that name a file, the rotations that name a key, or what
// names a subject as parent or input. Each takes its own one of subject,
// digest and key, and no other.
func (r *Request) checkList(op string) error {
	wants := map[Op]string{OpClaims: "subject", OpFiles: "digest", OpRotations: "key", OpDerived: "subject"}[r.Op]
	for _, m := range []struct {
		name string
		set  bool
	}{{"subject", !r.Subject.IsZero()}, {"digest", r.hasDigest()}, {"key", !r.Key.IsZero()}} {
		switch {
		case m.name == wants && !m.set:
			return protocol.E(op, protocol.Invalid, "op %q needs a %s", r.Op, m.name)
		case m.name != wants && m.set:
			return protocol.E(op, protocol.Invalid, "op %q takes no %s", r.Op, m.name)
		}
	}
	switch {
	case r.IDs != nil:
		return protocol.E(op, protocol.Invalid, "op %q takes no ids", r.Op)
	case !r.After.IsZero() && !r.After.IsObject():
		return protocol.E(op, protocol.Invalid, "after %s is not an object ID", r.After)
	case r.Limit < 0 || r.Limit > MaxClaims:
		return protocol.E(op, protocol.Invalid, "limit %d is outside [1, %d]", r.Limit, MaxClaims)
	}
	return nil
}

func checkIDs(op string, o Op, ids []protocol.ID) error {
	if len(ids) == 0 || len(ids) > MaxIDs {
		return protocol.E(op, protocol.Invalid, "%d ids, want 1 to %d", len(ids), MaxIDs)
	}
	seen := make(map[protocol.ID]bool, len(ids))
	for _, id := range ids {
		if id.IsZero() {
			return protocol.E(op, protocol.Invalid, "empty id")
		}
		if o == OpObjects && !id.IsObject() {
			return protocol.E(op, protocol.Invalid, "%s names an artifact, not an object", id)
		}
		if o == OpChunks && id.IsObject() {
			return protocol.E(op, protocol.Invalid, "%s names an object, not a chunk (codec raw)", id)
		}
		if seen[id] {
			return protocol.E(op, protocol.Invalid, "%s asked for twice", id)
		}
		seen[id] = true
	}
	return nil
}

// hasDigest reports whether r names a file. No file has the all-zero
// digest (no one knows bytes that hash to it), so it stands for none.
func (r *Request) hasDigest() bool { return r.Digest != protocol.Digest{} }

// limit returns the number of IDs r asks for.
func (r *Request) limit() int {
	if r.Limit == 0 {
		return MaxClaims
	}
	return r.Limit
}

// DecodeRequest parses and validates the JSON of a request. It is strict:
// UTF-8 only, one object, member names matched exactly and never twice,
// no unknown members, IDs, the digest and the network in canonical form,
// limit an integer.
func DecodeRequest(b []byte) (*Request, error) {
	const op = "decode request"
	if len(b) > MaxRequestSize {
		return nil, protocol.E(op, protocol.Invalid, "request is %d bytes, over the limit of %d", len(b), MaxRequestSize)
	}
	if !utf8.Valid(b) {
		return nil, protocol.E(op, protocol.Invalid, "request is not UTF-8")
	}
	var r Request
	if err := decodeMembers(b, &r); err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeMembers walks the top-level object of b member by member, so that
// names match exactly (encoding/json would accept "Network") and a name
// given twice is refused rather than silently overwritten.
func decodeMembers(b []byte, r *Request) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if seen[name] {
			return errors.New("member " + strconv.Quote(clip(name)) + " given twice")
		}
		seen[name] = true
		if err := decodeMember(dec, name, r); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the request object")
	}
	return nil
}

func decodeMember(dec *json.Decoder, name string, r *Request) error {
	var err error
	switch name {
	case "network":
		var s string
		if err = dec.Decode(&s); err == nil {
			r.Network, err = parseNetwork(s)
		}
	case "op":
		var s string
		if err = dec.Decode(&s); err == nil {
			r.Op = Op(s)
		}
	case "ids":
		var ss []string
		if err = dec.Decode(&ss); err == nil {
			r.IDs = make([]protocol.ID, 0, len(ss))
			for _, s := range ss {
				id, err := parseCanonicalID(s)
				if err != nil {
					return err
				}
				r.IDs = append(r.IDs, id)
			}
		}
	case "subject":
		r.Subject, err = decodeID(dec)
	case "digest":
		r.Digest, err = decodeDigest(dec)
	case "key":
		var t string
		if err = dec.Decode(&t); err == nil {
			r.Key, err = protocol.ParseDID(t)
		}
	case "after":
		r.After, err = decodeID(dec)
	case "limit":
		r.Limit, err = decodeLimit(dec)
	default:
		return errors.New("unknown member " + strconv.Quote(clip(name)))
	}
	if err != nil {
		return errors.New(name + ": " + err.Error())
	}
	return nil
}

// decodeLimit accepts a positive integer written as one, without a sign,
// fraction, exponent or leading zero.
func decodeLimit(dec *json.Decoder) (int, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return 0, err
	}
	if len(raw) == 0 || raw[0] < '1' || raw[0] > '9' {
		return 0, errors.New("not a positive integer")
	}
	v, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil {
		return 0, errors.New("not a positive integer")
	}
	return int(v), nil
}

func decodeID(dec *json.Decoder) (protocol.ID, error) {
	var s string
	if err := dec.Decode(&s); err != nil {
		return protocol.ID{}, err
	}
	return parseCanonicalID(s)
}

// parseCanonicalID accepts an ID only in the one form String gives it.
func parseCanonicalID(s string) (protocol.ID, error) {
	id, err := protocol.ParseID(s)
	if err != nil {
		return protocol.ID{}, err
	}
	if id.String() != s {
		return protocol.ID{}, errors.New(strconv.Quote(clip(s)) + " is not in canonical form " + id.String())
	}
	return id, nil
}

// decodeDigest accepts a digest only in the one form String gives it, and
// not the all-zero digest, which Request keeps for none.
func decodeDigest(dec *json.Decoder) (protocol.Digest, error) {
	var s string
	if err := dec.Decode(&s); err != nil {
		return protocol.Digest{}, err
	}
	d, err := protocol.ParseDigest(s)
	if err != nil {
		return protocol.Digest{}, err
	}
	if d.String() != s {
		return protocol.Digest{}, errors.New(strconv.Quote(clip(s)) + " is not in canonical form " + d.String())
	}
	if d == (protocol.Digest{}) {
		return protocol.Digest{}, errors.New("the all-zero digest names no file")
	}
	return d, nil
}

func parseNetwork(s string) (protocol.NetworkID, error) {
	n, err := protocol.ParseNetworkID(s)
	if err != nil {
		return protocol.NetworkID{}, err
	}
	if n.String() != s {
		return protocol.NetworkID{}, errors.New(strconv.Quote(clip(s)) + " is not in canonical form " + n.String())
	}
	return n, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
