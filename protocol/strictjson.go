package protocol

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// decodeStrict decodes exactly one JSON value into v, a pointer to a struct,
// and refuses what a reader in another language could read differently:
// bytes that are not UTF-8, an object with a key twice, a key that is not
// exactly the JSON name of a field (encoding/json would match "NAME" to
// "name" without a word), a missing key for a field without omitempty (the
// fields Go always writes are the ones a peer must always write), and
// trailing data. what names the value in messages: "envelope",
// "statement", "predicate". SPEC.md §2.1 and §3.1.
func decodeStrict(what string, b []byte, v any) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	t := reflect.TypeOf(v).Elem()
	if err := checkEscapes(b); err != nil {
		return err
	}
	if !json.Valid(b) {
		if err := checkShapeSlow(b, t, what, false); err != nil {
			return err
		}
		return errors.New("not JSON") // unreachable: the walker refuses what json.Valid does
	}
	if err := checkKeys(b, t, what); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		// encoding/json does not say which field a DID, an ID or a time
		// came from: walk again, decoding each leaf, to name it.
		if lerr := checkShapeSlow(b, t, what, true); lerr != nil {
			return lerr
		}
		return err
	}
	return nil
}

// checkKeys reads b, which must be valid JSON, guided by the Go type t it
// will be decoded into, and refuses a key twice in an object, a key that is
// not exactly a field's JSON name, and a missing required field. It makes
// no allocation for the keys of a struct.
func checkKeys(b []byte, t reflect.Type, what string) error {
	s := keyScanner{b: b, what: what}
	return s.value(t)
}

type keyScanner struct {
	b    []byte
	i    int
	what string
	path []segment // of the value being read, for messages
}

// segment is a step of a path: a key when index < 0, else an index.
type segment struct {
	key   []byte
	index int
}

func (s *keyScanner) where() string {
	var b strings.Builder
	b.WriteString(s.what)
	for _, p := range s.path {
		if p.index >= 0 {
			fmt.Fprintf(&b, "[%d]", p.index)
			continue
		}
		b.WriteByte('.')
		b.WriteString(clip(string(p.key)))
	}
	return b.String()
}

func (s *keyScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// value reads one value; t is nil for any value.
func (s *keyScanner) value(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	leafType := t
	if opaque(t) || t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
		t = nil // a leaf: encoding/json checks its type
	}
	s.space()
	switch c := s.b[s.i]; {
	case c == '{' && t == nil:
		return s.anyObject()
	case c == '{' && t.Kind() == reflect.Struct:
		return s.object(fieldsOf(t))
	case c == '[' && (t == nil || t.Kind() != reflect.Struct):
		var et reflect.Type
		if t != nil {
			et = t.Elem()
		}
		s.i++
		s.space()
		if s.b[s.i] == ']' {
			s.i++
			return nil
		}
		for n := 0; ; n++ {
			s.path = append(s.path, segment{index: n})
			if err := s.value(et); err != nil {
				return err
			}
			s.path = s.path[:len(s.path)-1]
			s.space()
			c := s.b[s.i]
			s.i++
			if c == ']' {
				return nil
			}
		}
	case t != nil && c == 'n': // null leaves a struct or slice at its zero
		s.i += len("null")
	case t != nil && t.Kind() == reflect.Struct:
		return fmt.Errorf("%s: want a JSON object", s.where())
	case t != nil:
		return fmt.Errorf("%s: want a JSON array", s.where())
	case c == '"':
		start := s.i
		s.skipString()
		return checkLeafText(leafType, s.b[start+1:s.i-1], s.where)
	default: // number, true, false, null
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\r\n", rune(s.b[s.i])) {
			s.i++
		}
	}
	return nil
}

// object reads an object to be decoded into a struct with fields f.
func (s *keyScanner) object(f *structFields) error {
	var seen uint64
	err := s.members(func(key []byte) error {
		i, ok := f.index[string(key)]
		if !ok {
			return fmt.Errorf("unknown field %q in %s", clip(string(key)), s.where())
		}
		if seen&(1<<i) != 0 {
			return fmt.Errorf("key %q appears twice in %s", clip(string(key)), s.where())
		}
		seen |= 1 << i
		s.path = append(s.path, segment{key: key, index: -1})
		err := s.value(f.list[i].t)
		s.path = s.path[:len(s.path)-1]
		return err
	})
	if err != nil {
		return err
	}
	if missing := f.required &^ seen; missing != 0 {
		for i, fl := range f.list {
			if missing&(1<<i) != 0 {
				return fmt.Errorf("missing field %q in %s", fl.name, s.where())
			}
		}
	}
	return nil
}

// anyObject reads an object of no fixed shape: only duplicate keys are refused.
func (s *keyScanner) anyObject() error {
	seen := make(map[string]struct{})
	return s.members(func(key []byte) error {
		if _, dup := seen[string(key)]; dup {
			return fmt.Errorf("key %q appears twice in %s", clip(string(key)), s.where())
		}
		seen[string(key)] = struct{}{}
		s.path = append(s.path, segment{key: key, index: -1})
		err := s.value(nil)
		s.path = s.path[:len(s.path)-1]
		return err
	})
}

