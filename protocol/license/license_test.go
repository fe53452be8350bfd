package license

import (
	"slices"
	"strings"
	"testing"

	"github.com/github/go-spdx/v2/spdxexp"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in      string
		choices [][]string
	}{
		{"MIT", [][]string{{"MIT"}}},
		{"mit", [][]string{{"MIT"}}},
		{"GPL-2.0+", [][]string{{"GPL-2.0-or-later"}}},
		{"MIT OR Apache-2.0", [][]string{{"Apache-2.0"}, {"MIT"}}},
		{"MIT AND CC-BY-4.0", [][]string{{"CC-BY-4.0", "MIT"}}},
		{"(MIT OR Apache-2.0) AND CC-BY-4.0", [][]string{{"Apache-2.0", "CC-BY-4.0"}, {"CC-BY-4.0", "MIT"}}},
		{"LicenseRef-acme OR CC0-1.0", [][]string{{"CC0-1.0"}, {"LicenseRef-acme"}}},
	} {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if !slices.EqualFunc(e.Choices, tt.choices, slices.Equal) {
			t.Errorf("Parse(%q).Choices = %q, want %q", tt.in, e.Choices, tt.choices)
		}
	}
	for _, bad := range []string{"Foo", "MIT AND", "CC BY 4.0", "(MIT", ""} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = nil error, want a refusal", bad)
		}
		if e := Of(bad); e.Valid || !Lookup(e.Choices[0][0]).Has(Unknown) {
			t.Errorf("Of(%q) = %+v, want one unknown licence", bad, e)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"CC BY 4.0":     "LicenseRef-CC-BY-4.0",
		"my own terms!": "LicenseRef-my-own-terms",
		"((()))":        "LicenseRef-custom",
	} {
		got := Suggest(in)
		if got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
		if _, err := Parse(got); err != nil {
			t.Errorf("Suggest(%q) = %q does not parse: %v", in, got, err)
		}
	}
}

