package store_test

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// TestTrustLevels: one claim by alice that bob annotated the publisher's
// dataset, with what else is stored and the policy, and the trust the
// index computes.
func TestTrustLevels(t *testing.T) {
	c := newCast(t)
	stewards := protocol.Stewards{c.steward.DID(): true}
	revokeAlice := func(at func(created time.Time) time.Time) func(*protocol.Object) protocol.Policy {
		return func(claim *protocol.Object) protocol.Policy {
			return fakePolicy{revokedAt: func(d protocol.DID) (time.Time, bool) {
				return at(claim.Attribution.Created), d == c.alice.DID()
			}}
		}
	}
	fixed := func(p protocol.Policy) func(*protocol.Object) protocol.Policy {
		return func(*protocol.Object) protocol.Policy { return p }
	}
	cases := []struct {
		name   string
		extra  func(claim *protocol.Object) []*protocol.Object
		policy func(claim *protocol.Object) protocol.Policy
		want   protocol.Trust
	}{
		{"asserted: only the issuer signed", nil, fixed(nil), protocol.Asserted},
		{"asserted: the contributor cosigned, not the publisher",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.bob)}
			},
			fixed(nil), protocol.Asserted},
		{"acknowledged: the publisher cosigned",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.publisher)}
			},
			fixed(nil), protocol.Acknowledged},
		{"mutual: publisher and contributor cosigned",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.publisher), storetest.Cosign(t, cl, c.bob)}
			},
			fixed(nil), protocol.Mutual},
		{"certified: a steward endorsed it",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.NewEndorsement(t, c.steward, cl.ID, "checked")}
			},
			fixed(stewards), protocol.Certified},
		{"not certified: the endorser is no steward",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.NewEndorsement(t, c.carol, cl.ID, "checked"), storetest.Cosign(t, cl, c.publisher)}
			},
			fixed(stewards), protocol.Acknowledged},
		{"not certified: no policy names stewards",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.NewEndorsement(t, c.steward, cl.ID, "checked")}
			},
			fixed(nil), protocol.Asserted},
		{"not certified: the steward withdrew the endorsement",
			func(cl *protocol.Object) []*protocol.Object {
				e := storetest.NewEndorsement(t, c.steward, cl.ID, "checked")
				return []*protocol.Object{e, storetest.NewRevocation(t, c.steward, e.ID, "retracted")}
			},
			fixed(stewards), protocol.Asserted},
		{"revoked: withdrawn by its issuer",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.publisher, c.bob), storetest.NewRevocation(t, c.alice, cl.ID, "oops")}
			},
			fixed(nil), protocol.Revoked},
		{"revoked: withdrawn, although a steward endorsed it",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.NewEndorsement(t, c.steward, cl.ID, "checked"), storetest.NewRevocation(t, c.alice, cl.ID, "oops")}
			},
			fixed(stewards), protocol.Revoked},
		{"revoked: the issuer's key was revoked before the claim was made",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.publisher)}
			},
			revokeAlice(func(created time.Time) time.Time { return created.Add(-time.Hour) }), protocol.Revoked},
		{"revoked: the issuer's key was revoked the instant the claim was made",
			nil, revokeAlice(func(created time.Time) time.Time { return created }), protocol.Revoked},
		{"revoked: the issuer's key was revoked after the claim was made, and no one witnessed it",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.mallory)}
			},
			revokeAlice(func(created time.Time) time.Time { return created.Add(time.Second) }), protocol.Revoked},
		{"not revoked: the issuer's key was revoked after the claim was made, which the publisher witnessed",
			func(cl *protocol.Object) []*protocol.Object {
				return []*protocol.Object{storetest.Cosign(t, cl, c.publisher)}
			},
			revokeAlice(func(created time.Time) time.Time { return created.Add(time.Second) }), protocol.Acknowledged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := storetest.Open(t)
			ds := storetest.NewDataset(t, c.publisher, "birds")
			claim := storetest.NewClaim(t, c.alice, ds.ID, c.bob.DID(), "annotator", 0.5)
			storetest.MustPut(t, s, ds, claim)
			if tc.extra != nil {
				storetest.MustPut(t, s, tc.extra(claim)...)
			}
			got := contributorOf(t, attribution(t, s, ds.ID, tc.policy(claim)), claim.ID)
			if got.Trust != tc.want {
				t.Errorf("trust %s, want %s", got.Trust, tc.want)
			}
		})
	}
}
