package gov_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	jcsoracle "github.com/gowebpki/jcs"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestGovCanonicalMatchesJCSOracle compares the canonical form of many
// states (SPEC §8.7), written by hand in govhash.go, with what a
// maintained RFC 8785 implementation (github.com/gowebpki/jcs, the Go
// port of the reference implementation) makes of the same JSON: the state
// after every update of every golden transcript, and of random DAGs. The
// oracle gets the canonical form as written, and the same JSON spelled
// otherwise by encoding/json (members in another order, <, > and & as
// \u escapes, white space): both must come out as the canonical bytes.
func TestGovCanonicalMatchesJCSOracle(t *testing.T) {
	var states []*gov.State
	files, err := filepath.Glob(filepath.Join("testdata", "fold", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var gt govGolden
		if err := json.Unmarshal(raw, &gt); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		n := newGovNet(t, gt.Genesis.Stewards, gt.Genesis.Threshold, gt.Genesis.Params)
		us, _ := gt.sign(t, n)
		for i := range len(us) + 1 {
			states = append(states, gov.Fold(n.g, n.net, us[:i]))
		}
	}
	golden := len(states)
	// Texts with what JSON escapes and what it need not, as far as the
	// text rules (SPEC §3.2) let them in.
	n := newGovNet(t, "AB", 1, map[string]string{"motto": "a <b> & \"c\" \\ d\u00a0"})
	line := "\"quote\" back\\slash <html> & ünïcode \u00a0\u200d 😀 \u05d0 \U0001d11e \ufb01"
	reason := "line\nbreak\ttab " + line
	p := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActDatasetStatus,
		Dataset: protocol.MustParseID(vectorDatasetID), Status: gov.StatusFlagged, Reason: reason})
	q := n.propose(t, "B", ids(p), hour(1), gov.Proposal{Action: gov.ActRevokeKey, DID: govKey("C").DID(), Effective: day(1), Reason: reason})
	r := n.propose(t, "A", ids(q), hour(2), gov.Proposal{Action: gov.ActSetParam, Name: "motto", Value: "\u00a0" + line})
	states = append(states, gov.Fold(n.g, n.net, []*gov.Update{p, q, r}))
	for seed := range uint64(40) {
		gen := newGovGen(t, 7000+seed)
		us := gen.set(40)
		for _, i := range []int{0, 10, 25, len(us)} {
			states = append(states, gov.Fold(gen.n.g, gen.n.net, us[:i]))
		}
	}
	for i, s := range states {
		c := s.Canonical()
		var v any
		if err := json.Unmarshal(c, &v); err != nil {
			t.Fatalf("state %d: canonical form is not JSON: %v", i, err)
		}
		other := reversedJSON(t, v)
		for _, in := range [][]byte{c, other} {
			want, err := jcsoracle.Transform(in)
			if err != nil {
				t.Fatalf("state %d: the oracle refuses %s: %v", i, in, err)
			}
			if !bytes.Equal(c, want) {
				t.Fatalf("state %d: canonical form differs from RFC 8785 (oracle fed %d bytes):\ngot  %s\njcs  %s", i, len(in), c, want)
			}
		}
	}
	t.Logf("%d states (%d from golden transcripts) agree with the oracle", len(states), golden)
}

// reversedJSON writes v, as encoding/json decodes it, with the members of
// each object in reverse order, white space between tokens, and strings
// as encoding/json escapes them (<, > and & as \u escapes).
func reversedJSON(t *testing.T, v any) []byte {
	var b bytes.Buffer
	var write func(v any)
	write = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(keys)))
			b.WriteString("{ ")
			for i, k := range keys {
				if i > 0 {
					b.WriteString(" ,\n")
				}
				write(k)
				b.WriteString(" : ")
				write(v[k])
			}
			b.WriteString(" }")
		case []any:
			b.WriteString("[\t")
			for i, e := range v {
				if i > 0 {
					b.WriteString(", ")
				}
				write(e)
			}
			b.WriteString(" ]")
		default:
			leaf, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(leaf)
		}
	}
	write(v)
	return b.Bytes()
}
