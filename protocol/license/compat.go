package license

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Upstream is the licence of one work a derived work was made from.
type Upstream struct {
	Key     string // names the upstream work in conflicts and obligations
	License Expression
}

// Conflict is an upstream licence whose terms the derived licence does not
// keep, and why.
type Conflict struct {
	Upstream string
	Reason   string
}

// Obligation is what one upstream licence asks of whoever shares the
// derived work, with the upstream works it comes from.
type Obligation struct {
	Kind      Property
	License   string
	Upstreams []string // sorted
	Text      string
}

// Result is the answer of Check.
type Result struct {
	Compatible  bool
	Conflicts   []Conflict   // in the order of the upstreams given
	Obligations []Obligation // by kind, then licence
	// Used holds, for each upstream given, the licences of its expression
	// the answer relies on (one choice of Expression.Choices).
	Used [][]string
}

// Check says whether a work under derived may be made from and shared
// with works under the upstream licences (SPEC.md §4.8).
//
// A derived expression that offers a choice ("A OR B") lets whoever
// receives the work pick: every choice must keep every upstream's terms.
// An upstream expression that offers a choice lets the maker pick: one
// choice that works is enough. A choice is a set of licences that all
// apply at once.
func Check(derived Expression, ups []Upstream) Result {
	r := Result{Compatible: true, Used: make([][]string, len(ups))}
	for _, d := range derived.Choices {
		if why := clash(d); why != "" {
			r.Compatible = false
			r.Conflicts = append(r.Conflicts, Conflict{Reason: why})
			break
		}
	}
	for i, u := range ups {
		used, why := pick(u.License, derived)
		r.Used[i] = used
		if why != "" {
			r.Compatible = false
			r.Conflicts = append(r.Conflicts, Conflict{Upstream: u.Key, Reason: why})
		}
	}
	r.Obligations = obligations(ups, r.Used)
	return r
}

// pick returns the choice of the upstream expression u that keeps every
// choice of derived, or, when none does, its first choice and why not.
func pick(u, derived Expression) ([]string, string) {
	if len(u.Choices) == 0 {
		return nil, "" // no licence upstream asks nothing it could say
	}
	firstWhy := ""
	for _, uc := range u.Choices {
		why := ""
		for _, dc := range derived.Choices {
			if why = permits(uc, dc); why != "" {
				break
			}
		}
		if why == "" {
			return uc, ""
		}
		if firstWhy == "" {
			firstWhy = why
		}
	}
	return u.Choices[0], firstWhy
}

// permits says why a work under all the licences up may not be shared
// under all the licences of d, or "" when it may.
func permits(up, d []string) string {
	for _, l := range up {
		info := Lookup(l)
		switch {
		case info.Has(Unknown):
			if l == "" {
				return "the upstream work states no licence: its terms cannot be checked"
			}
			return fmt.Sprintf("%s is not a licence whose terms are known here: check them by hand", l)
		case info.Has(NoDerivatives):
			return fmt.Sprintf("%s allows no adapted work to be shared", l)
		case info.Has(ShareAlike):
			if !slices.ContainsFunc(d, func(x string) bool { return slices.Contains(info.ShareAlike, base(x)) }) {
				return fmt.Sprintf("%s is share-alike: the derived work must be licensed under %s%s", l, oneOf(info.ShareAlike), unknownNote(d))
			}
		case info.Has(NonCommercial):
			if !slices.ContainsFunc(d, func(x string) bool { return Lookup(x).Has(NonCommercial) }) {
				return fmt.Sprintf("%s is non-commercial: the derived work's licence must be non-commercial too%s", l, unknownNote(d))
			}
		}
	}
	return ""
}

// clash says why a choice of the derived licence cannot hold: two
// share-alike licences of which neither lets a work take the other.
func clash(d []string) string {
	for i, a := range d {
		for _, b := range d[i+1:] {
			ia, ib := Lookup(a), Lookup(b)
			if ia.Has(ShareAlike) && ib.Has(ShareAlike) &&
				!slices.Contains(ia.ShareAlike, base(b)) && !slices.Contains(ib.ShareAlike, base(a)) {
				return fmt.Sprintf("%s and %s are both share-alike and neither lets a work take the other", a, b)
			}
		}
	}
	return ""
}

// base is a licence of an expression without its exception, under the
// identifier that replaces it when SPDX deprecated it.
func base(id string) string {
	b, _, _ := strings.Cut(id, " WITH ")
	if canon, ok := deprecated[b]; ok {
		return canon
	}
	return b
}

func oneOf(ids []string) string {
	if len(ids) == 1 {
		return ids[0]
	}
	return "one of " + strings.Join(ids, ", ")
}

func unknownNote(d []string) string {
	for _, x := range d {
		if Lookup(x).Has(Unknown) {
			if x == "" {
				return " (the derived work states no licence)"
			}
			return fmt.Sprintf(" (the derived work's licence %s is not known here)", x)
		}
	}
	return ""
}

// Properties returns the properties of a set of licences that apply at
// once, each once, in their order.
func Properties(ls []string) []Property {
	var out []Property
	for _, p := range propertyOrder {
		for _, l := range ls {
			if Lookup(l).Has(p) {
				out = append(out, p)
				break
			}
		}
	}
	if slices.Contains(out, ShareAlike) || slices.Contains(out, NonCommercial) || slices.Contains(out, NoDerivatives) || slices.Contains(out, Unknown) {
		out = slices.DeleteFunc(out, func(p Property) bool { return p == Permissive || p == PublicDomain })
	}
	return out
}

var obligationText = map[Property]string{
	Attribution:   "credit each upstream work: its name, publisher and contributors, and a link to its licence (commons notice writes it)",
	ShareAlike:    "license the derived work under the share-alike licence, or one it allows",
	NonCommercial: "no commercial use of the derived work",
	NoDerivatives: "do not share an adapted work",
	Unknown:       "read the licence's own terms: they are not known here",
}

func obligations(ups []Upstream, used [][]string) []Obligation {
	type key struct {
		kind    Property
		license string
	}
	byKey := map[key]map[string]bool{}
	for i, u := range ups {
		for _, l := range used[i] {
			for _, p := range Lookup(l).Properties {
				if _, ok := obligationText[p]; ok {
					k := key{p, l}
					if byKey[k] == nil {
						byKey[k] = map[string]bool{}
					}
					byKey[k][u.Key] = true
				}
			}
		}
	}
	out := make([]Obligation, 0, len(byKey))
	for k, set := range byKey {
		keys := slices.Sorted(maps.Keys(set))
		out = append(out, Obligation{Kind: k.kind, License: k.license, Upstreams: keys, Text: obligationText[k.kind]})
	}
	slices.SortFunc(out, func(a, b Obligation) int {
		return cmp.Or(cmp.Compare(slices.Index(propertyOrder, a.Kind), slices.Index(propertyOrder, b.Kind)), strings.Compare(a.License, b.License))
	})
	return out
}

func sortInfos(is []Info) {
	slices.SortFunc(is, func(a, b Info) int { return strings.Compare(a.ID, b.ID) })
}
