package export

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// PROV writes the lineage and attribution of id as a W3C PROV-JSON
// document (https://www.w3.org/submissions/prov-json/): every dataset
// and artifact an entity, every derivation an activity, every publisher
// and contributor an agent (its did:key); wasDerivedFrom for parents and
// inputs, used and wasGeneratedBy for derivations, wasAttributedTo (or
// wasAssociatedWith for a derivation) for publishers and for every claim,
// with its role, weight and trust.
func PROV(src Source, id protocol.ID) ([]byte, error) {
	l, err := collect(src, id)
	if err != nil {
		return nil, err
	}
	d := provDoc{
		"prefix": map[string]any{
			"commons": commonsNS,
			"obj":     objectNS,
			"didkey":  "did:key:",
		},
	}
	rel := map[string]int{}
	add := func(section string, id string, attrs map[string]any) {
		m, _ := d[section].(map[string]any)
		if m == nil {
			m = map[string]any{}
			d[section] = m
		}
		if id == "" {
			rel[section]++
			id = fmt.Sprintf("_:%s%d", section, rel[section])
		}
		m[id] = attrs
	}
	for _, n := range l.nodes {
		attrs := map[string]any{"prov:label": l.name(n), "commons:kind": l.kinds[n]}
		if st := l.standing(n); st != nil {
			attrs["commons:standing"] = string(st.Status)
			if st.Reason != "" {
				attrs["commons:standingReason"] = st.Reason
			}
		}
		o := l.objects[n]
		section := "entity"
		if o != nil && o.Kind == protocol.KindDerivation {
			section = "activity"
			attrs["prov:type"] = qname("commons:" + o.Derivation.Activity)
			attrs["prov:startTime"] = provTime(o.Derivation.Created)
			if o.Derivation.Note != "" {
				attrs["commons:note"] = o.Derivation.Note
			}
		} else {
			attrs["prov:type"] = qname("commons:" + l.kinds[n])
		}
		if o != nil && o.Kind == protocol.KindDataset {
			ds := o.Dataset
			attrs["commons:license"] = ds.License
			attrs["commons:created"] = typed(provTime(ds.Created), "xsd:dateTime")
			if ds.Version != "" {
				attrs["commons:version"] = ds.Version
			}
			if ds.Description != "" {
				attrs["commons:description"] = ds.Description
			}
		}
		add(section, provID(n), attrs)
	}
	for _, a := range l.agents() {
		add("agent", provAgent(a), map[string]any{"prov:label": a.String(), "prov:type": qname("prov:Agent")})
	}
	for _, e := range l.edges {
		switch e.kind {
		case edgeParent:
			add("wasDerivedFrom", "", map[string]any{"prov:generatedEntity": provID(e.from), "prov:usedEntity": provID(e.to)})
		case edgeInput:
			add("used", "", map[string]any{"prov:activity": provID(e.from), "prov:entity": provID(e.to)})
			if art := artifactOf(l.objects[e.from]); art != e.from {
				if _, ok := l.kinds[art]; ok {
					add("wasDerivedFrom", "", map[string]any{"prov:generatedEntity": provID(art), "prov:usedEntity": provID(e.to), "prov:activity": provID(e.from)})
				}
			}
		case edgeGenerated:
			add("wasGeneratedBy", "", map[string]any{"prov:entity": provID(e.from), "prov:activity": provID(e.to)})
		}
	}
	for _, n := range l.nodes {
		o := l.objects[n]
		activity := o != nil && o.Kind == protocol.KindDerivation
		if o != nil && (o.Kind == protocol.KindDataset || activity) {
			l.attribute(add, n, activity, provAgent(o.Issuer()), map[string]any{"prov:role": "publisher"})
		} else if n == id && !l.answer.Publisher.IsZero() {
			l.attribute(add, n, false, provAgent(l.answer.Publisher), map[string]any{"prov:role": "publisher"})
		}
		for _, c := range l.sortedClaims(n) {
			l.attribute(add, n, activity, provAgent(c.DID), claimAttrs(c))
		}
	}
	return marshal(d)
}

// provDoc is a PROV-JSON document: its sections by name. Maps are written
// in key order, so the document does not depend on the order of arrival.
type provDoc map[string]any

// attribute says that agent is responsible for n: wasAttributedTo for an
// entity, wasAssociatedWith for an activity.
func (l *lineage) attribute(add func(string, string, map[string]any), n protocol.ID, activity bool, agent string, attrs map[string]any) {
	if activity {
		attrs["prov:activity"], attrs["prov:agent"] = provID(n), agent
		add("wasAssociatedWith", "", attrs)
		return
	}
	attrs["prov:entity"], attrs["prov:agent"] = provID(n), agent
	add("wasAttributedTo", "", attrs)
}

// claimAttrs are the attributes of a claim's relation: what the claim
// says and the trust it has earned.
func claimAttrs(c store.Contributor) map[string]any {
	attrs := map[string]any{
		"prov:role":      c.Role,
		"commons:weight": c.Weight,
		"commons:trust":  c.Trust.String(),
		"commons:claim":  qname(provID(c.Claim)),
		"commons:issuer": qname(provAgent(c.Issuer)),
	}
	if c.Note != "" {
		attrs["commons:note"] = c.Note
	}
	return attrs
}

func provID(id protocol.ID) string     { return "obj:" + id.String() }
func provAgent(d protocol.DID) string  { return "didkey:" + d.String()[len("did:key:"):] }
func provTime(t time.Time) string      { return t.UTC().Format(time.RFC3339Nano) }
func qname(s string) map[string]string { return typed(s, "prov:QUALIFIED_NAME") }

func typed(v, typ string) map[string]string { return map[string]string{"$": v, "type": typ} }

// marshal writes v as indented JSON ending in a line feed. Go's encoder
// escapes what JSON requires (and <, >, & besides), so no text can end a
// string early.
func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, protocol.E("export", protocol.Other, "encode: %v", err)
	}
	return append(jsonSafe(b), '\n'), nil
}
