package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// checkShapeSlow is the reference for checkKeys, and what names the field
// when encoding/json refuses a value: it reads b token by token with
// encoding/json, guided by t, refusing the same things as checkKeys and
// also any JSON error, which it reports with its path. With leaves set it
// also decodes each leaf on its own. It is several times slower than
// checkKeys, so decodeStrict calls it only once something is wrong.
func checkShapeSlow(b []byte, t reflect.Type, what string, leaves bool) error {
	w := walker{b: b, dec: json.NewDecoder(bytes.NewReader(b)), leaves: leaves}
	w.dec.UseNumber() // a number too large for float64 is the decoder's to refuse, with its field
	if err := w.value(t, what); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
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
	raw := bytes.TrimLeft(w.b[start:w.dec.InputOffset()], " \t\r\n:,")
	if len(raw) >= 2 && raw[0] == '"' {
		if err := checkLeafText(t, raw[1:len(raw)-1], func() string { return path }); err != nil {
			return err
		}
	}
	if leaf && w.leaves {
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
		var fields *structFields
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
			noNull := false
			if fields != nil {
				i, ok := fields.index[key]
				if !ok {
					return fmt.Errorf("unknown field %q in %s", clip(key), path)
				}
				ft, noNull = fields.list[i].t, fields.list[i].noNull
			}
			start := w.dec.InputOffset()
			if err := w.value(ft, path+"."+clip(key)); err != nil {
				return err
			}
			if noNull && string(bytes.TrimLeft(w.b[start:w.dec.InputOffset()], " \t\r\n:,")) == "null" {
				return fmt.Errorf("%s.%s: null is refused", path, clip(key))
			}
		}
		if fields != nil {
			for _, f := range fields.list {
				if f.required && !seen[f.name] {
					return fmt.Errorf("missing field %q in %s", f.name, path)
				}
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
