package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
)

// What the CLI prints comes in part from other nodes: names, licences,
// notes, reasons, paths, addresses. Protocol validation refuses what
// could act on a terminal (SPEC.md §3.2), but a store may hold objects
// accepted before that rule, and a daemon may be another program: so
// every cell of a table and every message goes through safeText or
// safeMessage on its way out, whatever validation said. SPEC.md §6.3.

// shows reports whether r prints as a glyph or a space of its own, and
// so cannot move the cursor, end a line or reorder the text around it:
// a graphic character (letter, mark, number, punctuation, symbol, space
// separator), or the zero-width joiners that emoji and several scripts
// need between visible characters.
func shows(r rune) bool {
	return unicode.IsGraphic(r) || r == '\u200c' || r == '\u200d'
}

func notShown(r rune) bool { return !shows(r) }

// safeText returns s as one cell of a table can show it: s itself when
// every character of it shows, it does not look empty, and it does not
// begin with a double quote; otherwise s quoted as a Go string literal
// (quote), whose escapes (\x1b, \n, \u202e, \xff) make each control,
// separator, format character, invisible character and invalid byte
// visible, and whose quotes tell it from text that merely looks the
// same. Other letters of every script are kept as they are.
func safeText(s string) string {
	if strings.HasPrefix(s, `"`) || protocol.Invisible(s) || !utf8.ValidString(s) || strings.IndexFunc(s, notShown) >= 0 {
		return quote(s)
	}
	return s
}

// quote is strconv.Quote, but for the invisible characters that
// strconv.Quote keeps (the Hangul filler U+3164, no-break spaces, …),
// which it escapes too: a quoted value shows every character it holds.
func quote(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case r != ' ' && protocol.IsInvisible(r):
			q := strconv.QuoteRuneToASCII(r)
			b = append(b, q[1:len(q)-1]...)
		default:
			q := strconv.Quote(s[i : i+n])
			b = append(b, q[1:len(q)-1]...)
		}
		i += n
	}
	return string(append(b, '"'))
}

// safeMessage returns an error message as one line of a terminal shows
// it: line breaks become "; ", and each other character that does not
// show is replaced by its escape (\x1b, \u202e, \xff). Values in messages
// are quoted where the message is made; this is what keeps a value that
// was not from acting on the terminal.
func safeMessage(msg string) string {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, n := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case shows(r):
			b.WriteString(msg[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// safeJSON returns a JSON document with each character that does not
// show, but the line feeds and spaces of its layout, written as a \u
// escape: the same document, read by a JSON parser, and nothing in it that
// acts on a terminal. encoding/json escapes C0 controls, U+2028 and U+2029
// itself, but writes DEL, C1 controls and bidirectional controls as they
// are. Outside strings a JSON document holds only ASCII, so every
// character escaped here is inside a string.
func safeJSON(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == '\n' || r == ' ' || shows(r) && !(r == utf8.RuneError && n == 1) {
			out = append(out, doc[i:i+n]...)
		} else if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}

// table writes the text form of a command: rows of cells aligned in
// columns. It has no other way to write than row, so that nothing
// reaches the terminal without safeText.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table { return &table{tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)} }

// safe is a cell made of parts that safeText made safe already: row
// writes it as it is, rather than quote the quotes of its parts.
type safe string

// row writes one line of cells, each formatted as by fmt.Sprint and made
// safe by safeText (but for a cell of type safe), separated by tabs.
// row() writes an empty line.
func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		if s, ok := c.(safe); ok {
			io.WriteString(t.tw, string(s))
			continue
		}
		io.WriteString(t.tw, safeText(fmt.Sprint(c)))
	}
	io.WriteString(t.tw, "\n")
}

// rowf writes one line whose single cell is formatted as by fmt.Sprintf,
// then made safe as a whole.
func (t *table) rowf(format string, args ...any) { t.row(fmt.Sprintf(format, args...)) }

func (t *table) flush() error { return t.tw.Flush() }
