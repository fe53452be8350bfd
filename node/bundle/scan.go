package bundle

import (
	"bytes"
	"encoding/json"
	"strings"
)

// The objects of a large bundle are most of its bytes, and encoding/json
// reads every byte of a raw envelope twice through its state machine. The
// scan below finds the pieces of the top-level "objects" list, each
// {"id": "...", "envelope": {...}}, in one pass that checks the JSON
// syntax of every byte as encoding/json does, and leaves the rest of the
// document, small, to encoding/json. It gives up, and Decode reads the
// whole document with encoding/json, on anything it is not sure to read
// as encoding/json would: a key written with escapes or in other case, a
// member twice, an ID that does not parse, nesting deeper than scanDepth,
// bytes after the document. Either way Decode returns the same bundle or
// the same refusal.

// scanDepth bounds the nesting the scan follows, far below encoding/json's.
const scanDepth = 512

// scanObjects returns the pieces of the top-level "objects" member of
// raw, their envelopes pointing into raw, and raw with that member's value
// replaced by an empty list; ok is false when the scan gives up.
func scanObjects(raw []byte) (pieces []Piece, rest []byte, ok bool) {
	sc := scanner{b: raw}
	sc.ws()
	if !sc.eat('{') {
		return nil, nil, false
	}
	start, end := -1, -1
	sc.ws()
	if !sc.eat('}') {
		for {
			sc.ws()
			key, ok := sc.key()
			if !ok {
				return nil, nil, false
			}
			if !strings.EqualFold(key, "objects") {
				if !sc.value(0) {
					return nil, nil, false
				}
			} else {
				if key != "objects" || start >= 0 {
					return nil, nil, false
				}
				sc.ws()
				start = sc.i
				if pieces, ok = sc.pieces(); !ok {
					return nil, nil, false
				}
				end = sc.i
			}
			sc.ws()
			if sc.eat('}') {
				break
			}
			if !sc.eat(',') {
				return nil, nil, false
			}
		}
	}
	sc.ws()
	if sc.i != len(raw) || start < 0 {
		return nil, nil, false
	}
	rest = make([]byte, 0, len(raw)-(end-start)+2)
	rest = append(append(append(rest, raw[:start]...), "[]"...), raw[end:]...)
	return pieces, rest, true
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads a member's name and its colon: a string without escapes.
func (s *scanner) key() (string, bool) {
	start := s.i
	if !s.str() {
		return "", false
	}
	k := s.b[start+1 : s.i-1]
	if bytes.IndexByte(k, '\\') >= 0 {
		return "", false
	}
	s.ws()
	return string(k), s.eat(':')
}

// str reads a string, checking it as encoding/json does: no control
// character, only the escapes JSON has.
func (s *scanner) str() bool {
	if !s.eat('"') {
		return false
	}
	for s.i < len(s.b) {
		j := bytes.IndexAny(s.b[s.i:], "\"\\")
		if j < 0 {
			return false
		}
		for _, c := range s.b[s.i : s.i+j] {
			if c < 0x20 {
				return false
			}
		}
		s.i += j
		if s.b[s.i] == '"' {
			s.i++
			return true
		}
		s.i++ // the backslash
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.i++
		case 'u':
			if s.i+5 > len(s.b) {
				return false
			}
			for _, c := range s.b[s.i+1 : s.i+5] {
				if !isHex(c) {
					return false
				}
			}
			s.i += 5
		default:
			return false
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// value reads any JSON value at nesting depth.
func (s *scanner) value(depth int) bool {
	s.ws()
	if s.i >= len(s.b) || depth > scanDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		s.i++
		s.ws()
		if s.eat('}') {
			return true
		}
		for {
			s.ws()
			if !s.str() {
				return false
			}
			s.ws()
			if !s.eat(':') || !s.value(depth+1) {
				return false
			}
			s.ws()
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.eat(']') {
			return true
		}
		for {
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '-' || isDigit(c):
		return s.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
			s.i += len(lit)
			return true
		}
	}
	return false
}

// number reads a number as JSON writes one.
func (s *scanner) number() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && isDigit(s.b[s.i]):
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return false
	}
	if s.eat('.') {
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return false
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if s.i >= len(s.b) || !isDigit(s.b[s.i]) {
			return false
		}
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	}
	return true
}

// pieces reads a list of pieces, each {"id": "...", "envelope": ...} with
// both members once, in either order.
func (s *scanner) pieces() ([]Piece, bool) {
	if !s.eat('[') {
		return nil, false
	}
	out := []Piece{}
	s.ws()
	if s.eat(']') {
		return out, true
	}
	for {
		p, ok := s.piece()
		if !ok {
			return nil, false
		}
		out = append(out, p)
		s.ws()
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

func (s *scanner) piece() (Piece, bool) {
	var p Piece
	s.ws()
	if !s.eat('{') {
		return p, false
	}
	var haveID, haveEnv bool
	for {
		s.ws()
		key, ok := s.key()
		if !ok {
			return p, false
		}
		s.ws()
		start := s.i
		switch {
		case key == "id" && !haveID:
			if !s.str() {
				return p, false
			}
			text := s.b[start+1 : s.i-1]
			if bytes.IndexByte(text, '\\') >= 0 || p.ID.UnmarshalText(text) != nil {
				return p, false
			}
			haveID = true
		case key == "envelope" && !haveEnv:
			if !s.value(1) {
				return p, false
			}
			p.Envelope = json.RawMessage(s.b[start:s.i:s.i])
			haveEnv = true
		default:
			return p, false
		}
		s.ws()
		if s.eat('}') {
			return p, true
		}
		if !s.eat(',') {
			return p, false
		}
	}
}
