package gov_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	jcsoracle "github.com/gowebpki/jcs"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestGovCanonicalIsJCS reads canonical forms as JSON and serialises them
// again with a maintained JCS (RFC 8785) implementation
// (github.com/gowebpki/jcs): the bytes must not change. The texts hold what JSON escapes and what it need
// not, as far as the text rules of SPEC §3.2 let them in (no control
// character but line feed and tab in prose, no U+2028 or U+2029).
func TestGovCanonicalIsJCS(t *testing.T) {
	n := newGovNet(t, "AB", 1, map[string]string{"motto": "a <b> & \"c\" \\ d\u00a0"})
	line := "\"quote\" back\\slash <html> & ünïcode \u00a0\u200d 😀 \u05d0"
	reason := "line\nbreak\ttab " + line
	p := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActDatasetStatus,
		Dataset: protocol.MustParseID(vectorDatasetID), Status: gov.StatusFlagged, Reason: reason})
	q := n.propose(t, "B", ids(p), hour(1), gov.Proposal{Action: gov.ActRevokeKey, DID: govKey("C").DID(), Effective: day(1), Reason: reason})
	r := n.propose(t, "A", ids(q), hour(2), gov.Proposal{Action: gov.ActSetParam, Name: "motto", Value: "\u00a0" + line})
	states := []*gov.State{gov.Fold(n.g, n.net, nil), gov.Fold(n.g, n.net, []*gov.Update{p, q, r})}
	for seed := range uint64(20) {
		gen := newGovGen(t, 3000+seed)
		states = append(states, gov.Fold(gen.n.g, gen.n.net, gen.set(30)))
	}
	for i, s := range states {
		c := s.Canonical()
		again, err := jcsoracle.Transform(c)
		if err != nil {
			t.Fatalf("state %d: canonical form is not JSON: %v", i, err)
		}
		if !bytes.Equal(again, c) {
			t.Fatalf("state %d: canonical form is not JCS:\ngot  %s\njcs  %s", i, c, again)
		}
		sum := sha256.Sum256(c)
		if want := "sha256:" + hex.EncodeToString(sum[:]); s.Hash() != want {
			t.Errorf("state %d: Hash %s, SHA-256 of the canonical form %s", i, s.Hash(), want)
		}
	}
}
