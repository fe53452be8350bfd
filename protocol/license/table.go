package license

import (
	"fmt"
	"strings"
)

// Property is what a licence asks of a work made from what it covers.
type Property string

// The properties, in the order they are listed.
const (
	// PublicDomain: no conditions at all (a waiver or dedication).
	PublicDomain Property = "public-domain"
	// Permissive: use, adapt and relicense freely under the licence's
	// other conditions.
	Permissive Property = "permissive"
	// Attribution: credit the source, keep its notices, link the licence.
	Attribution Property = "attribution"
	// ShareAlike: a derived work must be licensed under this licence or
	// one of those it names (Info.ShareAlike).
	ShareAlike Property = "share-alike"
	// NonCommercial: no commercial use; a derived work must carry the
	// restriction on.
	NonCommercial Property = "non-commercial"
	// NoDerivatives: adapted material may not be shared at all.
	NoDerivatives Property = "no-derivatives"
	// Unknown: a licence the table does not hold, a LicenseRef, or text
	// that is not an SPDX expression: its terms cannot be checked.
	Unknown Property = "unknown"
)

var propertyOrder = []Property{PublicDomain, Permissive, Attribution, ShareAlike, NonCommercial, NoDerivatives, Unknown}

// Info is what the table says of one licence.
type Info struct {
	ID         string
	Properties []Property
	// ShareAlike lists the licences a derived work may take, for a
	// share-alike licence.
	ShareAlike []string
	Source     string // where the terms were read (docs/LICENSES.md)
}

// Has reports whether the licence has property p.
func (i Info) Has(p Property) bool {
	for _, q := range i.Properties {
		if q == p {
			return true
		}
	}
	return false
}

// Lookup returns what the table says of one licence of an expression (as
// Expression.Licenses writes it). An exception ("GPL-2.0-only WITH
// Classpath-exception-2.0") only ever grants more: the licence is read as
// its base. A licence not in the table is Unknown.
func Lookup(id string) Info {
	base, _, _ := strings.Cut(id, " WITH ")
	if canon, ok := deprecated[base]; ok {
		base = canon
	}
	if i, ok := table[base]; ok {
		i.ID = id
		return i
	}
	return Info{ID: id, Properties: []Property{Unknown}}
}

// Sources of the table's entries, each checked against the licence's text.
const (
	srcCC       = "https://creativecommons.org/licenses/"
	srcCCCompat = "https://creativecommons.org/share-your-work/licensing-considerations/compatible-licenses/"
	srcCC0      = "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
	srcODC      = "https://opendatacommons.org/licenses/"
	srcCDLA     = "https://cdla.dev/"
	srcOGL      = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
	srcOSI      = "https://opensource.org/licenses/"
	srcGNU      = "https://www.gnu.org/licenses/license-list.html"
	srcMPL      = "https://www.mozilla.org/en-US/MPL/2.0/FAQ/"
	srcSPDX     = "https://spdx.org/licenses/"
)

// deprecated maps the SPDX identifiers that the list deprecated to the
// ones that replace them with the same meaning.
var deprecated = map[string]string{
	"GPL-2.0": "GPL-2.0-only", "GPL-2.0+": "GPL-2.0-or-later",
	"GPL-3.0": "GPL-3.0-only", "GPL-3.0+": "GPL-3.0-or-later",
	"LGPL-2.1": "LGPL-2.1-only", "LGPL-2.1+": "LGPL-2.1-or-later",
	"LGPL-3.0": "LGPL-3.0-only", "LGPL-3.0+": "LGPL-3.0-or-later",
	"AGPL-3.0": "AGPL-3.0-only",
}