// Every licence of the table, and every one a share-alike licence lets a
// derived work take, is an SPDX identifier that go-spdx knows.
func TestTableNamesSPDXLicences(t *testing.T) {
	for _, i := range Table() {
		for _, id := range append([]string{i.ID}, i.ShareAlike...) {
			if ok, _ := spdxexp.ActiveLicense(id); !ok {
				t.Errorf("%s (in the entry of %s) is not an active SPDX licence", id, i.ID)
			}
		}
		if len(i.Properties) == 0 || i.Source == "" {
			t.Errorf("%s has no properties or no source", i.ID)
		}
		if i.Has(ShareAlike) != (len(i.ShareAlike) > 0) {
			t.Errorf("%s: share-alike %v but targets %q", i.ID, i.Has(ShareAlike), i.ShareAlike)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		derived  string
		upstream []string
		ok       bool
		reason   string // a part of the first conflict's reason
	}{
		{"public domain into anything", "LicenseRef-proprietary", []string{"CC0-1.0", "PDDL-1.0"}, true, ""},
		{"permissive into proprietary", "LicenseRef-proprietary", []string{"MIT", "CC-BY-4.0", "ODC-By-1.0"}, true, ""},
		{"attribution into CC0", "CC0-1.0", []string{"CC-BY-4.0"}, true, ""},
		{"share-alike kept", "CC-BY-SA-4.0", []string{"CC-BY-SA-4.0", "CC-BY-4.0"}, true, ""},
		{"share-alike to a later version", "CC-BY-SA-4.0", []string{"CC-BY-SA-3.0"}, true, ""},
		{"share-alike not to an earlier version", "CC-BY-SA-3.0", []string{"CC-BY-SA-4.0"}, false, "share-alike"},
		{"share-alike 1.0 only to itself", "CC-BY-SA-2.0", []string{"CC-BY-SA-1.0"}, false, "share-alike"},
		{"share-alike to GPL-3.0 one way", "GPL-3.0-only", []string{"CC-BY-SA-4.0"}, true, ""},
		{"GPL-3.0 not to CC-BY-SA", "CC-BY-SA-4.0", []string{"GPL-3.0-only"}, false, "share-alike"},
		{"share-alike broken by a permissive licence", "CC-BY-4.0", []string{"CC-BY-SA-4.0"}, false, "CC-BY-SA-4.0 is share-alike"},
		{"ODbL into CC-BY-SA", "CC-BY-SA-4.0", []string{"ODbL-1.0"}, false, "ODbL-1.0 is share-alike"},
		{"ODbL kept", "ODbL-1.0", []string{"ODbL-1.0", "ODC-By-1.0", "PDDL-1.0"}, true, ""},
		{"derived offers a way out", "CC-BY-SA-4.0 OR MIT", []string{"CC-BY-SA-4.0"}, false, "share-alike"},
		{"upstream offers a way out", "MIT", []string{"GPL-3.0-only OR MIT"}, true, ""},
		{"two share-alike licences at once", "CC-BY-SA-4.0 AND ODbL-1.0", []string{"CC-BY-4.0"}, false, "neither"},
		{"no derivatives", "CC-BY-ND-4.0", []string{"CC-BY-ND-4.0"}, false, "no adapted work"},
		{"no derivatives even non-commercial", "CC-BY-NC-ND-4.0", []string{"CC-BY-NC-ND-4.0"}, false, "no adapted work"},
		{"non-commercial carried on", "CC-BY-NC-4.0", []string{"CC-BY-NC-4.0"}, true, ""},
		{"non-commercial carried on by NC-SA", "CC-BY-NC-SA-4.0", []string{"CC-BY-NC-4.0"}, true, ""},
		{"non-commercial dropped", "CC-BY-4.0", []string{"CC-BY-NC-4.0"}, false, "non-commercial"},
		{"non-commercial share-alike dropped", "CC-BY-NC-4.0", []string{"CC-BY-NC-SA-4.0"}, false, "share-alike"},
		{"unknown upstream", "CC-BY-4.0", []string{"LicenseRef-acme"}, false, "not a licence whose terms are known"},
		{"unparseable upstream", "CC-BY-4.0", []string{"CC BY 4.0"}, false, "not a licence whose terms are known"},
		{"no licence upstream", "CC-BY-4.0", []string{""}, false, "states no licence"},
		{"unknown derived under share-alike", "LicenseRef-acme", []string{"CC-BY-SA-4.0"}, false, "derived work's licence LicenseRef-acme is not known"},
		{"no derived licence under non-commercial", "", []string{"CC-BY-NC-4.0"}, false, "derived work states no licence"},
		{"deprecated identifiers", "GPL-3.0+", []string{"GPL-2.0+", "LGPL-2.1"}, true, ""},
		{"exception read as its base", "GPL-2.0-only WITH Classpath-exception-2.0", []string{"GPL-2.0-only"}, true, ""},
		{"MPL to its secondary licences", "GPL-3.0-or-later", []string{"MPL-2.0"}, true, ""},
		{"nothing upstream", "LicenseRef-x", nil, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ups []Upstream
			for i, u := range tt.upstream {
				ups = append(ups, Upstream{Key: string(rune('a' + i)), License: Of(u)})
			}
			r := Check(Of(tt.derived), ups)
			if r.Compatible != tt.ok {
				t.Fatalf("Check(%q, %q).Compatible = %v, want %v; conflicts %+v", tt.derived, tt.upstream, r.Compatible, tt.ok, r.Conflicts)
			}
			if !tt.ok && (len(r.Conflicts) == 0 || !strings.Contains(r.Conflicts[0].Reason, tt.reason)) {
				t.Errorf("conflicts %+v, want a reason holding %q", r.Conflicts, tt.reason)
			}
			if tt.ok && len(r.Conflicts) != 0 {
				t.Errorf("compatible with conflicts %+v", r.Conflicts)
			}
		})
	}
}

func TestObligations(t *testing.T) {
	ups := []Upstream{
		{Key: "b", License: Of("CC-BY-4.0")},
		{Key: "a", License: Of("CC-BY-4.0")},
		{Key: "c", License: Of("CC-BY-NC-SA-4.0")},
		{Key: "d", License: Of("CC0-1.0")},
		{Key: "e", License: Of("MIT OR CC0-1.0")},
	}
	r := Check(Of("CC-BY-NC-SA-4.0"), ups)
	var got []string
	for _, o := range r.Obligations {
		got = append(got, string(o.Kind)+" "+o.License+" "+strings.Join(o.Upstreams, ","))
	}
	want := []string{
		"attribution CC-BY-4.0 a,b",
		"attribution CC-BY-NC-SA-4.0 c",
		"share-alike CC-BY-NC-SA-4.0 c",
		"non-commercial CC-BY-NC-SA-4.0 c",
	}
	if !r.Compatible || !slices.Equal(got, want) {
		t.Errorf("obligations %q (compatible %v), want %q", got, r.Compatible, want)
	}
	if !slices.Equal(r.Used[4], []string{"CC0-1.0"}) {
		t.Errorf("MIT OR CC0-1.0 used %q, want the first choice that works, CC0-1.0", r.Used[4])
	}
	if got := Properties(r.Used[2]); !slices.Equal(got, []Property{Attribution, ShareAlike, NonCommercial}) {
		t.Errorf("Properties(CC-BY-NC-SA-4.0) = %q", got)
	}
}
