package gov_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govChain makes updates one after the other, each naming the one before
// as its parent and dated an hour after it, and folds them as it goes.
type govChain struct {
	t    *testing.T
	n    govNet
	dag  *gov.DAG
	last []protocol.ID
	h    int
}

func newGovChain(t *testing.T, stewards string, threshold int) *govChain {
	n := newGovNet(t, stewards, threshold, nil)
	return &govChain{t: t, n: n, dag: gov.New(n.g, n.net), last: n.genesis()}
}

func (c *govChain) add(u *gov.Update) *gov.Update {
	addAll(c.t, c.dag, u)
	c.last, c.h = ids(u), c.h+1
	return u
}

func (c *govChain) propose(author string, p gov.Proposal) *gov.Update {
	return c.add(c.n.propose(c.t, author, c.last, hour(c.h), p))
}

func (c *govChain) vote(author string, on *gov.Update, yes bool) *gov.Update {
	return c.add(c.n.vote(c.t, author, c.last, hour(c.h), on.ID, yes))
}

func (c *govChain) rotate(author, to string) *gov.Update {
	return c.add(c.n.rotate(c.t, author, c.last, hour(c.h), to))
}

// ignored returns why the fold left u out, "" when it applied it.
func (c *govChain) ignored(u *gov.Update) string {
	for _, e := range c.dag.Log() {
		if e.Update.ID == u.ID {
			return e.Ignored
		}
	}
	c.t.Fatalf("update %s is not placed", u.ID)
	return ""
}

func (c *govChain) wantIgnored(u *gov.Update, why string) {
	c.t.Helper()
	if got := c.ignored(u); got != why {
		c.t.Errorf("update ignored %q, want %q", got, why)
	}
}

func (c *govChain) wantStewards(names string) {
	c.t.Helper()
	var got []string
	for _, d := range c.dag.State().Stewards() {
		got = append(got, govKeyName(d))
	}
	slices.Sort(got)
	if strings.Join(got, "") != names {
		c.t.Errorf("stewards %s, want %s", got, names)
	}
}

func (c *govChain) proposal(u *gov.Update) gov.ProposalState {
	p, ok := c.dag.State().Proposal(u.ID)
	if !ok {
		c.t.Fatalf("no proposal %s", u.ID)
	}
	return p
}

func did(name string) protocol.DID { return govKey(name).DID() }

// TestGovRotationTakesNoSeat: a rotation hands on the seat its author
// holds, and nothing else. A key that is not a steward, or no longer one
// because governance revoked it, gains no seat by rotating, though it
// holds its key and its successor's (SPEC.md §8.4).
func TestGovRotationTakesNoSeat(t *testing.T) {
	c := newGovChain(t, "ABC", 2)
	outsider := c.rotate("E", "F")
	c.wantIgnored(outsider, gov.IgnoredNotSteward)
	rv := c.propose("A", gov.Proposal{Action: gov.ActRevokeKey, DID: did("C"), Effective: day(1), Reason: "key leaked"})
	c.vote("B", rv, true)
	thief := c.rotate("C", "G")
	c.wantIgnored(thief, gov.IgnoredNotSteward)
	c.wantStewards("AB")
	s := c.dag.State()
	for _, k := range []string{"C", "E", "F", "G"} {
		if s.IsSteward(did(k)) || s.IsStewardKey(did(k)) || k != "C" && c.dag.EverSteward(did(k)) {
			t.Errorf("%s counts as a steward after rotating without a seat", k)
		}
	}
	if len(s.Rotations()) != 0 {
		t.Errorf("rotations recorded: %+v", s.Rotations())
	}
}

// TestGovRotationDoesNotDoubleVotes: the seat keeps one voice. The
// successor takes its predecessor's votes, so it cannot vote again on what
// the old key voted on; and when the successor had a vote of its own from
// an earlier stewardship, that one stays and the old key's counts for
// nothing, rather than both.
func TestGovRotationDoesNotDoubleVotes(t *testing.T) {
	t.Run("successor votes again", func(t *testing.T) {
		c := newGovChain(t, "ABC", 3)
		p := c.propose("B", gov.Proposal{Action: gov.ActSetParam, Name: "alpha", Value: "1"})
		c.vote("A", p, true)
		c.rotate("A", "D")
		again := c.vote("D", p, true)
		c.wantIgnored(again, gov.IgnoredDuplicateVote)
		onward := c.rotate("D", "E")
		c.wantIgnored(onward, "")
		c.wantIgnored(c.vote("E", p, true), gov.IgnoredDuplicateVote)
		c.wantIgnored(c.vote("A", p, true), gov.IgnoredNotSteward)
		if got := c.proposal(p); got.Status != gov.ProposalOpen || len(got.Yes) != 2 {
			t.Errorf("proposal %s with yes %v: the seat of A voted more than once", got.Status, got.Yes)
		}
		c.vote("C", p, true)
		if got := c.proposal(p); got.Status != gov.ProposalPassed {
			t.Errorf("proposal %s after the third steward's vote", got.Status)
		}
	})
	t.Run("successor with a vote of its own", func(t *testing.T) {
		c := newGovChain(t, "ABCD", 3)
		p := c.propose("C", gov.Proposal{Action: gov.ActSetParam, Name: "alpha", Value: "1"})
		c.vote("B", p, true)
		rm := c.propose("A", gov.Proposal{Action: gov.ActRemoveSteward, DID: did("B")})
		c.vote("C", rm, true)
		c.vote("D", rm, true)
		c.vote("A", p, true) // C and A: two of three
		c.rotate("A", "B")   // B's yes returns with B; A's must not count beside it
		c.wantStewards("BCD")
		if got := c.proposal(p); got.Status != gov.ProposalOpen {
			t.Errorf("proposal %s with yes %v: the seat of A and B counted twice", got.Status, got.Yes)
		}
	})
}

