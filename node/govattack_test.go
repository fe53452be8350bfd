package node

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Attacks on governance by a steward or a peer, and the rules that stop
// them (SPEC.md §8.2, §8.9).

// plantGov places u in n's DAG and store as if n's own door had let it in:
// n plays a steward whose clock, or whose code, is wrong.
func plantGov(t *testing.T, n *netNode, u *protocol.GovUpdate) {
	t.Helper()
	gv := n.gov
	gv.mu.Lock()
	_, err := gv.g.Add(u)
	gv.state.Store(gv.g.State())
	gv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.store.PutGovUpdate(u.ID, u.Encode()); err != nil {
		t.Fatal(err)
	}
}

// refusedForNow reports whether n tried update id and refused it as dated
// too far ahead: it then remembers it so as not to fetch it again.
func refusedForNow(n *netNode, id protocol.ID) bool {
	n.gov.mu.Lock()
	defer n.gov.mu.Unlock()
	_, early := n.gov.early[id]
	return early || n.gov.g.Has(id)
}

// TestGovFutureUpdateCannotFreeze: a steward serves, through heads sync
// alone (never on the topic), an update dated far ahead — decades, or the
// hours of a wrong clock. The honest nodes fetch it, and neither place nor
// store it: their state is unchanged, and they can still remove that
// steward by vote. Before the door was shared, the update was placed, the
// fold's clock jumped, and every later proposal was born expired.
func TestGovFutureUpdateCannotFreeze(t *testing.T) {
	for _, c := range []struct {
		name  string
		ahead time.Duration
	}{
		{"decades ahead", 30 * 365 * 24 * time.Hour},
		{"a clock hours ahead", 5 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			nodes := govSwarm(t, 3, 3, 2, nil)
			bad, honest := nodes[0], nodes[1:]
			propose(t, honest[0], GovProposeRequest{Action: "set-param", Name: "before", Value: "1"})
			sameState(t, nodes)
			hash := honest[0].govState().Hash()

			at := time.Now().Add(c.ahead).UTC().Truncate(time.Second)
			future, err := protocol.NewGovUpdate(bad.repo.Network, bad.repo.NodeKey, bad.gov.g.Parents(), at,
				&protocol.GovProposal{Action: protocol.ActSetParam, Name: "frozen", Value: "yes", Expires: at.Add(time.Hour)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			plantGov(t, bad, future)
			bad.net.gov.soon() // its heads now name the future update
			for _, h := range honest {
				waitFor(t, "the honest node fetches the future update", func() bool { return refusedForNow(h, future.ID) })
				if h.gov.g.Has(future.ID) {
					t.Fatalf("the honest node placed an update dated %s", at)
				}
				if _, err := h.store.GovUpdate(future.ID); !protocol.IsKind(err, protocol.NotFound) {
					t.Errorf("the honest node stored the future update (err %v)", err)
				}
				if got := h.govState().Hash(); got != hash {
					t.Errorf("the honest node's state hash changed: %s, want %s", got, hash)
				}
			}

			p := propose(t, honest[0], GovProposeRequest{Action: "remove-steward", DID: bad.repo.NodeKey.DID().String()})
			if p.Status != string(protocol.ProposalOpen) {
				t.Fatalf("the proposal to remove the steward is %s at birth, want open", p.Status)
			}
			waitFor(t, "the proposal reaches the other honest node", func() bool { _, ok := honest[1].govState().Proposal(p.ID); return ok })
			vote(t, honest[1], p.ID, true)
			sameState(t, honest)
			for _, h := range honest {
				if got, _ := h.govState().Proposal(p.ID); got.Status != protocol.ProposalPassed {
					t.Errorf("remove-steward: %s, want passed", got.Status)
				}
				if h.govState().IsSteward(bad.repo.NodeKey.DID()) {
					t.Error("the bad steward is still a steward")
				}
			}
		})
	}
}

// TestGovFutureUpdateAtLoad: an update in the store dated too far ahead
// of the clock at start (stored before the door was shared, or by a clock
// that has since gone back) is not placed, stays on disk, and is placed
// once its time comes.
func TestGovFutureUpdateAtLoad(t *testing.T) {
	nodes := govSwarm(t, 1, 1, 1, nil)
	n := nodes[0]
	hash := n.govState().Hash()
	at := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	future, err := protocol.NewGovUpdate(n.repo.Network, n.repo.NodeKey, n.gov.g.Parents(), at,
		&protocol.GovProposal{Action: protocol.ActSetParam, Name: "later", Value: "1", Expires: at.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.store.PutGovUpdate(future.ID, future.Encode()); err != nil {
		t.Fatal(err)
	}
	dir := n.dir
	n.stop()

	repo, err := OpenRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: repo.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again := New(repo, st, nil)
	if again.gov.g.Has(future.ID) || again.govState().Hash() != hash {
		t.Fatal("an update dated 3 h ahead was placed at load")
	}
	if _, err := st.GovUpdate(future.ID); err != nil {
		t.Fatalf("the update was not kept on disk: %v", err)
	}
	again.retryDeferredGov()
	if again.gov.g.Has(future.ID) {
		t.Fatal("placed before its time")
	}
	again.now = func() time.Time { return at }
	again.retryDeferredGov()
	if !again.gov.g.Has(future.ID) || again.govState().Hash() == hash {
		t.Fatal("not placed once its time came")
	}
}
