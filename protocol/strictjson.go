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
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := checkShape(dec, reflect.TypeOf(v).Elem(), what); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
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

// checkShape reads one JSON value from dec, guided by the Go type t it will
// be decoded into (nil: any value).
func checkShape(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if opaque(t) {
		t = nil
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]structField
		if t != nil && t.Kind() == reflect.Struct {
			fields = fieldsOf(t)
		}
		seen := make(map[string]bool)
		for dec.More() {
			kt, err := dec.Token()
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
			if err := checkShape(dec, ft, join(path, key)); err != nil {
				return err
			}
		}
		for name, f := range fields {
			if f.required && !seen[name] {
				return fmt.Errorf("missing field %q in %s", name, path)
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkShape(dec, et, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil // a scalar: the decoder checks its type
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

func join(path, key string) string { return path + "." + clip(key) }
