package gov_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govGen makes random update sets: concurrent branches, authors who are
// not stewards, votes on unknown and closed proposals, duplicate votes,
// clocks that run back, proposals that expire, every action, most of
// them aimed at keys A to F so that they often mean something, and
// rotations to any of the keys A to H, stewards, revoked and retired ones
// included.
type govGen struct {
	t   testing.TB
	r   *rand.Rand
	n   govNet
	all []*gov.Update
	// proposals and votes made so far, to vote on and to vote again.
	proposals []protocol.ID
	votes     []*gov.Update
	// gov is the state made so far. It only steers the choices towards
	// updates that mean something (authors who are stewards, votes on
	// open proposals); the reference judges them.
	dag *gov.DAG
}

var (
	govGenDatasets = []protocol.ID{protocol.ObjectID([]byte("dataset 1")), protocol.ObjectID([]byte("dataset 2")), protocol.ObjectID([]byte("dataset 3"))}
	govGenReasons  = []string{"spam", "key leaked", "a \"quoted\" reason\twith\ncontrol \x01\x1f chars and \\ ünïcode", "ok"}
	govGenParams   = []string{"alpha", "beta", "max-claims"}
	govGenValues   = []string{"", "1", "2"}
)

func newGovGen(t testing.TB, seed uint64) *govGen {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	stewards := "ABC"[:1+r.IntN(3)]
	var params map[string]string
	if r.IntN(2) == 0 {
		params = map[string]string{"max-claims": "100"}
	}
	n := newGovNet(t, stewards, 1+r.IntN(len(stewards)), params)
	return &govGen{t: t, r: r, n: n, dag: gov.New(n.g, n.net)}
}

// set makes n updates and returns them all.
func (g *govGen) set(n int) []*gov.Update {
	for range n {
		g.next()
	}
	return g.all
}

// next makes one more update.
func (g *govGen) next() *gov.Update {
	for {
		parents := g.parents()
		at := g.time(parents)
		author := g.key()
		var u *gov.Update
		var err error
		if k := g.r.IntN(100); k < 8 {
			to := govKeys[g.r.IntN(len(govKeys))]
			if to == author {
				continue
			}
			env := mustEnvelope(protocol.KindRotation, protocol.KeySubject(author.DID()),
				protocol.Rotation{From: author.DID(), To: to.DID(), Created: at}, author, to)
			u, err = gov.NewRotation(g.n.net, author, parents, at, env)
		} else if k < 50 {
			p := g.proposal(at)
			u, err = gov.NewUpdate(g.n.net, author, parents, at, &p, nil)
		} else {
			v := g.vote(&author)
			u, err = gov.NewUpdate(g.n.net, author, parents, at, nil, &v)
		}
		if err != nil {
			continue // a combination NewGovUpdate refuses, as it should: draw again
		}
		g.all = append(g.all, u)
		if _, err := g.dag.Add(u); err != nil {
			g.t.Fatal(err)
		}
		switch {
		case u.Propose != nil:
			g.proposals = append(g.proposals, u.ID)
		case u.Vote != nil:
			g.votes = append(g.votes, u)
		}
		return u
	}
}

