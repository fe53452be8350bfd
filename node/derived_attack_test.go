package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

// Attacks by a peer on the search of what was made from a subject, and
// the rules that stop them (SPEC.md §7.3, §7.5).

// derivedListing is a fetch source that answers every derived request
// with the IDs in list, whatever the subject.
type derivedListing struct {
	storeSource
	list []protocol.ID
}

func (s derivedListing) DerivedFrom(_, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return pageOf(s.list, after, limit)
}

// hostileDeriver is a node that announces the derived-from key of subject
// without holding anything made from it, and answers the derived request
// with list, served from what it holds.
func hostileDeriver(t *testing.T, hostile *netNode, subject protocol.ID, list []protocol.ID) {
	t.Helper()
	src := derivedListing{storeSource: storeSource{hostile.store}, list: list}
	fetch.NewServer(hostile.repo.Network, src, fetch.ServerOptions{}).Register(hostile.Host())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Its provider record alone, given to the nodes closest to the key:
	// the asker fetches what is listed from the provider it asked.
	if err := p2p.Provide(ctx, hostile.net.DHT(), protocol.DerivedFromKey(subject)); err != nil {
		t.Fatal(err)
	}
	delivered(t, ctx, hostile.net.DHT(), hostile.repo.Network)
}

// TestDerivedAnswerCheckedAgainstQuestion: asked what was made from a
// dataset, a peer that announces its derived-from key lists objects that
// do not name it — a dataset derived from another one, a derivation made
// from another one, a claim about the dataset itself, a dataset with no
// parent — and an ID it does not hold. The asker stores none of them,
// lists none, and penalises the peer.
func TestDerivedAnswerCheckedAgainstQuestion(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, hostile := nodes[0], nodes[1]
	ctx := t.Context()
	subject := mustDataset(t, victim.Node, "my corpus")
	waitAnnounced(t, victim)
	if _, err := hostile.Dataset(ctx, subject.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	other := mustDataset(t, hostile.Node, "someone else's corpus")
	fromOther := mustDataset(t, hostile.Node, "derived from the other", other.ID)
	modelOfOther, err := hostile.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("other model")), Inputs: []protocol.ID{other.ID}, Activity: "trained-on"})
	if err != nil {
		t.Fatal(err)
	}
	claim, err := hostile.AddClaim(ctx, api.AddClaimRequest{Subject: subject.ID, Role: "author", Weight: 1})
	if err != nil {
		t.Fatal(err)
	}
	notHeld := mustDataset(t, newTestNode(t), "never served")
	junk := []protocol.ID{other.ID, fromOther.ID, modelOfOther.ID, claim.ID, notHeld.ID}
	hostileDeriver(t, hostile, subject.ID, junk)

	got, err := victim.Derived(ctx, subject.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Derived) != 0 {
		t.Errorf("derived from %s: %+v; want nothing", subject.ID, got.Derived)
	}
	for _, id := range junk {
		if ok, _ := victim.store.Has(id); ok {
			t.Errorf("stored %s, which does not name %s", id, subject.ID)
		}
	}
	if s := victim.scoreOf(hostile.Host().ID()); s >= 0 {
		t.Errorf("the peer that listed what does not name the subject has score %v, want a penalty", s)
	}
}

// TestDerivedFromHonestPeerKept: the same peer, listing only what names
// the subject, is believed: the derivation is stored and listed, and the
// peer is not penalised. (The check of the previous test is not a refusal
// of everything a peer lists.)
func TestDerivedFromHonestPeerKept(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, peerNode := nodes[0], nodes[1]
	ctx := t.Context()
	subject := mustDataset(t, victim.Node, "my corpus")
	waitAnnounced(t, victim)
	if _, err := peerNode.Dataset(ctx, subject.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	model, err := peerNode.Derive(ctx, api.DeriveRequest{Digest: protocol.SumDigest([]byte("model")), Inputs: []protocol.ID{subject.ID}, Activity: "trained-on"})
	if err != nil {
		t.Fatal(err)
	}
	hostileDeriver(t, peerNode, subject.ID, []protocol.ID{model.ID})

	got, err := victim.Derived(ctx, subject.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Derived) != 1 || got.Derived[0].ID != model.ID {
		t.Errorf("derived from %s: %+v; want the model %s", subject.ID, got.Derived, model.ID)
	}
	if s := victim.scoreOf(peerNode.Host().ID()); s < 0 {
		t.Errorf("a peer that listed only what names the subject has score %v", s)
	}
}

// TestDerivedListBoundedPerProvider: a peer that holds more derivations
// naming a dataset than one search takes from a provider (each valid,
// signed by keys that cost nothing) makes the asker fetch and store at
// most store.MaxDerived of them.
func TestDerivedListBoundedPerProvider(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, flooder := nodes[0], nodes[1]
	ctx := t.Context()
	subject := mustDataset(t, victim.Node, "my corpus")
	waitAnnounced(t, victim)
	if _, err := flooder.Dataset(ctx, subject.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	k := storetest.Key(t, "flooder")
	var flood []*protocol.Object
	for i := range store.MaxDerived + 100 {
		flood = append(flood, storetest.NewDerivation(t, k, storetest.FileOf("m.bin", fmt.Sprint(i)), "trained-on", subject.ID))
	}
	storetest.MustPut(t, flooder.store, flood...)
	hostileDeriver(t, flooder, subject.ID, idsOfObjects(flood))

	got, err := victim.Derived(ctx, subject.ID, api.QueryOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, o := range flood {
		if ok, _ := victim.store.Has(o.ID); ok {
			held++
		}
	}
	if held > store.MaxDerived || len(got.Derived) > store.MaxDerived {
		t.Errorf("the asker stored %d and lists %d of the %d derivations one peer listed; want at most %d", held, len(got.Derived), len(flood), store.MaxDerived)
	}
	if held == 0 {
		t.Error("the asker stored none of the derivations: the search did not reach the peer")
	}
}

func idsOfObjects(objs []*protocol.Object) []protocol.ID {
	out := make([]protocol.ID, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}
