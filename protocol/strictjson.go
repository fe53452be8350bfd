package protocol

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// decodeStrict decodes exactly one JSON value into v, a pointer to a struct,
// and refuses what a reader in another language could read differently:
// bytes that are not UTF-8, an object with a key twice, a key that is not
// exactly the JSON name of a field (encoding/json would match "NAME" to
// "name" without a word), a missing key for a field without omitempty (the
// fields Go always writes are the ones a peer must always write), null for
// a field tagged strict:"nonull" (which encoding/json reads as absent), and
// trailing data. what names the value in messages: "envelope",
// "statement", "predicate". SPEC.md §2.1 and §3.1. v must point to the
// zero value of its type: a failed fast path (strictfast.go) resets it.
func decodeStrict(what string, b []byte, v any) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	if err := checkEscapes(b); err != nil {
		return err
	}
	if decodeFast(b, v) {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero() // what the fast path half filled
	return decodeReference(what, b, v)
}

// decodeReference is decodeStrict without its fast path, after the checks
// of the text: slower, and what words every refusal.
func decodeReference(what string, b []byte, v any) error {
	t := reflect.TypeOf(v).Elem()
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
		if s.space(); f.list[i].noNull && s.b[s.i] == 'n' {
			return fmt.Errorf("%s: null is refused", s.where())
		}
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
	fast     bool           // decodeFast can read the struct: every field has a shape
}

type structField struct {
	name     string
	t        reflect.Type
	required bool  // no omitempty: the encoder always writes it
	noNull   bool  // tagged strict:"nonull": null is refused, not read as absent
	field    int   // index of the field in the struct
	shape    shape // how decodeFast reads it
	elem     shape // of the elements of a slice
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf returns the JSON fields of struct type t.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{index: make(map[string]int), fast: !opaque(t)}
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
		fl := structField{name: name, t: sf.Type, required: req, field: i, shape: shapeOf(sf.Type),
			noNull: sf.Tag.Get("strict") == "nonull"}
		if sf.Type.Kind() == reflect.Slice {
			fl.elem = shapeOf(sf.Type.Elem())
		}
		// encoding/json flattens embedded structs and reads ",string"
		// fields from strings: the fast path leaves both to it.
		if fl.shape == shapeOther || sf.Anonymous || strings.Contains(","+opts+",", ",string,") {
			f.fast = false
		}
		f.index[name] = len(f.list)
		f.list = append(f.list, fl)
	}
	if len(f.list) > 64 {
		panic("protocol: a struct decoded strictly has more than 64 fields") // a programming error
	}
	fieldCache.Store(t, f)
	return f
}
