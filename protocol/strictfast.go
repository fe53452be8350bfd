package protocol

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// The fast path of decodeStrict reads the input once, checking it and
// filling the value as it goes, where the reference path reads it three
// times (json.Valid, checkKeys, encoding/json, which also validates
// before it decodes). It covers the Go types of the protocol's wire forms
// and the JSON that producers write; on anything else, and on anything
// wrong, it gives up, and decodeStrict starts again on the reference
// path. So what is refused, and the message that says why, do not depend
// on it; FuzzDecodeFast checks that what it accepts, it reads as the
// reference does.

// shape says how the fast path reads a value of a Go type.
type shape uint8

const (
	shapeOther     shape = iota // not read by the fast path
	shapeString                 // a string kind
	shapeFloat                  // float64
	shapeInt                    // a signed integer kind
	shapeDID                    // DID
	shapeID                     // ID
	shapeTime                   // time.Time
	shapeRaw                    // json.RawMessage: any value, kept as written
	shapeStringMap              // map[string]string
	shapeStruct                 // a struct, read by its JSON fields
	shapeStructPtr              // a pointer to such a struct
	shapeSlice                  // a slice of values of any other shape
)

var (
	didType        = reflect.TypeFor[DID]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	stringMapType  = reflect.TypeFor[map[string]string]()
)

func shapeOf(t reflect.Type) shape {
	switch t {
	case didType:
		return shapeDID
	case idType:
		return shapeID
	case timeType:
		return shapeTime
	case rawMessageType:
		return shapeRaw
	case stringMapType:
		return shapeStringMap
	}
	if opaque(t) {
		return shapeOther // decodes itself in a way the fast path does not know
	}
	switch t.Kind() {
	case reflect.String:
		return shapeString
	case reflect.Float64:
		return shapeFloat
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return shapeInt
	case reflect.Struct:
		return shapeStruct
	case reflect.Pointer:
		if shapeOf(t.Elem()) == shapeStruct {
			return shapeStructPtr
		}
	case reflect.Slice:
		if e := shapeOf(t.Elem()); e != shapeOther && e != shapeSlice {
			return shapeSlice
		}
	}
	return shapeOther
}

// decodeFast decodes b into v, a pointer to the zero value of a struct, and
// reports whether it could. b is UTF-8 without unpaired surrogate escapes
// (decodeStrict checks that first). When it reports false, v may be half
// filled.
func decodeFast(b []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return false
	}
	d := fastDecoder{jsonReader{b: b}}
	return d.object(rv.Elem()) && d.atEnd()
}

type fastDecoder struct{ jsonReader }

// object reads a JSON object into struct v, refusing what checkKeys
// refuses: an unknown key, a key twice, a missing required field.
func (d *fastDecoder) object(v reflect.Value) bool {
	f := fieldsOf(v.Type())
	if !f.fast {
		return false
	}
	var seen uint64
	ok := d.members(func(key []byte) bool {
		i, known := f.index[string(key)]
		if !known || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		fl := &f.list[i]
		return d.value(v.Field(fl.field), fl.shape, fl.elem)
	})
	return ok && f.required&^seen == 0
}

// value reads a value of shape s into v; elem is the shape of the elements
// of a slice. A null is left to the reference path, which knows what each
// type makes of it.
func (d *fastDecoder) value(v reflect.Value, s, elem shape) bool {
	switch s {
	case shapeString:
		t, ok := d.text()
		if ok {
			v.SetString(string(t))
		}
		return ok
	case shapeFloat:
		n, ok := d.number()
		f, err := strconv.ParseFloat(string(n), 64)
		if ok && err == nil {
			v.SetFloat(f)
		}
		return ok && err == nil
	case shapeInt:
		n, ok := d.number()
		i, err := strconv.ParseInt(string(n), 10, 64)
		if ok = ok && err == nil && !v.OverflowInt(i); ok {
			v.SetInt(i)
		}
		return ok
	case shapeDID:
		return d.did(v.Addr().Interface().(*DID))
	case shapeID:
		return d.id(v.Addr().Interface().(*ID))
	case shapeTime:
		return d.time(v.Addr().Interface().(*time.Time))
	case shapeRaw:
		d.next()
		start := d.i
		if !d.skipValue() {
			return false
		}
		v.SetBytes(append([]byte(nil), d.b[start:d.i]...)) // copied, as encoding/json does
		return true
	case shapeStringMap:
		return d.stringMap(v.Addr().Interface().(*map[string]string))
	case shapeStruct:
		return d.object(v)
	case shapeStructPtr:
		if d.next() != '{' {
			return false
		}
		p := reflect.New(v.Type().Elem())
		v.Set(p)
		return d.object(p.Elem())
	case shapeSlice:
		return d.slice(v, elem)
	}
	return false
}

func (d *fastDecoder) did(p *DID) bool {
	t, ok := d.text()
	if !ok {
		return false
	}
	did, err := parseDIDText(t)
	*p = did
	return err == nil
}

// id reads an ID, which a payload must write in canonical form and, as
// checkIDText reads it as written, without escapes.
func (d *fastDecoder) id(p *ID) bool {
	t, escaped, ok := d.str()
	if !ok || escaped {
		return false
	}
	id, err := parseCanonicalID(t)
	*p = id
	return err == nil
}

// time reads a time, which must have the one spelling checkTimeText
// allows, without escapes (which it refuses).
func (d *fastDecoder) time(p *time.Time) bool {
	t, escaped, ok := d.str()
	if !ok || escaped || checkTimeText(t, "") != nil {
		return false
	}
	return p.UnmarshalText(t) == nil // as Time.UnmarshalJSON reads a string
}

// stringMap reads an object of strings. encoding/json makes an empty map
// of {}, and so does this.
func (d *fastDecoder) stringMap(p *map[string]string) bool {
	m := make(map[string]string)
	*p = m
	return d.members(func(key []byte) bool {
		val, ok := d.text()
		if _, dup := m[string(key)]; !ok || dup {
			return false
		}
		m[string(key)] = string(val)
		return true
	})
}

// slice reads an array into slice v. encoding/json makes an empty slice,
// not nil, of [], and so does this.
func (d *fastDecoder) slice(v reflect.Value, elem shape) bool {
	ok := d.elements(func() bool {
		n := v.Len()
		v.Grow(1)
		v.SetLen(n + 1)
		return d.value(v.Index(n), elem, shapeOther)
	})
	if ok && v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	return ok
}
