package credit_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
)

// TestDilution: below the threshold, and revoked at any threshold, claims
// count for nothing: a stranger's thousand asserted claims about every
// node change no one's share at min_trust acknowledged, and revoked ones
// none at asserted.
func TestDilution(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	stranger := dids[len(dids)-1]
	for trial := range 100 {
		g := randomGraph(r, 2+r.IntN(10))
		for _, n := range g.Nodes {
			n.Claims = slicesDeleteFunc(n.Claims, func(c credit.Claim) bool { return c.Contributor == stranger })
		}
		for _, tc := range []struct {
			min   protocol.Trust
			trust protocol.Trust
		}{{protocol.Acknowledged, protocol.Asserted}, {protocol.Asserted, protocol.Revoked}} {
			want := credit.Compute(g, tc.min)
			h := credit.NewGraph(g.Subject)
			for _, n := range g.Nodes {
				c := *n
				c.Claims = append([]credit.Claim(nil), n.Claims...)
				for k := range 1000 / len(g.Nodes) {
					c.Claims = append(c.Claims, credit.Claim{ID: id(fmt.Sprint("spam", n.ID, k)), Contributor: stranger, Role: "author", Weight: 1, Trust: tc.trust})
				}
				h.Add(&c)
			}
			if got := credit.Compute(h, tc.min); !reflect.DeepEqual(got, want) {
				t.Fatalf("trial %d: %s claims of a stranger changed the answer at min %s", trial, tc.trust, tc.min)
			}
		}
	}
}

func slicesDeleteFunc(cs []credit.Claim, del func(credit.Claim) bool) []credit.Claim {
	out := cs[:0]
	for _, c := range cs {
		if !del(c) {
			out = append(out, c)
		}
	}
	return out
}
