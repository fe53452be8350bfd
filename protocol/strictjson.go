package protocol

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// fields Go always writes are the ones a peer must always write), and
// trailing data. SPEC.md §2.1 and §3.1.
// what names the value in messages: "envelope", "statement", "predicate".
func decodeStrict(what string, b []byte, v any) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	t := reflect.TypeOf(v).Elem()
	w := walker{b: b, dec: json.NewDecoder(bytes.NewReader(b))}
	w.dec.UseNumber() // a number too large for float64 is the decoder's to refuse, with its field
	if err := w.value(t, what); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json does not say which field a DID, an ID or a time
		// came from: walk again, decoding each leaf, to name it.
		w = walker{b: b, dec: json.NewDecoder(bytes.NewReader(b)), leaves: true}
		w.dec.UseNumber()
		if lerr := w.value(t, what); lerr != nil {
			return lerr
		}
		return err
	}
	return nil
}

// walker reads one JSON value from dec, guided by the Go type it will be
// decoded into. With leaves set it also decodes every leaf value (a
// string, number, bool, or a value of a type that decodes itself) on its
// own, so that an error comes with the path of the field.
type walker struct {
	b      []byte
	dec    *json.Decoder
	leaves bool
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque reports whether values of t decode themselves (DID, ID, time,
// json.RawMessage) or have no fixed keys (maps, interfaces): checkShape then
// only refuses duplicate keys inside them.
func opaque(t reflect.Type) bool {
	if t == nil {
		return true
	}
	if pt := reflect.PointerTo(t); pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		return true
	}
	return t.Kind() == reflect.Map || t.Kind() == reflect.Interface
}

// value reads one value at path; t is the type it decodes into, nil for
// any value.
func (w *walker) value(t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	start := w.dec.InputOffset()
	leaf := t != nil && (opaque(t) || t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Array)
	inner := t
	if leaf {
		inner = nil
	}
	if err := w.inner(inner, path); err != nil {
		return err
	}
	if leaf && w.leaves {
		raw := bytes.TrimLeft(w.b[start:w.dec.InputOffset()], " \t\r\n:,")
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func (w *walker) inner(t reflect.Type, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]structField
		if t != nil {
			if t.Kind() != reflect.Struct {
				return fmt.Errorf("%s: want a JSON array", path)
			}
			fields = fieldsOf(t)
		}
		seen := make(map[string]bool)
		for w.dec.More() {
			kt, err := w.dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string) // the decoder only yields string keys inside an object
			if seen[key] {
				return fmt.Errorf("key %q appears twice in %s", clip(key), path)
			}
			seen[key] = true
			var ft reflect.Type
			if fields != nil {
				f, ok := fields[key]
				if !ok {
					return fmt.Errorf("unknown field %q in %s", clip(key), path)
				}
				ft = f.t
			}
			if err := w.value(ft, path+"."+clip(key)); err != nil {
				return err
			}
		}
		for name, f := range fields {
			if f.required && !seen[name] {
				return fmt.Errorf("missing field %q in %s", name, path)
			}
		}
		_, err = w.dec.Token() // '}'
		return err
	case json.Delim('['):
		var et reflect.Type
		if t != nil {
			if t.Kind() == reflect.Struct {
				return fmt.Errorf("%s: want a JSON object", path)
			}
			et = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(et, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = w.dec.Token() // ']'
		return err
	case nil:
		return nil // null leaves any value at its zero
	}
	if t != nil {
		if t.Kind() == reflect.Struct {
			return fmt.Errorf("%s: want a JSON object", path)
		}
		return fmt.Errorf("%s: want a JSON array", path)
	}
	return nil
}

type structField struct {
	t        reflect.Type
	required bool // no omitempty: the encoder always writes it
}

var fieldCache sync.Map // reflect.Type → map[string]structField

// fieldsOf returns the JSON names of t's fields, as encoding/json writes them.
func fieldsOf(t reflect.Type) map[string]structField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]structField)
	}
	m := make(map[string]structField)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		m[name] = structField{t: f.Type, required: !strings.Contains(","+opts+",", ",omitempty,")}
	}
	fieldCache.Store(t, m)
	return m
}
