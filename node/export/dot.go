package export

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// DOT writes the lineage and attribution of id as a Graphviz digraph:
// one box for each dataset, derivation and artifact, an arrow from each
// to what it was made from, and one ellipse for each contributor with an
// arrow to what they contributed to, labelled with the claim's role,
// weight and trust (SPEC.md §6.5). Every name and note is written as a
// quoted DOT string through dotString, so none can end the string, add a
// node or an edge, or be read as a Graphviz escape.
func DOT(src Source, id protocol.ID) ([]byte, error) {
	l, err := collect(src, id)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("digraph commons {\n")
	b.WriteString("  graph [rankdir=BT, charset=\"UTF-8\", label=" + dotString("lineage and attribution of "+id.String()) + "];\n")
	b.WriteString("  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, n := range l.nodes {
		label := l.name(n) + "\n" + l.kinds[n] + " " + short(n.String())
		attrs := []string{"label=" + dotString(label)}
		if st := l.standing(n); st != nil {
			attrs = append(attrs, "style=dashed", "color=\"gray50\"", "tooltip="+dotString(string(st.Status)+": "+st.Reason))
		}
		if n == id {
			attrs = append(attrs, "penwidth=2")
		}
		if o := l.objects[n]; o != nil && o.Kind == protocol.KindDerivation {
			attrs = append(attrs, "shape=hexagon")
			if o.Derivation.Note != "" {
				attrs = append(attrs, "tooltip="+dotString(o.Derivation.Note))
			}
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotString(n.String()), strings.Join(attrs, ", "))
	}
	for _, a := range l.agents() {
		fmt.Fprintf(&b, "  %s [shape=ellipse, label=%s];\n", dotString(a.String()), dotString(short(a.String())))
	}
	for _, e := range l.edges {
		label := "parent"
		switch e.kind {
		case edgeInput:
			label = l.objects[e.from].Derivation.Activity
		case edgeGenerated:
			label = "made by"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotString(e.from.String()), dotString(e.to.String()), dotString(label))
	}
	for _, n := range l.nodes {
		if o := l.objects[n]; o != nil && (o.Kind == protocol.KindDataset || o.Kind == protocol.KindDerivation) {
			fmt.Fprintf(&b, "  %s -> %s [label=\"publisher\", style=dotted, arrowhead=none];\n", dotString(o.Issuer().String()), dotString(n.String()))
		} else if n == id && !l.answer.Publisher.IsZero() {
			fmt.Fprintf(&b, "  %s -> %s [label=\"publisher\", style=dotted, arrowhead=none];\n", dotString(l.answer.Publisher.String()), dotString(n.String()))
		}
		for _, c := range l.sortedClaims(n) {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotString(c.DID.String()), dotString(n.String()), claimEdge(c))
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// trustStyle draws a claim's edge by its trust: the more parties vouched
// for it, the bolder; a revoked claim red and dashed.
var trustStyle = map[protocol.Trust]string{
	protocol.Revoked:      `color="red", fontcolor="red", style=dashed`,
	protocol.Asserted:     `color="gray50", fontcolor="gray30"`,
	protocol.Acknowledged: `color="blue", fontcolor="blue"`,
	protocol.Mutual:       `color="darkgreen", fontcolor="darkgreen"`,
	protocol.Certified:    `color="darkgreen", fontcolor="darkgreen", penwidth=2.5`,
}

// claimEdge are the attributes of a claim's edge: its role, weight and
// trust as the label, its note as the tooltip.
func claimEdge(c store.Contributor) string {
	attrs := []string{
		"label=" + dotString(c.Role+" "+strconv.FormatFloat(c.Weight, 'g', -1, 64)+"\n"+c.Trust.String()),
		"tooltip=" + dotString("claim "+c.Claim.String()+noteSuffix(c.Note)),
	}
	if s, ok := trustStyle[c.Trust]; ok {
		attrs = append(attrs, s)
	}
	return strings.Join(attrs, ", ")
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// dotString quotes s as a DOT string whose label Graphviz shows as s.
// In a quoted DOT string `\"` is a quote and every other backslash is
// kept for the label's own escapes (\n, \l, \N, \G, …), and Graphviz
// reads HTML entities (&lt;, &#92;) in every label: so a backslash is
// doubled, a quote escaped, an ampersand written &amp;, and a line feed
// written as \n, the line break of a label. A character that does not
// show (hidden) is shown as its escape \uXXXX. Nothing else in a string
// is special to DOT.
func dotString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '&':
			b.WriteString("&amp;")
		case r == '\n':
			b.WriteString(`\n`)
		case hidden(r):
			fmt.Fprintf(&b, `\\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// short abbreviates a long ID or DID for a label.
func short(s string) string {
	if len(s) <= 20 {
		return s
	}
	return s[:12] + "…" + s[len(s)-6:]
}