// TestGovRotationCannotResurrect: a key that governance revoked, or that
// a rotation retired (its holder may have lost it), never holds a seat
// again: not by a rotation to it, not by add-steward (SPEC.md §8.4, §8.5).
func TestGovRotationCannotResurrect(t *testing.T) {
	c := newGovChain(t, "ABC", 1)
	c.propose("A", gov.Proposal{Action: gov.ActRevokeKey, DID: did("F"), Effective: day(1), Reason: "key leaked"})
	c.wantIgnored(c.rotate("B", "F"), gov.IgnoredKeyRevoked)
	c.rotate("A", "D")
	c.propose("B", gov.Proposal{Action: gov.ActRevokeKey, DID: did("D"), Effective: day(1), Reason: "stolen"})
	c.wantStewards("BC")
	c.wantIgnored(c.rotate("B", "D"), gov.IgnoredKeyRevoked)
	c.wantIgnored(c.rotate("B", "A"), gov.IgnoredKeyRotated)
	add := c.propose("C", gov.Proposal{Action: gov.ActAddSteward, DID: did("A")})
	if got := c.proposal(add); got.Status != gov.ProposalVoid || got.Void != gov.VoidKeyRotated {
		t.Errorf("add-steward of a retired key: %s %s", got.Status, got.Void)
	}
	c.wantStewards("BC")
	s := c.dag.State()
	for _, k := range []string{"A", "D", "F"} {
		if s.IsSteward(did(k)) || s.IsStewardKey(did(k)) {
			t.Errorf("%s counts as a steward", k)
		}
	}
}

// TestGovRotationDoesNotDodgeRemoval: a removal names a steward by any
// key it has held, so a steward cannot escape a removal under way by
// handing its seat to a new key (SPEC.md §8.5).
func TestGovRotationDoesNotDodgeRemoval(t *testing.T) {
	c := newGovChain(t, "ABC", 2)
	rm := c.propose("B", gov.Proposal{Action: gov.ActRemoveSteward, DID: did("A")})
	c.rotate("A", "D")
	c.rotate("D", "E")
	c.vote("C", rm, true)
	if got := c.proposal(rm); got.Status != gov.ProposalPassed {
		t.Fatalf("removal of A after A rotated: %s %s", got.Status, got.Void)
	}
	c.wantStewards("BC")
}

// TestGovRotationPolicy: for trust, a retired key is a steward while its
// chain of rotations ends at a seat, so what it endorsed before rotating
// keeps certifying; never once revoked. Its updates no longer count
// (SPEC.md §8.7).
func TestGovRotationPolicy(t *testing.T) {
	c := newGovChain(t, "AB", 1)
	c.rotate("A", "D")
	c.rotate("D", "E")
	s := c.dag.State()
	for _, k := range []string{"A", "D", "E"} {
		if !s.IsSteward(did(k)) || !c.dag.EverSteward(did(k)) {
			t.Errorf("%s: IsSteward %v EverSteward %v, want both", k, s.IsSteward(did(k)), c.dag.EverSteward(did(k)))
		}
	}
	if s.IsStewardKey(did("A")) || s.IsStewardKey(did("D")) || !s.IsStewardKey(did("E")) {
		t.Errorf("steward keys: only E's updates count")
	}
	if to, ok := s.Successor(did("A")); !ok || to != did("D") {
		t.Errorf("successor of A: %v %v", govKeyName(to), ok)
	}
	c.wantIgnored(c.propose("A", gov.Proposal{Action: gov.ActSetParam, Name: "x", Value: "1"}), gov.IgnoredNotSteward)
	c.propose("B", gov.Proposal{Action: gov.ActRevokeKey, DID: did("A"), Effective: day(1), Reason: "old laptop lost"})
	s = c.dag.State()
	if s.IsSteward(did("A")) || !s.IsSteward(did("D")) || !s.IsStewardKey(did("E")) {
		t.Errorf("after A's old key is revoked: A %v D %v E %v; want A no longer a steward, its successors still",
			s.IsSteward(did("A")), s.IsSteward(did("D")), s.IsStewardKey(did("E")))
	}
	c.propose("B", gov.Proposal{Action: gov.ActRemoveSteward, DID: did("E")})
	s = c.dag.State()
	for _, k := range []string{"A", "D", "E"} {
		if s.IsSteward(did(k)) {
			t.Errorf("%s is a steward after the seat was removed", k)
		}
	}
}
