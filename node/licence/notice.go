package licence

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/license"
	"github.com/commons-p2p/commons/store"
)

// Notice writes the attribution notice of subject in Markdown (SPEC.md
// §4.8): the subject, then every work upstream of it by depth then ID,
// each with its licence, publisher and the contributors whose claims
// stand at min or above (revoked ones never). Every text that others
// wrote (names, licences) is escaped so that it reads as the text it is:
// it makes no link, image, HTML or heading, and no control character
// reaches a terminal.
// standing, when not nil, gives the status governance gives a dataset.
func Notice(s *store.Store, p protocol.Policy, standing func(protocol.ID) *api.Standing, subject protocol.ID, min protocol.Trust) ([]byte, error) {
	if min == protocol.Revoked {
		return nil, protocol.E("notice", protocol.Invalid, "min trust %s: revoked claims credit no one", min)
	}
	l, err := walk(s, p, subject)
	if err != nil {
		return nil, err
	}
	if err := readContributors(s, p, l); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("# Attribution notice\n\n")
	fmt.Fprintf(&b, "This notice is for %s (`%s`). It lists every work upstream of it known to the commons, "+
		"each with its licence, its publisher and the contributors whose attribution claims stand at trust level "+
		"%s or above.\n\n", displayName(l.subject), subject, min)
	b.WriteString("## This work\n\n")
	writeWork(&b, l.subject, min, standing)
	b.WriteString("## Upstream works\n\n")
	if len(l.upstream) == 0 {
		b.WriteString("None known.\n\n")
	}
	for _, u := range l.upstream {
		fmt.Fprintf(&b, "### %s\n\n", displayName(u))
		writeWork(&b, u, min, standing)
	}
	return []byte(b.String()), nil
}

func displayName(w work) string {
	switch {
	case w.name != "":
		return Escape(w.name)
	case w.kind == protocol.KindUnknown.String():
		return "(not held here)"
	}
	return "(no name)"
}

// readContributors reads, in one snapshot, the contributors of every work
// of l not known already.
func readContributors(s *store.Store, p protocol.Policy, l *lineage) error {
	works := []*work{&l.subject}
	for i := range l.upstream {
		works = append(works, &l.upstream[i])
	}
	var ids []protocol.ID
	var which []*work
	for _, w := range works {
		if !w.known && w.kind != protocol.KindUnknown.String() {
			ids, which = append(ids, w.id), append(which, w)
		}
	}
	all, err := s.Contributors(p, ids...)
	if err != nil {
		return err
	}
	for i, w := range which {
		w.contributors, w.known = all[i], true
	}
	return nil
}

func writeWork(b *strings.Builder, w work, min protocol.Trust, standing func(protocol.ID) *api.Standing) {
	fmt.Fprintf(b, "- ID: `%s`\n", w.id)
	fmt.Fprintf(b, "- Kind: %s\n", w.kind)
	if w.depth > 0 {
		fmt.Fprintf(b, "- Depth: %d\n", w.depth)
	}
	switch lic := license.Of(w.license); {
	case w.license == "":
		b.WriteString("- Licence: none stated\n")
	default:
		var props []string
		for _, p := range license.Properties(lic.Licenses) {
			props = append(props, string(p))
		}
		fmt.Fprintf(b, "- Licence: %s (%s)\n", Escape(w.license), strings.Join(props, ", "))
	}
	if standing != nil {
		if st := standing(w.id); st != nil {
			fmt.Fprintf(b, "- Standing: %s", Escape(string(st.Status)))
			if st.Reason != "" {
				fmt.Fprintf(b, ", %s", Escape(st.Reason))
			}
			b.WriteString("\n")
		}
	}
	if w.publisher.IsZero() {
		b.WriteString("- Publisher: unknown\n")
	} else {
		fmt.Fprintf(b, "- Publisher: `%s`\n", w.publisher)
	}
	n := 0
	for _, c := range w.contributors {
		if c.Trust < min || c.Trust == protocol.Revoked {
			continue
		}
		if n == 0 {
			b.WriteString("- Contributors:\n")
		}
		n++
		fmt.Fprintf(b, "  - `%s`, %s (%s)\n", c.DID, Escape(c.Role), c.Trust)
	}
	if n == 0 {
		fmt.Fprintf(b, "- Contributors: none at %s or above\n", min)
	}
	b.WriteString("\n")
}

// Escape writes text that others wrote so that Markdown renders it as that
// text: every ASCII punctuation character is escaped with a backslash
// (CommonMark §2.4), so no link, image, autolink, HTML tag, emphasis or
// heading can start; every character that does not show (a control, an
// escape sequence's ESC, a line break, a bidirectional control, an
// invalid byte) is written as its visible escape, \x1b, \u202e.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\\x%02x`, s[i])
		case r < 0x80 && unicode.IsPunct(r) || r < 0x80 && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\\x%02x`, r)
		case r != ' ' && !unicode.IsGraphic(r) && r != '\u200c' && r != '\u200d',
			r != ' ' && protocol.IsInvisible(r) && r != '\u200c' && r != '\u200d':
			fmt.Fprintf(&b, `\\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}
