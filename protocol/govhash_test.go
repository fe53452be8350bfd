package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"

	"github.com/commons-p2p/commons/protocol"
)

// TestGovCanonicalIsJCS reads canonical forms as JSON and serialises them
// again with jcs, a JCS (RFC 8785) serialiser written from the RFC: the
// bytes must not change. The texts hold what JSON escapes and what it need
// not, as far as the text rules of SPEC §3.2 let them in (no control
// character but line feed and tab in prose, no U+2028 or U+2029).
func TestGovCanonicalIsJCS(t *testing.T) {
	n := newGovNet(t, "AB", 1, map[string]string{"motto": "a <b> & \"c\" \\ d\u00a0"})
	line := "\"quote\" back\\slash <html> & ünïcode \u00a0\u200d 😀 \u05d0"
	reason := "line\nbreak\ttab " + line
	p := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActDatasetStatus,
		Dataset: protocol.MustParseID(vectorDatasetID), Status: protocol.StatusFlagged, Reason: reason})
	q := n.propose(t, "B", ids(p), hour(1), protocol.GovProposal{Action: protocol.ActRevokeKey, DID: govKey("C").DID(), Effective: day(1), Reason: reason})
	r := n.propose(t, "A", ids(q), hour(2), protocol.GovProposal{Action: protocol.ActSetParam, Name: "motto", Value: "\u00a0" + line})
	states := []*protocol.GovState{protocol.Fold(n.g, n.net, nil), protocol.Fold(n.g, n.net, []*protocol.GovUpdate{p, q, r})}
	for seed := range uint64(20) {
		gen := newGovGen(t, 3000+seed)
		states = append(states, protocol.Fold(gen.n.g, gen.n.net, gen.set(30)))
	}
	for i, s := range states {
		c := s.Canonical()
		var v any
		dec := json.NewDecoder(bytes.NewReader(c))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("state %d: canonical form is not JSON: %v", i, err)
		}
		if again := jcs(v); !bytes.Equal(again, c) {
			t.Fatalf("state %d: canonical form is not JCS:\ngot  %s\njcs  %s", i, c, again)
		}
		sum := sha256.Sum256(c)
		if want := "sha256:" + hex.EncodeToString(sum[:]); s.Hash() != want {
			t.Errorf("state %d: Hash %s, SHA-256 of the canonical form %s", i, s.Hash(), want)
		}
	}
}

// jcs serialises a value decoded with UseNumber as RFC 8785 does, for the
// values a canonical state holds: objects, arrays, strings and integers.
func jcs(v any) []byte {
	var b bytes.Buffer
	var write func(v any)
	write = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			// RFC 8785 §3.2.3: by UTF-16 code units.
			slices.SortFunc(keys, func(a, b string) int { return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) })
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				write(k)
				b.WriteByte(':')
				write(v[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, e := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				write(e)
			}
			b.WriteByte(']')
		case json.Number:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				panic(err)
			}
			b.WriteString(strconv.FormatInt(n, 10))
		case string:
			// RFC 8785 §3.2.2.2.
			b.WriteByte('"')
			for _, r := range v {
				switch {
				case r == '"' || r == '\\':
					b.WriteByte('\\')
					b.WriteRune(r)
				case r == '\b':
					b.WriteString(`\b`)
				case r == '\f':
					b.WriteString(`\f`)
				case r == '\n':
					b.WriteString(`\n`)
				case r == '\r':
					b.WriteString(`\r`)
				case r == '\t':
					b.WriteString(`\t`)
				case r < 0x20:
					fmt.Fprintf(&b, `\u%04x`, r)
				default:
					b.WriteRune(r)
				}
			}
			b.WriteByte('"')
		default:
			panic(fmt.Sprintf("jcs: %T", v))
		}
	}
	write(v)
	return b.Bytes()
}