// parents are mostly recent updates, one to three of them, so that
// branches run side by side and join; sometimes older ones, or the genesis.
func (g *govGen) parents() []protocol.ID {
	if len(g.all) == 0 || g.r.IntN(12) == 0 {
		return g.n.genesis()
	}
	var out []protocol.ID
	for range 1 + g.r.IntN(min(3, len(g.all))) {
		window := min(len(g.all), 5)
		if g.r.IntN(5) == 0 {
			window = len(g.all)
		}
		id := g.all[len(g.all)-1-g.r.IntN(window)].ID
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// time is the latest time of the parents plus up to two days, or now and
// then twelve hours before it: authors' clocks disagree.
func (g *govGen) time(parents []protocol.ID) time.Time {
	t := day(2)
	for _, p := range parents {
		for _, u := range g.all {
			if u.ID == p && u.Time.After(t) {
				t = u.Time
			}
		}
	}
	t = t.Add(time.Duration(g.r.IntN(12)) * time.Hour)
	if g.r.IntN(10) == 0 {
		t = t.Add(48 * time.Hour)
	}
	if g.r.IntN(6) == 0 {
		t = t.Add(-12 * time.Hour)
	}
	return t
}

// key is mostly a current steward, else any of A to F.
func (g *govGen) key() *protocol.Key {
	if stewards := g.dag.State().Stewards(); g.r.IntN(10) < 8 {
		d := stewards[g.r.IntN(len(stewards))]
		return govKeys[slices.IndexFunc(govKeys, func(k *protocol.Key) bool { return k.DID() == d })]
	}
	return govKeys[g.r.IntN(6)]
}

func (g *govGen) proposal(at time.Time) gov.Proposal {
	p := gov.Proposal{Expires: at.Add(time.Duration(1+g.r.IntN(48)) * time.Hour)}
	if g.r.IntN(2) == 0 {
		p.Expires = at.Add(time.Duration(1+g.r.IntN(10)) * 24 * time.Hour)
	}
	target := govKeys[g.r.IntN(7)].DID()
	if g.r.IntN(2) == 0 {
		target = govKeys[3+g.r.IntN(3)].DID() // D, E or F: proposals that compete
	}
	reason := govGenReasons[g.r.IntN(len(govGenReasons))]
	switch k := g.r.IntN(100); {
	case k < 25:
		p.Action, p.DID = gov.ActAddSteward, target
	case k < 40:
		p.Action, p.DID = gov.ActRemoveSteward, target
	case k < 55:
		p.Action, p.Threshold = gov.ActSetThreshold, 1+g.r.IntN(4)
	case k < 65:
		p.Action, p.DID, p.Reason = gov.ActRevokeKey, target, reason
		p.Effective = day(2).Add(time.Duration(g.r.IntN(4)) * 24 * time.Hour)
	case k < 85:
		p.Action, p.Dataset, p.Reason = gov.ActDatasetStatus, govGenDatasets[g.r.IntN(len(govGenDatasets))], reason
		p.Status = []gov.DatasetStatus{gov.StatusAccepted, gov.StatusFlagged, gov.StatusDelisted}[g.r.IntN(3)]
	default:
		p.Action, p.Name, p.Value = gov.ActSetParam, govGenParams[g.r.IntN(len(govGenParams))], govGenValues[g.r.IntN(len(govGenValues))]
	}
	return p
}

// vote is mostly on a known proposal, yes more often than no; sometimes
// on a vote (no such proposal), sometimes a repeat of an earlier vote by
// the same author, for or against.
func (g *govGen) vote(author **protocol.Key) gov.Vote {
	yes := g.r.IntN(10) < 6
	var open []protocol.ID
	for _, p := range g.dag.State().Proposals() {
		if p.Status == gov.ProposalOpen {
			open = append(open, p.ID)
		}
	}
	switch k := g.r.IntN(100); {
	case k >= 40 && len(open) > 0:
		return gov.Vote{Proposal: open[g.r.IntN(len(open))], Yes: yes}
	case k < 10 && len(g.votes) > 0:
		old := g.votes[g.r.IntN(len(g.votes))]
		*author = govKeys[slices.IndexFunc(govKeys, func(k *protocol.Key) bool { return k.DID() == old.Author })]
		return gov.Vote{Proposal: old.Vote.Proposal, Yes: yes}
	case k < 18 && len(g.votes) > 0:
		return gov.Vote{Proposal: g.votes[g.r.IntN(len(g.votes))].ID, Yes: yes}
	case len(g.proposals) > 0:
		window := min(len(g.proposals), 4)
		if g.r.IntN(4) == 0 {
			window = len(g.proposals)
		}
		return gov.Vote{Proposal: g.proposals[len(g.proposals)-1-g.r.IntN(window)], Yes: yes}
	}
	return gov.Vote{Proposal: protocol.ObjectID([]byte("no such proposal")), Yes: yes}
}
