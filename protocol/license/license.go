// Package license reads the licence of a record, an SPDX licence
// expression, and says what it asks of a work derived from data under it:
// the properties of each licence (a table, whose sources docs/LICENSES.md
// gives), whether a derived work's licence keeps the terms of its
// upstream licences, and the obligations that follow.
//
// It is pure: no store, no network, no clock. It must never refuse a
// record: text that does not parse, or a licence it does not know, is
// Unknown, and the answer says so.
package license

import (
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
)

// maxChoiceLicenses bounds the licences of one expression whose choices
// (below) are worked out one subset at a time; an expression naming more
// is read as if all its licences applied at once, which can only find more
// conflicts, never fewer.
const maxChoiceLicenses = 8

// Expression is a licence expression as a record gives it.
type Expression struct {
	Text  string // as written in the record
	Valid bool   // it parses as an SPDX expression
	// Licenses are the distinct licences it names, normalised by the SPDX
	// list ("mit" is MIT, "GPL-2.0+" is GPL-2.0-or-later), sorted; a
	// licence with an exception is written "ID WITH EXCEPTION".
	Licenses []string
	// Choices are the ways to meet it: each a smallest set of its licences
	// that together satisfy it, the sets sorted. "MIT OR Apache-2.0" has
	// two choices of one licence, "MIT AND CC-BY-4.0" one of two. An
	// expression that does not parse has one choice, itself, Unknown.
	Choices [][]string
}

// Parse parses an SPDX licence expression. It fails, saying why, when s
// is not one: what a person types is checked with it before publishing.
func Parse(s string) (Expression, error) {
	ls, err := spdxexp.ExtractLicenses(s)
	if err != nil {
		return Expression{}, err
	}
	slices.Sort(ls)
	e := Expression{Text: s, Valid: true, Licenses: ls}
	e.Choices = choices(s, ls)
	return e, nil
}

// Of reads the licence of a record, which never fails: text that does not
// parse is one Unknown licence, the text itself.
func Of(s string) Expression {
	if e, err := Parse(s); err == nil {
		return e
	}
	return Expression{Text: s, Licenses: []string{s}, Choices: [][]string{{s}}}
}

// Suggest is what a person who typed s, which does not parse, might mean:
// a LicenseRef naming it (SPDX's form for a licence not on its list).
func Suggest(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-.")
	if name == "" {
		name = "custom"
	}
	return "LicenseRef-" + name
}

// choices finds the smallest subsets of ls that satisfy the expression s,
// by SPDX's own rule of satisfaction.
func choices(s string, ls []string) [][]string {
	if len(ls) == 1 {
		return [][]string{{ls[0]}}
	}
	if len(ls) > maxChoiceLicenses {
		return [][]string{slices.Clone(ls)}
	}
	var out [][]string
	// Subsets by size, then in order: a subset holding a smaller one that
	// satisfies is not smallest.
	for size := 1; size <= len(ls); size++ {
		for mask := 1; mask < 1<<len(ls); mask++ {
			if popcount(mask) != size || holdsAny(mask, out, ls) {
				continue
			}
			set := subset(mask, ls)
			if ok, err := spdxexp.Satisfies(s, set); err == nil && ok {
				out = append(out, set)
			}
		}
	}
	if len(out) == 0 {
		return [][]string{slices.Clone(ls)}
	}
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(a, b) })
	return out
}

func popcount(m int) int {
	n := 0
	for ; m > 0; m &= m - 1 {
		n++
	}
	return n
}

func subset(mask int, ls []string) []string {
	var out []string
	for i, l := range ls {
		if mask&(1<<i) != 0 {
			out = append(out, l)
		}
	}
	return out
}

// holdsAny reports whether the subset mask of ls holds one of found.
func holdsAny(mask int, found [][]string, ls []string) bool {
	in := subset(mask, ls)
	for _, f := range found {
		all := true
		for _, l := range f {
			all = all && slices.Contains(in, l)
		}
		if all {
			return true
		}
	}
	return false
}
