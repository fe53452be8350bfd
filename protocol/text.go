package protocol

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text and paths are shown to people on other machines: in a terminal, a
// table, a web page. What one node publishes must not be able to move the
// cursor, forge a line of a table, reorder what a reader sees, or look
// like nothing at all. SPEC.md §3.2 (text) and §3.3 (paths).

// textRule is what a text field may hold: its length in bytes, whether it
// is required, and whether it is prose, which may hold line feeds and tabs.
type textRule struct {
	max      int
	required bool
	prose    bool
}

// The rules of the text fields of statements, updates and the genesis.
var (
	nameText    = textRule{max: MaxNameLen, required: true}              // dataset name, standard, network name
	optLineText = textRule{max: MaxNameLen}                              // version
	paramText   = textRule{max: MaxParamValueLen}                        // param values
	proseText   = textRule{max: MaxTextLen, prose: true}                 // description, note
	reasonText  = textRule{max: MaxTextLen, required: true, prose: true} // revocation and governance reasons
	licenseText = textRule{max: MaxNameLen, required: true}              // then the SPDX characters
)

// checkText refuses a value of field that breaks r: too long, not UTF-8,
// missing or made only of invisible characters, or holding a character
// that no text field may hold (checkRunes).
func checkText(field, s string, r textRule) error {
	switch {
	case r.required && s == "":
		return E("", Invalid, "missing %s", field)
	case len(s) > r.max:
		return E("", Invalid, "%s is %d bytes, over %d", field, len(s), r.max)
	case !utf8.ValidString(s):
		return E("", Invalid, "%s is not UTF-8", field)
	case s != "" && invisibleOnly(s) && r.required:
		return E("", Invalid, "missing %s: %q has no visible character", field, clip(s))
	case s != "" && invisibleOnly(s):
		return E("", Invalid, "%s %q has no visible character: leave it empty instead", field, clip(s))
	}
	return checkRunes(field, s, r.prose)
}

// checkRunes refuses, in a value of field, a control character (C0, DEL,
// C1; in prose, line feed and tab are allowed), a line or paragraph
// separator, and a bidirectional control.
func checkRunes(field, s string, prose bool) error {
	for i, r := range s {
		if prose && (r == '\n' || r == '\t') {
			continue
		}
		if what := forbiddenRune(r); what != "" {
			return E("", Invalid, "%s contains %s %U at byte %d", field, what, r, i)
		}
	}
	return nil
}

// forbiddenRune says what r is when no text field and no path may hold
// it, and "" when r may appear.
func forbiddenRune(r rune) string {
	switch {
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return "a control character"
	case r == '\u2028' || r == '\u2029':
		return "a line or paragraph separator"
	case isBidiControl(r):
		return "a bidirectional control"
	}
	return ""
}

// isBidiControl reports whether r is one of the characters that change
// the direction of the text around it: the embeddings and overrides
// U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E, U+200F
// and U+061C. A name holding one can show its characters in another order
// than they are compared ("txt.exe" shown as "exe.txt").
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// IsInvisible reports whether r shows no glyph of its own: Unicode white
// space, a format character (category Cf: zero-width space and joiners,
// word joiner, byte order mark, bidirectional controls, soft hyphen, …), a
// variation selector, another default-ignorable code point (the Hangul
// fillers, the combining grapheme joiner, …), a control character, or the
// Braille pattern blank U+2800.
func IsInvisible(r rune) bool {
	return unicode.Is(unicode.White_Space, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.IsControl(r) || r == '\u2800'
}

// Invisible reports whether s is not empty and no character of it shows
// (SPEC.md §3.2): printed, it looks empty or like white space. A valid
// record holds no such text; a reader that prints text stored before the
// rule uses it to show such a value for what it is.
func Invisible(s string) bool { return s != "" && invisibleOnly(s) }

// invisibleOnly reports whether every character of s is invisible, so
// that s, printed, looks empty.
func invisibleOnly(s string) bool {
	for _, r := range s {
		if !IsInvisible(r) {
			return false
		}
	}
	return true
}

// CheckPath refuses a file path that is not a clean relative
// slash-separated path of printable UTF-8: SPEC.md §3.3.
func CheckPath(p string) error {
	switch {
	case p == "":
		return E("", Invalid, "empty path")
	case len(p) > MaxPathLen:
		return E("", Invalid, "path is %d bytes, over %d", len(p), MaxPathLen)
	case !utf8.ValidString(p):
		return E("", Invalid, "path %q is not UTF-8", clip(p))
	case strings.HasPrefix(p, "/"):
		return E("", Invalid, "path %q is absolute, want a path inside the dataset", clip(p))
	case strings.ContainsRune(p, '\\'):
		return E("", Invalid, "path %q contains a backslash", clip(p))
	}
	for _, r := range p {
		if what := forbiddenRune(r); what != "" {
			return E("", Invalid, "path %q contains %s %U", clip(p), what, r)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return E("", Invalid, "path %q has an empty, . or .. segment", clip(p))
		case invisibleOnly(seg):
			return E("", Invalid, "path %q has a segment %q with no visible character", clip(p), clip(seg))
		}
	}
	return nil
}

// checkPathSet refuses, among the paths of one record, two that are the
// same after Unicode normalisation (NFC), which many file systems store as
// one file, and a path that is a directory of another ("a" and "a/b"),
// which no file system holds at once. Paths are compared after NFC in
// both checks. It returns the indexes of the two paths in conflict.
func checkPathSet(paths []string) (i, j int, err error) {
	seen := make(map[string]int, len(paths))
	nfc := make([]string, len(paths))
	for k, p := range paths {
		nfc[k] = norm.NFC.String(p)
		if prev, dup := seen[nfc[k]]; dup {
			if paths[prev] == p {
				return prev, k, E("", Invalid, "path %q appears twice", clip(p))
			}
			return prev, k, E("", Invalid, "paths %q and %q are the same file after Unicode normalisation (NFC)", clip(paths[prev]), clip(p))
		}
		seen[nfc[k]] = k
	}
	for k, p := range nfc {
		for n := strings.IndexByte(p, '/'); n >= 0; {
			if dir, ok := seen[p[:n]]; ok {
				return dir, k, E("", Invalid, "path %q is a file, and a directory of path %q", clip(paths[dir]), clip(paths[k]))
			}
			next := strings.IndexByte(p[n+1:], '/')
			if next < 0 {
				break
			}
			n += 1 + next
		}
	}
	return 0, 0, nil
}
