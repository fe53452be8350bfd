package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm/govsync"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Attacks on governance by a steward or a peer, and the rules that stop
// them (SPEC.md §8.2, §8.9).

// plantGov places u in n's DAG and store as if n's own door had let it in:
// n plays a steward whose clock, or whose code, is wrong.
func plantGov(t *testing.T, n *netNode, u *gov.Update) {
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

// govHas reports whether n holds update id, placed or held.
func govHas(n *Node, id protocol.ID) bool {
	n.gov.mu.Lock()
	defer n.gov.mu.Unlock()
	return n.gov.g.Has(id)
}

// govParents returns the parents of n's next update.
func govParents(n *Node) []protocol.ID {
	n.gov.mu.Lock()
	defer n.gov.mu.Unlock()
	return n.gov.g.Parents()
}

// refusedForNow reports whether n tried update id and refused it as dated
// too far ahead: it then remembers it so as not to fetch it again.
func refusedForNow(n *netNode, id protocol.ID) bool {
	n.gov.mu.Lock()
	defer n.gov.mu.Unlock()
	return n.gov.sync.RefusedForNow(id) || n.gov.g.Has(id)
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
			propose(t, honest[0], api.GovProposeRequest{Action: "set-param", Name: "before", Value: "1"})
			sameState(t, nodes)
			hash := honest[0].govState().Hash()

			at := time.Now().Add(c.ahead).UTC().Truncate(time.Second)
			future, err := gov.NewUpdate(bad.repo.Network, bad.repo.NodeKey, govParents(bad.Node), at,
				&gov.Proposal{Action: gov.ActSetParam, Name: "frozen", Value: "yes", Expires: at.Add(time.Hour)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			plantGov(t, bad, future)
			bad.gov.sync.AnnounceSoon() // its heads now name the future update
			for _, h := range honest {
				waitFor(t, "the honest node fetches the future update", func() bool { return refusedForNow(h, future.ID) })
				if govHas(h.Node, future.ID) {
					t.Fatalf("the honest node placed an update dated %s", at)
				}
				if _, err := h.store.GovUpdate(future.ID); !protocol.IsKind(err, protocol.NotFound) {
					t.Errorf("the honest node stored the future update (err %v)", err)
				}
				if got := h.govState().Hash(); got != hash {
					t.Errorf("the honest node's state hash changed: %s, want %s", got, hash)
				}
			}

			p := propose(t, honest[0], api.GovProposeRequest{Action: "remove-steward", DID: bad.repo.NodeKey.DID().String()})
			if p.Status != string(gov.ProposalOpen) {
				t.Fatalf("the proposal to remove the steward is %s at birth, want open", p.Status)
			}
			waitFor(t, "the proposal reaches the other honest node", func() bool { _, ok := honest[1].govState().Proposal(p.ID); return ok })
			vote(t, honest[1], p.ID, true)
			sameState(t, honest)
			for _, h := range honest {
				if got, _ := h.govState().Proposal(p.ID); got.Status != gov.ProposalPassed {
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
	future, err := gov.NewUpdate(n.repo.Network, n.repo.NodeKey, govParents(n.Node), at,
		&gov.Proposal{Action: gov.ActSetParam, Name: "later", Value: "1", Expires: at.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.store.PutGovUpdate(future.ID, future.Encode()); err != nil {
		t.Fatal(err)
	}
	dir := n.dir
	n.stop()

	again := openNode(t, dir)
	if govHas(again, future.ID) || again.govState().Hash() != hash {
		t.Fatal("an update dated 3 h ahead was placed at load")
	}
	if _, err := again.store.GovUpdate(future.ID); err != nil {
		t.Fatalf("the update was not kept on disk: %v", err)
	}
	again.gov.sync.RetryDeferred()
	if govHas(again, future.ID) {
		t.Fatal("placed before its time")
	}
	again.now = func() time.Time { return at }
	again.gov.sync.RetryDeferred()
	if !govHas(again, future.ID) || again.govState().Hash() == hash {
		t.Fatal("not placed once its time came")
	}
}

// TestGovHeldFloodBoundedPerPeer: a peer floods the governance topic with
// updates by throwaway keys that name made-up parents — they cannot be
// judged, so they would be held, and 8192 of them would push out every
// honest held update. The node holds at most govsync.MaxHeldPerPeer of them
// for that peer, rejects the rest and penalises it; an honest peer's held
// updates, and a steward's, still get through.
func TestGovHeldFloodBoundedPerPeer(t *testing.T) {
	nodes := govSwarm(t, 2, 2, 2, nil)
	victim, steward := nodes[0], nodes[1]
	net := victim.repo.Network
	topic := hostileTopic(t, victim, net.GovernanceTopic())
	now := time.Now().UTC().Truncate(time.Second)
	madeUp := func(i int) *gov.Update {
		parent := protocol.ObjectID(fmt.Appendf(nil, "no such update %d", i))
		u, err := gov.NewUpdate(net, mustKey(t), []protocol.ID{parent}, now,
			&gov.Proposal{Action: gov.ActSetParam, Name: "flood", Value: fmt.Sprint(i), Expires: now.Add(time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	// GossipSub drops what arrives while its validators are busy (§7.4),
	// so on a loaded machine a burst may not all be judged: the peer goes
	// on flooding, in bursts, until it is penalised or has sent eight
	// times what it may have held.
	const flood = 8 * govsync.MaxHeldPerPeer
	hostile := topic.hostID
	sent := 0
	for ; sent < flood && victim.scoreOf(hostile) >= 0; sent++ {
		if err := topic.Publish(t.Context(), append([]byte{govsync.MsgUpdate}, madeUp(sent).Encode()...)); err != nil {
			t.Fatal(err)
		}
		if sent%32 == 31 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(t, "the flooding peer is penalised", func() bool { return victim.scoreOf(hostile) < 0 })
	victim.gov.mu.Lock()
	held, charged := len(victim.gov.g.Held()), victim.gov.sync.HeldFrom(hostile)
	victim.gov.mu.Unlock()
	if charged > govsync.MaxHeldPerPeer || held > govsync.MaxHeldPerPeer {
		t.Fatalf("%d updates held, %d for the flooding peer; want at most %d", held, charged, govsync.MaxHeldPerPeer)
	}

	// An honest peer's update by a key not known as a steward yet is
	// still held for judgement, not refused.
	honest := steward.Host().ID()
	fresh := madeUp(flood + 1)
	if _, err := victim.gov.sync.Validate(t.Context(), honest, append([]byte{govsync.MsgUpdate}, fresh.Encode()...)); protocol.IsKind(err, protocol.Invalid) {
		t.Fatalf("an honest peer's update refused: %v", err)
	}
	if !govHas(victim.Node, fresh.ID) {
		t.Error("an honest peer's update is not held")
	}
	// A steward's update that arrives before its parent is held, and
	// placed with it.
	first, err := gov.NewUpdate(net, steward.repo.NodeKey, govParents(victim.Node), now,
		&gov.Proposal{Action: gov.ActSetParam, Name: "a", Value: "1", Expires: now.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := gov.NewUpdate(net, steward.repo.NodeKey, []protocol.ID{first.ID}, now,
		&gov.Proposal{Action: gov.ActSetParam, Name: "b", Value: "2", Expires: now.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*gov.Update{second, first} {
		v, err := victim.gov.sync.Validate(t.Context(), honest, append([]byte{govsync.MsgUpdate}, u.Encode()...))
		if err != nil {
			t.Fatalf("a steward's update refused: %v", err)
		}
		victim.gov.sync.Deliver(honest, nil, v)
	}
	if _, ok := victim.govState().Proposal(second.ID); !ok {
		t.Error("the steward's held update was not placed once its parent came")
	}
	if victim.scoreOf(honest) < 0 {
		t.Errorf("the honest peer was penalised: %v", victim.scoreOf(honest))
	}

	// A peer that gossiped an update by a key that, once its parent came,
	// turns out never to have been a steward is penalised then: an honest
	// node never forwards such an update.
	lurker, err := repo.PeerIDOf(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	parent, err := gov.NewUpdate(net, steward.repo.NodeKey, govParents(victim.Node), now,
		&gov.Proposal{Action: gov.ActSetParam, Name: "c", Value: "3", Expires: now.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := gov.NewUpdate(net, mustKey(t), []protocol.ID{parent.ID}, now,
		&gov.Proposal{Action: gov.ActSetParam, Name: "d", Value: "4", Expires: now.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := victim.gov.sync.Validate(t.Context(), lurker, append([]byte{govsync.MsgUpdate}, nobody.Encode()...)); protocol.IsKind(err, protocol.Invalid) {
		t.Fatalf("an update that cannot be judged yet was refused: %v", err)
	}
	if victim.scoreOf(lurker) < 0 {
		t.Fatal("penalised before the update could be judged")
	}
	v, err := victim.gov.sync.Validate(t.Context(), honest, append([]byte{govsync.MsgUpdate}, parent.Encode()...))
	if err != nil {
		t.Fatal(err)
	}
	victim.gov.sync.Deliver(honest, nil, v)
	if !govHas(victim.Node, nobody.ID) || victim.scoreOf(lurker) >= 0 {
		t.Errorf("once judged, the update by a non-steward left its forwarder's score at %v", victim.scoreOf(lurker))
	}
}