// members reads the members of the object at s.i, calling member with each
// key (unescaped) with s.i at its value.
func (s *keyScanner) members(member func(key []byte) error) error {
	s.i++ // '{'
	s.space()
	if s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		start := s.i
		s.skipString()
		key := s.b[start+1 : s.i-1]
		if strings.IndexByte(string(key), '\\') >= 0 {
			var k string
			if err := json.Unmarshal(s.b[start:s.i], &k); err != nil {
				return err // unreachable: b is valid JSON
			}
			key = []byte(k)
		}
		s.space()
		s.i++ // ':'
		if err := member(key); err != nil {
			return err
		}
		s.space()
		c := s.b[s.i]
		s.i++
		if c == '}' {
			return nil
		}
	}
}

// skipString moves past the string that starts at s.i.
func (s *keyScanner) skipString() {
	s.i++ // opening quote
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports whether values of t decode themselves (DID, ID, time,
// json.RawMessage) or have no fixed keys (maps, interfaces): the checks then
// only refuse duplicate keys inside them.
func opaque(t reflect.Type) bool {
	if t == nil {
		return true
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		return true
	}
	return t.Kind() == reflect.Map || t.Kind() == reflect.Interface
}

// structFields are the JSON fields of a struct type, as encoding/json
// writes them.
type structFields struct {
	list     []structField
	index    map[string]int // JSON name → position in list
	required uint64         // bit i: list[i] has no omitempty
}

type structField struct {
	name     string
	t        reflect.Type
	required bool // no omitempty: the encoder always writes it
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the JSON fields of struct type t.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{index: make(map[string]int)}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		req := !strings.Contains(","+opts+",", ",omitempty,")
		if req {
			f.required |= 1 << len(f.list)
		}
		f.index[name] = len(f.list)
		f.list = append(f.list, structField{name: name, t: sf.Type, required: req})
	}
	if len(f.list) > 64 {
		panic("protocol: a struct decoded strictly has more than 64 fields") // a programming error
	}
	fieldCache.Store(t, f)
	return f
}

var (
	timeType = reflect.TypeFor[time.Time]()
	idType   = reflect.TypeFor[ID]()
)

// checkLeafText checks the text of a JSON string (between the quotes, as
// written) that decodes into a value of type t: times and IDs have one
// spelling inside a payload.
func checkLeafText(t reflect.Type, b []byte, where func() string) error {
	switch t {
	case timeType:
		return checkTimeText(b, where())
	case idType:
		return checkIDText(b, where())
	}
	return nil
}

// checkIDText refuses an ID that is not in canonical text form, base32 as
// ID.String writes it: ParseID takes other spellings (other multibases,
// sha256:HEX, non-zero padding bits), which are for people, not payloads.
func checkIDText(b []byte, where string) error {
	id, err := ParseID(string(b))
	if err != nil {
		return nil // the decoder refuses it, with the reason
	}
	if c := id.String(); c != string(b) {
		return fmt.Errorf("%s: ID %q is not in canonical form %s", where, clip(string(b)), c)
	}
	return nil
}

// checkTimeText refuses a time that is not an RFC 3339 date-time in the form
// SPEC.md §3.2 fixes: YYYY-MM-DDTHH:MM:SS, an optional fraction of one to
// nine digits, then Z or ±HH:MM with HH at most 23 and MM at most 59.
// encoding/json would also take a comma before the fraction and offsets of
// +24:00 or +23:60, which other readers refuse. The ranges of the fields are left to time.Parse.
func checkTimeText(b []byte, where string) error {
	digits := func(i, n int) bool {
		for ; n > 0; i, n = i+1, n-1 {
			if i >= len(b) || b[i] < '0' || b[i] > '9' {
				return false
			}
		}
		return true
	}
	at := func(i int, c byte) bool { return i < len(b) && b[i] == c }
	ok := digits(0, 4) && at(4, '-') && digits(5, 2) && at(7, '-') && digits(8, 2) && at(10, 'T') &&
		digits(11, 2) && at(13, ':') && digits(14, 2) && at(16, ':') && digits(17, 2)
	i := 19
	if ok && at(i, '.') {
		n := 0
		for i++; digits(i, 1); i++ {
			n++
		}
		ok = n >= 1 && n <= 9
	}
	switch {
	case !ok:
	case at(i, 'Z'):
		ok = i+1 == len(b)
	case at(i, '+') || at(i, '-'):
		ok = i+6 == len(b) && digits(i+1, 2) && at(i+3, ':') && digits(i+4, 2) && (b[i+1] < '2' || b[i+1] == '2' && b[i+2] <= '3') && b[i+4] <= '5'
	default:
		ok = false
	}
	if !ok {
		return fmt.Errorf("%s: %q is not a date-time of the form 2006-01-02T15:04:05[.999999999](Z|+07:00)", where, clip(string(b)))
	}
	return nil
}

// checkEscapes refuses a \u escape of half a UTF-16 surrogate pair that is
// not part of a pair: encoding/json reads it as U+FFFD, other readers keep
// it or refuse it (RFC 8259 §8.2). b need not be valid JSON.
func checkEscapes(b []byte) error {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		i++ // the escaped character
		if b[i] != 'u' {
			continue
		}
		r, ok := hex4(b, i+1)
		if !ok || r < 0xd800 || r > 0xdfff {
			continue
		}
		if r <= 0xdbff && i+10 < len(b) && b[i+5] == '\\' && b[i+6] == 'u' {
			if lo, ok := hex4(b, i+7); ok && lo >= 0xdc00 && lo <= 0xdfff {
				i += 10 // the pair
				continue
			}
		}
		return fmt.Errorf("unpaired surrogate escape \\u%04x in a string", r)
	}
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
