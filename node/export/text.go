package export

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A document is often written to a terminal (commons export with no
// --out), and records stored before the text rules of SPEC.md §3.2 may
// hold characters that act on one. So no export writes a character that
// does not show: in JSON it is a \u escape, the same JSON value; in DOT,
// whose strings have no such escape, it is shown as the six characters
// \uXXXX.

// hidden reports whether r acts on a terminal or on the order of text
// instead of showing: a control (C0, DEL, C1), a format character
// (bidirectional controls, zero-width characters, tags), or a line or
// paragraph separator.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// jsonSafe rewrites the hidden characters of a JSON document as \u
// escapes. Outside its strings a JSON document is ASCII without controls
// but whitespace, so every character rewritten is inside a string, and
// the document's value is unchanged.
func jsonSafe(b []byte) []byte {
	if !strings.ContainsFunc(string(b), func(r rune) bool { return r >= 0x7f && hidden(r) }) {
		return b
	}
	var out strings.Builder
	out.Grow(len(b) + 16)
	for _, r := range string(b) {
		switch {
		case r < 0x7f || !hidden(r):
			out.WriteRune(r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return []byte(out.String())
}
