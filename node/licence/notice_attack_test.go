package licence

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/commons-p2p/commons/protocol"
	st "github.com/commons-p2p/commons/store/storetest"
)

// hostileNames are dataset names, each valid by the text rules, that
// would act in a notice rendered as Markdown if written as they are.
var hostileNames = []string{
	"[click me](https://evil.example/phish)",
	"![pixel](https://evil.example/track.png)",
	"<img src=x onerror=alert(1)>",
	"<script>alert(1)</script>",
	"<https://evil.example/auto>",
	"see https://evil.example/bare and www.evil.example",
	"mail evil@evil.example",
	"# Licence: CC0-1.0",
	"**all rights waived**",
	"`code` and ~~struck~~ and _em_",
	"| a | b |",
	"[ref]: https://evil.example/def",
	"&lt;entity&gt; &amp; &#60;",
	"name\\",
}

// A notice rendered by a real Markdown renderer (goldmark, GitHub's
// dialect with autolinks, raw HTML allowed through) shows each upstream
// name as the text it is: no link, image, HTML element, heading or
// emphasis comes from it.
func TestNoticeNamesInjectNoMarkdown(t *testing.T) {
	s := st.Open(t)
	k := st.Key(t, "mallory")
	var parents []protocol.ID
	for _, name := range hostileNames {
		parents = append(parents, dataset(t, s, k, name, "CC-BY-4.0"))
	}
	sub := dataset(t, s, k, "[sub](https://evil.example)", "CC-BY-4.0", parents...)
	md, err := Notice(s, nil, nil, sub, protocol.Asserted)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := r.Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, bad := range []string{"<a ", "<img", "<script", "<em>", "<strong>", "<del>", "<table", "<h1>Licence", "evil.example/def\""} {
		if strings.Contains(page, bad) {
			t.Errorf("the rendered notice holds %q:\n%s", bad, page)
		}
	}
	// Only the notice's own elements.
	for _, tag := range regexp.MustCompile(`<([a-z0-9]+)`).FindAllStringSubmatch(page, -1) {
		switch tag[1] {
		case "h1", "h2", "h3", "p", "ul", "li", "code":
		default:
			t.Errorf("the rendered notice holds a <%s> element:\n%s", tag[1], page)
		}
	}
	// Each name shows as itself, once, as the heading of its work.
	heads := regexp.MustCompile(`<h3>(.*?)</h3>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, h := range heads {
		got = append(got, html.UnescapeString(h[1]))
	}
	for _, name := range hostileNames {
		n := 0
		for _, g := range got {
			if g == name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("name %q shows %d times among the headings %q", name, n, got)
		}
	}
	if strings.Count(page, "<h1>") != 1 || strings.Count(page, "<h2>") != 2 {
		t.Errorf("a name added a heading:\n%s", page)
	}
}

// What the text rules keep out of records, a notice keeps out of a
// terminal even so: Escape writes every character that does not show as
// a visible escape, and ends no line.
func TestEscapeKeepsControlsOffTheTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"red\x1b[31m":                      `red\\x1b\[31m`,
		"two\nlines":                       `two\\x0alines`,
		"rlo\u202eevil":                    `rlo\\u202eevil`,
		"bell\a":                           `bell\\x07`,
		"c1\u009b31m":                      `c1\\u009b31m`,
		"bad\xffbyte":                      `bad\\xffbyte`,
		"zero\u200bwidth":                  `zero\\u200bwidth`,
		"naïve café 東京":                    "naïve café 東京",
		"emoji \U0001F468\u200d\U0001F469": "emoji \U0001F468\u200d\U0001F469",
	} {
		got := Escape(in)
		if got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(got, "\x1b\n\r\a\u202e\u009b") {
			t.Errorf("Escape(%q) = %q holds a control", in, got)
		}
	}
}