// table holds the licences a data commons meets. See docs/LICENSES.md.
var table = func() map[string]Info {
	t := map[string]Info{}
	add := func(src string, props []Property, ids ...string) {
		for _, id := range ids {
			t[id] = Info{ID: id, Properties: props, Source: src}
		}
	}
	sa := func(src string, props []Property, id string, targets ...string) {
		t[id] = Info{ID: id, Properties: props, ShareAlike: append([]string{id}, targets...), Source: src}
	}
	pd := []Property{PublicDomain}
	byOnly := []Property{Permissive, Attribution}
	bySA := []Property{Attribution, ShareAlike}

	add(srcCC0, pd, "CC0-1.0")
	add(srcCC, pd, "CC-PDDC")
	add(srcODC, pd, "PDDL-1.0")
	add(srcOSI, pd, "Unlicense", "0BSD", "MIT-0")

	add(srcODC, byOnly, "ODC-By-1.0")
	add(srcCDLA, byOnly, "CDLA-Permissive-1.0", "CDLA-Permissive-2.0")
	add(srcOGL, byOnly, "OGL-UK-1.0", "OGL-UK-2.0", "OGL-UK-3.0", "OGL-Canada-2.0")
	add(srcSPDX, byOnly, "etalab-2.0", "DL-DE-BY-2.0", "NLOD-1.0", "NLOD-2.0")
	add(srcOSI, byOnly, "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "BSL-1.0")

	ccVersions := []string{"1.0", "2.0", "2.5", "3.0", "4.0"}
	for i, v := range ccVersions {
		add(srcCC, byOnly, "CC-BY-"+v)
		add(srcCC, []Property{Attribution, NonCommercial}, "CC-BY-NC-"+v)
		add(srcCC, []Property{Attribution, NoDerivatives}, "CC-BY-ND-"+v)
		add(srcCC, []Property{Attribution, NonCommercial, NoDerivatives}, "CC-BY-NC-ND-"+v)
		// From 2.0 on, a share-alike licence lets an adaptation take a
		// later version with the same elements; 1.0 only itself.
		var later, laterNC []string
		if v != "1.0" {
			for _, w := range ccVersions[i+1:] {
				later = append(later, "CC-BY-SA-"+w)
				laterNC = append(laterNC, "CC-BY-NC-SA-"+w)
			}
		}
		src := srcCC
		if v == "4.0" {
			// CC's compatible licences for BY-SA 4.0 (one way).
			later = append(later, "GPL-3.0-only", "GPL-3.0-or-later", "LAL-1.3")
			src = srcCCCompat
		}
		sa(src, bySA, "CC-BY-SA-"+v, later...)
		sa(srcCC, []Property{Attribution, NonCommercial, ShareAlike}, "CC-BY-NC-SA-"+v, laterNC...)
	}
	sa(srcSPDX, bySA, "LAL-1.3")
	sa(srcODC, bySA, "ODbL-1.0")
	sa(srcCDLA, bySA, "CDLA-Sharing-1.0")

	gpl3 := []string{"GPL-3.0-only", "GPL-3.0-or-later"}
	agpl3 := []string{"AGPL-3.0-only", "AGPL-3.0-or-later"}
	lgpl3 := []string{"LGPL-3.0-only", "LGPL-3.0-or-later"}
	cat := func(ss ...[]string) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s...)
		}
		return out
	}
	sa(srcGNU, bySA, "GPL-2.0-only")
	sa(srcGNU, bySA, "GPL-2.0-or-later", cat([]string{"GPL-2.0-only"}, gpl3, agpl3)...)
	sa(srcGNU, bySA, "GPL-3.0-only", agpl3...)
	sa(srcGNU, bySA, "GPL-3.0-or-later", cat([]string{"GPL-3.0-only"}, agpl3)...)
	sa(srcGNU, bySA, "AGPL-3.0-only")
	sa(srcGNU, bySA, "AGPL-3.0-or-later", "AGPL-3.0-only")
	sa(srcGNU, bySA, "LGPL-2.1-only", cat([]string{"GPL-2.0-only", "GPL-2.0-or-later"}, gpl3)...)
	sa(srcGNU, bySA, "LGPL-2.1-or-later", cat([]string{"LGPL-2.1-only"}, lgpl3, []string{"GPL-2.0-only", "GPL-2.0-or-later"}, gpl3, agpl3)...)
	sa(srcGNU, bySA, "LGPL-3.0-only", cat(gpl3, agpl3)...)
	sa(srcGNU, bySA, "LGPL-3.0-or-later", cat([]string{"LGPL-3.0-only"}, gpl3, agpl3)...)
	sa(srcMPL, bySA, "MPL-2.0", cat([]string{"GPL-2.0-or-later", "LGPL-2.1-or-later"}, lgpl3, gpl3, agpl3)...)
	return t
}()

// Table returns every licence the table holds, sorted by ID: what
// docs/LICENSES.md lists.
func Table() []Info {
	out := make([]Info, 0, len(table))
	for _, i := range table {
		out = append(out, i)
	}
	sortInfos(out)
	return out
}

// String writes a licence's properties, in their order.
func (i Info) String() string {
	return fmt.Sprintf("%s %v", i.ID, i.Properties)
}
