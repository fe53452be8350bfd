package protocol

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader reads JSON text in one pass without allocating. It serves the
// fast paths of decodeStrict and DecodeEnvelope, and accepts a subset of
// what the reference path (json.Valid, checkKeys, encoding/json) accepts:
// each method reports false on anything outside it, and the caller then
// hands the whole input to the reference path, which refuses it with its
// own message or accepts it the slow way. So the reader may give up on
// JSON the reference would accept, but must never accept what it refuses.
//
// The caller has checked that b is UTF-8; the reader checks the rest of
// RFC 8259 on the values it reads.
type jsonReader struct {
	b     []byte
	i     int
	depth int // of objects and arrays of no fixed shape being skipped
}

// maxSkipDepth bounds the nesting of values read by skipValue; deeper ones
// go to the reference path (which allows up to 10000).
const maxSkipDepth = 64

// next skips white space and returns the byte after it, 0 at the end.
func (r *jsonReader) next() byte {
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// eat skips white space and then c, reporting whether c was there.
func (r *jsonReader) eat(c byte) bool {
	if r.next() != c {
		return false
	}
	r.i++
	return true
}

// atEnd reports whether nothing but white space is left.
func (r *jsonReader) atEnd() bool {
	r.next()
	return r.i == len(r.b)
}

// plainInString[c] is true for the bytes that stand for themselves inside
// a JSON string: all but the quote, the backslash and control characters.
var plainInString = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// str reads a string and returns its text as written between the quotes,
// and whether that holds escapes (then unescape gives its value).
func (r *jsonReader) str() (text []byte, escaped, ok bool) {
	if r.next() != '"' {
		return nil, false, false
	}
	start := r.i + 1
	for i := start; ; {
		i += plainRun(r.b[i:])
		if i == len(r.b) {
			return nil, false, false
		}
		switch r.b[i] {
		case '"':
			r.i = i + 1
			return r.b[start:i], escaped, true
		case '\\':
			n := escapeLen(r.b[i:])
			if n == 0 {
				return nil, false, false
			}
			escaped = true
			i += n
		default: // a control character
			return nil, false, false
		}
	}
}

// plainRun returns the number of bytes at the start of b that stand for
// themselves inside a JSON string: all but the quote, the backslash and
// control characters. Strings are most of an envelope (the payload's
// base64), so it looks at eight bytes at a time.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// (x-ones*n) &^ x & highs is non-zero exactly when a byte of x
		// is below n (n <= 0x80): below 0x20 for control characters,
		// below 1 in w XOR the quote or the backslash for those.
		q, bs := w^(ones*'"'), w^(ones*'\\')
		if ((w-ones*0x20)&^w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			break
		}
	}
	for i < len(b) && plainInString[b[i]] {
		i++
	}
	return i
}

// text reads a string and returns its value: its text, unescaped if need
// be (then in a new slice).
func (r *jsonReader) text() ([]byte, bool) {
	t, escaped, ok := r.str()
	if ok && escaped {
		t, ok = unescape(t)
	}
	return t, ok
}

// escapeLen returns the length of the escape sequence at the start of b
// (which begins with a backslash), 0 if there is none.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if _, ok := hex4(b, 2); ok {
			return 6
		}
	}
	return 0
}

// unescape returns the value of string text t, whose escapes str has
// checked, as encoding/json reads it. It gives up on half a surrogate pair,
// which checkEscapes has refused before anyway.
func unescape(t []byte) ([]byte, bool) {
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); {
		c := t[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if t[i+1] != 'u' {
			out = append(out, unescaped[t[i+1]])
			i += 2
			continue
		}
		r, _ := hex4(t, i+2)
		i += 6
		if utf16.IsSurrogate(r) {
			lo, ok := rune(0), i+6 <= len(t) && t[i] == '\\' && t[i+1] == 'u'
			if ok {
				lo, ok = hex4(t, i+2)
			}
			if r = utf16.DecodeRune(r, lo); !ok || r == utf8.RuneError {
				return nil, false
			}
			i += 6
		}
		out = utf8.AppendRune(out, r)
	}
	return out, true
}

// unescaped maps the letter of a one-letter escape to what it stands for.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// number reads a number and returns it as written.
func (r *jsonReader) number() ([]byte, bool) {
	r.next()
	start, b := r.i, r.b
	i := start
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	r.i = i
	return b[start:i], true
}

// literal reads the word true, false or null.
func (r *jsonReader) literal(word string) bool {
	r.next()
	if len(r.b)-r.i < len(word) || string(r.b[r.i:r.i+len(word)]) != word {
		return false
	}
	r.i += len(word)
	return true
}

// skipValue reads any value, refusing, as checkKeys does, an object with a
// key twice at any depth.
func (r *jsonReader) skipValue() bool {
	switch r.next() {
	case '{':
		return r.skipObject()
	case '[':
		return r.skipArray()
	case '"':
		_, _, ok := r.str()
		return ok
	case 't':
		return r.literal("true")
	case 'f':
		return r.literal("false")
	case 'n':
		return r.literal("null")
	}
	_, ok := r.number()
	return ok
}

func (r *jsonReader) skipObject() bool {
	if r.depth++; r.depth > maxSkipDepth {
		return false
	}
	var keys keySet
	ok := r.members(func(key []byte) bool { return keys.add(key) && r.skipValue() })
	r.depth--
	return ok
}

func (r *jsonReader) skipArray() bool {
	if r.depth++; r.depth > maxSkipDepth {
		return false
	}
	ok := r.elements(r.skipValue)
	r.depth--
	return ok
}

// members reads an object, calling member with each key, as written, and
// the reader at its value. It gives up on a key with escapes: comparing it
// with the others would need its value.
func (r *jsonReader) members(member func(key []byte) bool) bool {
	if !r.eat('{') {
		return false
	}
	if r.eat('}') {
		return true
	}
	for {
		key, escaped, ok := r.str()
		if !ok || escaped || !r.eat(':') || !member(key) {
			return false
		}
		if !r.eat(',') {
			return r.eat('}')
		}
	}
}

// elements reads an array, calling element with the reader at each element.
func (r *jsonReader) elements(element func() bool) bool {
	if !r.eat('[') {
		return false
	}
	if r.eat(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		if !r.eat(',') {
			return r.eat(']')
		}
	}
}

// keySet finds a key twice in one object: a short list for the usual few
// keys, a map once there are many, so that a huge object stays linear.
type keySet struct {
	few  [8][]byte
	n    int
	many map[string]struct{}
}

// add adds key and reports whether it was new.
func (s *keySet) add(key []byte) bool {
	if s.many == nil {
		for _, k := range s.few[:s.n] {
			if bytes.Equal(k, key) {
				return false
			}
		}
		if s.n < len(s.few) {
			s.few[s.n] = key
			s.n++
			return true
		}
		s.many = make(map[string]struct{}, 4*len(s.few))
		for _, k := range s.few {
			s.many[string(k)] = struct{}{}
		}
	}
	if _, dup := s.many[string(key)]; dup {
		return false
	}
	s.many[string(key)] = struct{}{}
	return true
}
