package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm/govsync"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govSwarm starts k nodes of a commons whose genesis names the first
// stewards of them as stewards, with threshold; node i is bootstrapped to
// node i-1. Every node's connections pass the partition's gater.
func govSwarm(t *testing.T, k, stewards, threshold int, part *partition) []*netNode {
	return govSwarmWith(t, k, stewards, threshold, part, swarmOptions{gossip: true})
}

// govSwarmWith is govSwarm with the options of every node (part sets the
// gater).
func govSwarmWith(t *testing.T, k, stewards, threshold int, part *partition, o swarmOptions) []*netNode {
	t.Helper()
	dirs := make([]string, k)
	var dids []protocol.DID
	for i := range dirs {
		dirs[i] = filepath.Join(t.TempDir(), fmt.Sprint("g", i))
		r, err := repo.Init(dirs[i], repo.InitOptions{APIAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		if i < stewards {
			dids = append(dids, r.NodeKey.DID())
		}
		if part != nil {
			part.place(r.PeerID, 0)
		}
	}
	genesis, err := protocol.EncodeGenesis(&protocol.Genesis{
		Name: "stewarded", Stewards: dids, Threshold: threshold,
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*netNode, k)
	for i := range nodes {
		r, err := repo.Open(dirs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := r.JoinNetwork(genesis); err != nil {
			t.Fatal(err)
		}
		o := o
		if part != nil {
			o.gater = part.gater(r.PeerID)
		}
		var boot []*netNode
		if i > 0 {
			boot = []*netNode{nodes[i-1]}
		}
		nodes[i] = startNetNode(t, dirs[i], genesis, o, boot...)
	}
	for _, n := range nodes {
		waitFor(t, "governance topic peers", func() bool { return k == 1 || len(n.net.GovTopic().Peers()) > 0 })
	}
	time.Sleep(300 * time.Millisecond) // a heartbeat: the mesh forms
	return nodes
}

// partition keeps the peers of different sides apart while it is on.
type partition struct {
	mu   sync.Mutex
	on   bool
	side map[peer.ID]int
}

func newPartition() *partition { return &partition{side: map[peer.ID]int{}} }

func (p *partition) place(id peer.ID, side int) {
	p.mu.Lock()
	p.side[id] = side
	p.mu.Unlock()
}

func (p *partition) allowed(a, b peer.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.on || p.side[a] == p.side[b]
}

func (p *partition) set(on bool) {
	p.mu.Lock()
	p.on = on
	p.mu.Unlock()
}

// split puts nodes[:half] and nodes[half:] on two sides and closes the
// connections between them.
func (p *partition) split(nodes []*netNode, half int) {
	p.splitBy(nodes, func(i int) int { return min(i/half, 1) })
}

// splitBy puts node i on side(i) and closes the connections between sides.
func (p *partition) splitBy(nodes []*netNode, side func(i int) int) {
	for i, n := range nodes {
		p.place(n.Host().ID(), side(i))
	}
	p.set(true)
	for _, a := range nodes {
		for _, b := range nodes {
			if !p.allowed(a.Host().ID(), b.Host().ID()) {
				a.Host().Network().ClosePeer(b.Host().ID())
			}
		}
	}
}

func (p *partition) gater(self peer.ID) partGater { return partGater{p, self} }

// partGater is one node's view of a partition.
type partGater struct {
	p    *partition
	self peer.ID
}

func (g partGater) InterceptPeerDial(p peer.ID) bool                                { return g.p.allowed(g.self, p) }
func (g partGater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool                { return g.p.allowed(g.self, p) }
func (g partGater) InterceptAccept(network.ConnMultiaddrs) bool                     { return true }
func (g partGater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
func (g partGater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.p.allowed(g.self, p)
}

// sameState waits until every node has the state hash of the first, and
// returns it.
func sameState(t *testing.T, nodes []*netNode) string {
	t.Helper()
	var want string
	waitFor(t, "one state hash on every node", func() bool {
		want = nodes[0].govState().Hash()
		for _, n := range nodes[1:] {
			if n.govState().Hash() != want {
				return false
			}
		}
		return true
	})
	return want
}

func propose(t *testing.T, n *netNode, req api.GovProposeRequest) api.GovPublished {
	t.Helper()
	p, err := n.GovPropose(t.Context(), req)
	if err != nil {
		t.Fatalf("propose %s: %v", req.Action, err)
	}
	return p
}

func vote(t *testing.T, n *netNode, proposal protocol.ID, yes bool) api.GovPublished {
	t.Helper()
	v := "no"
	if yes {
		v = "yes"
	}
	p, err := n.GovVote(t.Context(), api.GovVoteRequest{Proposal: proposal, Vote: v})
	if err != nil {
		t.Fatalf("vote: %v", err)
	}
	return p
}

// TestGovCommonsOfOne: the only steward's proposals pass at once; a key
// that is not a steward is refused and nothing is published; votes on
// unknown proposals are refused with a reason.
func TestGovCommonsOfOne(t *testing.T) {
	nodes := govSwarm(t, 1, 1, 1, nil)
	n := nodes[0]
	if _, err := n.repo.Keys.New("alice"); err != nil {
		t.Fatal(err)
	}
	before := n.govState()
	_, err := n.GovPropose(t.Context(), api.GovProposeRequest{Action: "set-param", Name: "x", Value: "1", As: "alice"})
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "not a current steward") {
		t.Fatalf("a non-steward's proposal: %v", err)
	}
	if n.govState().Hash() != before.Hash() || n.govState().Updates() != 0 {
		t.Fatal("a refused proposal changed the state")
	}
	p := propose(t, n, api.GovProposeRequest{Action: "add-steward", DID: "alice"})
	if p.Status != "passed" || p.Kind != "proposal" {
		t.Fatalf("the only steward's proposal: %+v", p)
	}
	alice, _ := n.repo.Keys.Get("alice")
	if !n.govState().IsSteward(alice.DID()) {
		t.Fatal("alice is not a steward after the proposal passed")
	}
	if _, err := n.GovVote(t.Context(), api.GovVoteRequest{Proposal: p.ID, Vote: "yes"}); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("a vote on a passed proposal: %v", err)
	}
	ghost := protocol.ObjectID([]byte("no such proposal"))
	if _, err := n.GovVote(t.Context(), api.GovVoteRequest{Proposal: ghost, Vote: "yes"}); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("a vote on an unknown proposal: %v", err)
	}
	for _, bad := range []api.GovProposeRequest{
		{Action: "crown-king", DID: "alice"},
		{Action: "add-steward"},
		{Action: "revoke-key", DID: "alice", Effective: "yesterday", Reason: "r"},
		{Action: "set-param", Name: "x", Value: "1", Expires: "-1h"},
		{Action: "dataset-status", Status: "delisted", Reason: "r"},
	} {
		if _, err := n.GovPropose(t.Context(), bad); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%+v: err %v, want invalid", bad, err)
		}
	}
	// An ID that is not one never reaches the node: the request is refused.
	if err := postRaw(t, n.Node, "/v1/gov/propose", `{"action":"dataset-status","dataset":"not an id","status":"delisted","reason":"r"}`); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("a dataset that is not an ID: err %v, want invalid", err)
	}
	// The log has what was applied, and the state survives a restart.
	log, err := n.GovLog(t.Context())
	if err != nil || len(log) != 1 {
		t.Fatalf("log: %d entries, %v", len(log), err)
	}
	hash := n.govState().Hash()
	n.stop()
	n = startNetNode(t, n.dir, nil, swarmOptions{gossip: true})
	if got := n.govState().Hash(); got != hash {
		t.Errorf("state hash after a restart %s, was %s", got, hash)
	}
}

// TestGovSwarm: a proposal made on one node passes by a vote from another
// and every node computes the same state hash; dataset status and a
// revoked key reach attribution on every node.
func TestGovSwarm(t *testing.T) {
	nodes := govSwarm(t, 4, 3, 2, nil)
	newcomer := nodes[3].repo.NodeKey.DID()
	p := propose(t, nodes[0], api.GovProposeRequest{Action: "add-steward", DID: newcomer.String()})
	if p.Status != "open" {
		t.Fatalf("one yes of a threshold of 2: %+v", p)
	}
	waitFor(t, "the proposal reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(p.ID); return ok })
	v := vote(t, nodes[1], p.ID, true)
	if v.Status != "passed" {
		t.Fatalf("after the second yes: %+v", v)
	}
	hash := sameState(t, nodes)
	for _, n := range nodes {
		if !n.govState().IsSteward(newcomer) {
			t.Errorf("node %s: the newcomer is not a steward", n.Host().ID())
		}
	}
	t.Logf("state hash %s", hash)

	// Dataset status and a revoked key, decided by two stewards.
	ds := mustDataset(t, nodes[2].Node, "disputed archive")
	waitFor(t, "the dataset reaches node 0", func() bool { ok, _ := nodes[0].store.Has(ds.ID); return ok })
	status := propose(t, nodes[0], api.GovProposeRequest{Action: "dataset-status", Dataset: ds.ID, Status: "delisted", Reason: "rights unclear"})
	waitFor(t, "the status proposal reaches node 3", func() bool { _, ok := nodes[3].govState().Proposal(status.ID); return ok })
	vote(t, nodes[3], status.ID, true)

	// A key leaks; its holder signs a claim (outside any node) after the
	// time from which the stewards then revoke it.
	thief := mustKey(t)
	effective := nodes[0].created().Add(-time.Hour)
	revoke := propose(t, nodes[0], api.GovProposeRequest{Action: "revoke-key", DID: thief.DID().String(), Effective: effective.Format(time.RFC3339), Reason: "key leaked"})
	waitFor(t, "the revocation reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(revoke.ID); return ok })
	vote(t, nodes[1], revoke.ID, true)
	sameState(t, nodes)

	env, err := protocol.NewEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(ds.ID), protocol.Attribution{
		Issuer: thief.DID(), Contributor: thief.DID(), Role: "author", Weight: 1, Created: nodes[2].created(),
	})
	if err != nil {
		t.Fatal(err)
	}
	thief.Sign(env)
	claim, err := nodes[2].PutObject(t.Context(), env.Encode())
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		waitFor(t, "the claim reaches every node", func() bool { ok, _ := n.store.Has(claim.ID); return ok })
		a, err := n.Attribution(t.Context(), ds.ID, api.QueryOptions{Local: true})
		if err != nil {
			t.Fatal(err)
		}
		if a.Standing == nil || a.Standing.Status != "delisted" || a.Standing.Reason != "rights unclear" {
			t.Errorf("node %d: standing %+v, want delisted", i, a.Standing)
		}
		for _, c := range a.Contributors {
			if c.Claim == claim.ID && c.Trust != protocol.Revoked {
				t.Errorf("node %d: the revoked key's claim has trust %s", i, c.Trust)
			}
		}
		view, err := n.Dataset(t.Context(), ds.ID, api.QueryOptions{Local: true})
		if err != nil || view.Standing == nil || view.Standing.Status != "delisted" {
			t.Errorf("node %d: dataset show standing %+v, %v", i, view.Standing, err)
		}
	}
}

// TestGovPartitionHeals: two halves of a swarm vote differently while
// apart, and converge to one state hash once they are joined again, with
// no restart.
func TestGovPartitionHeals(t *testing.T) {
	part := newPartition()
	nodes := govSwarm(t, 6, 4, 2, part)
	part.split(nodes, 3) // stewards 0, 1, 2 | 3 and non-stewards 4, 5
	waitFor(t, "the halves are apart", func() bool {
		return nodes[0].Host().Network().Connectedness(nodes[3].Host().ID()) != network.Connected
	})
	a := propose(t, nodes[0], api.GovProposeRequest{Action: "set-param", Name: "motto", Value: "left"})
	b := propose(t, nodes[3], api.GovProposeRequest{Action: "set-param", Name: "motto", Value: "right"})
	waitFor(t, "the left proposal reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(a.ID); return ok })
	vote(t, nodes[1], a.ID, true)
	left := sameState(t, nodes[:3])
	waitFor(t, "the right proposal reaches node 4", func() bool { _, ok := nodes[4].govState().Proposal(b.ID); return ok })
	right := sameState(t, nodes[3:])
	if left == right {
		t.Fatal("the halves agree while apart")
	}

	part.set(false)
	start := time.Now()
	for i := 3; i < len(nodes); i++ { // the network comes back: the nodes across the cut dial again
		nodes[i].Connect(t.Context(), nodes[i-3].net.Addrs()[0])
	}
	hash := sameState(t, nodes)
	t.Logf("converged in %s to %s", time.Since(start), hash)
	if _, ok := nodes[5].govState().Proposal(a.ID); !ok {
		t.Error("the right half never learnt the left proposal")
	}
}

// TestGovCatchUp: a node that was off during ten updates catches up when it
// returns.
func TestGovCatchUp(t *testing.T) {
	nodes := govSwarm(t, 3, 2, 1, nil)
	late := nodes[2]
	dir := late.dir
	late.stop()
	for i := range 10 {
		propose(t, nodes[i%2], api.GovProposeRequest{Action: "set-param", Name: fmt.Sprint("p", i), Value: "v"})
	}
	want := sameState(t, nodes[:2])
	late = startNetNode(t, dir, nil, swarmOptions{gossip: true}, nodes[0])
	waitFor(t, "the returning node catches up", func() bool { return late.govState().Hash() == want })
	if got := late.govState().Updates(); got != 10 {
		t.Errorf("the returning node applied %d updates, want 10", got)
	}
	// The updates it lacked came by heads sync: who gave them earned credit.
	if late.net.Scores().Credit(nodes[0].Host().ID())+late.net.Scores().Credit(nodes[1].Host().ID()) <= 0 {
		t.Errorf("no peer earned credit for the updates the returning node fetched")
	}
}

// TestGovHostileUpdates: updates that do not verify, of another network or
// by a non-steward are not placed, not forwarded, and lower the sender's
// score; replays change nothing.
func TestGovHostileUpdates(t *testing.T) {
	nodes := govSwarm(t, 2, 1, 1, nil)
	victim := nodes[0]
	p := propose(t, victim, api.GovProposeRequest{Action: "set-param", Name: "a", Value: "1"})
	sameState(t, nodes)
	hash := victim.govState().Hash()

	outsider := mustKey(t)
	net := victim.repo.Network
	foreign := protocol.NetworkIDOf([]byte("elsewhere"))
	heads := victim.gov.g.Heads()
	byOutsider, err := gov.NewUpdate(net, outsider, heads, victim.created(), &gov.Proposal{Action: gov.ActSetParam, Name: "a", Value: "2", Expires: victim.created().Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ofForeign, err := gov.NewUpdate(foreign, victim.repo.NodeKey, []protocol.ID{foreign.ID()}, victim.created(), &gov.Proposal{Action: gov.ActSetParam, Name: "a", Value: "3", Expires: victim.created().Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	replay, _ := victim.gov.g.Update(p.ID)
	cases := []struct {
		name   string
		msg    []byte
		reject bool
	}{
		{"not an update", append([]byte{govsync.MsgUpdate}, "garbage"...), true},
		{"unknown message type", []byte{0x7f, '{', '}'}, true},
		{"by a non-steward", append([]byte{govsync.MsgUpdate}, byOutsider.Encode()...), true},
		{"of another network", append([]byte{govsync.MsgUpdate}, ofForeign.Encode()...), true},
		{"replayed", append([]byte{govsync.MsgUpdate}, replay.Encode()...), false},
		{"bad heads", append([]byte{govsync.MsgHeads}, `{"heads":[],"x":1}`...), true},
	}
	from := nodes[1].Host().ID()
	for _, c := range cases {
		_, err := victim.gov.sync.Validate(context.Background(), from, c.msg)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if got := protocol.IsKind(err, protocol.Invalid); got != c.reject {
			t.Errorf("%s: %v; rejected (penalised) %v, want %v", c.name, err, got, c.reject)
		}
	}
	if victim.govState().Hash() != hash {
		t.Error("hostile updates changed the state")
	}
}

// TestGovVoteFetchesProposal: a steward that was away when a proposal was
// made can vote on it at once on its return: the node fetches the
// proposal from its peers first.
func TestGovVoteFetchesProposal(t *testing.T) {
	nodes := govSwarm(t, 3, 3, 3, nil)
	away := nodes[2]
	dir := away.dir
	away.stop()
	p := propose(t, nodes[0], api.GovProposeRequest{Action: "set-param", Name: "quorum", Value: "all"})
	waitFor(t, "the proposal reaches node 1", func() bool { _, ok := nodes[1].govState().Proposal(p.ID); return ok })
	vote(t, nodes[1], p.ID, true)
	away = startNetNode(t, dir, nil, swarmOptions{gossip: true}, nodes[0])
	if _, ok := away.govState().Proposal(p.ID); ok {
		t.Fatal("the returning node has the proposal before voting: the test shows nothing")
	}
	vote(t, away, p.ID, true) // its answer is the returning node's view: it may not hold node 1's vote yet
	nodes[2] = away
	sameState(t, nodes)
	if got, _ := nodes[0].govState().Proposal(p.ID); got.Status != gov.ProposalPassed {
		t.Fatalf("after the third vote: %s, want passed", got.Status)
	}
}

// TestGovRetiredKeySignsNothing: once a rotation hands the node key's seat
// on to another key, the node signs no governance update with the retired
// key, which the fold would ignore (SPEC.md §8.8), and signs with the
// successor. The retired key still counts as a steward for trust.
func TestGovRetiredKeySignsNothing(t *testing.T) {
	nodes := govSwarm(t, 1, 1, 1, nil)
	n := nodes[0]
	heir, err := n.repo.Keys.New("heir")
	if err != nil {
		t.Fatal(err)
	}
	old := n.repo.NodeKey
	rot, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(old.DID()),
		protocol.Rotation{From: old.DID(), To: heir.DID(), Created: n.created()})
	if err != nil {
		t.Fatal(err)
	}
	old.Sign(rot)
	heir.Sign(rot)
	u, err := gov.NewRotation(n.repo.Network, old, n.gov.g.Parents(), n.created(), rot)
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.admitGov(u.Encode(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.addGovUpdate(a, ""); err != nil {
		t.Fatal(err)
	}
	s := n.govState()
	if !s.IsStewardKey(heir.DID()) || s.IsStewardKey(old.DID()) || !s.IsSteward(old.DID()) {
		t.Fatalf("after the rotation: heir holds the seat %v, old key holds it %v, old key a steward for trust %v",
			s.IsStewardKey(heir.DID()), s.IsStewardKey(old.DID()), s.IsSteward(old.DID()))
	}
	before := s.Hash()
	_, err = n.GovPropose(t.Context(), api.GovProposeRequest{Action: "set-param", Name: "x", Value: "1"})
	if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "not a current steward") {
		t.Fatalf("a proposal signed with the retired key: %v", err)
	}
	if n.govState().Hash() != before {
		t.Fatal("a refused proposal changed the state")
	}
	if p := propose(t, n, api.GovProposeRequest{Action: "set-param", Name: "x", Value: "1", As: "heir"}); p.Status != "passed" {
		t.Fatalf("the successor's proposal: %+v", p)
	}
}
