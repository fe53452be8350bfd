package protocol

import (
	"bytes"
	"fmt"
	"reflect"
	"time"
)

// The text of some leaves is checked as written, before encoding/json reads
// it: where encoding/json is lenient, readers in other languages are not,
// and a value must have one reading and one spelling.

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
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return nil
		}
		i += j
		if i+1 >= len(b) {
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
