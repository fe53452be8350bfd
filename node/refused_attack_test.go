package node

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

// Attacks by a peer that serves objects the node refuses at its door
// (SPEC.md §3.7, §5.6), and the rules that stop them (§7.3 "Credit",
// §7.5 "Refused for its time").

// countingSource serves what a store holds and counts the requests for
// the envelope of one object.
type countingSource struct {
	storeSource
	id     protocol.ID
	served *atomic.Int64
}

func (s countingSource) Envelope(id protocol.ID) ([]byte, error) {
	if id == s.id {
		s.served.Add(1)
	}
	return s.storeSource.Envelope(id)
}

// provide puts objs in n's store, without the door, and announces their
// object keys to the nodes closest to them.
func provide(t *testing.T, n *netNode, objs ...*protocol.Object) {
	t.Helper()
	storetest.MustPut(t, n.store, objs...)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, o := range objs {
		if err := p2p.Provide(ctx, n.net.DHT(), protocol.ObjectKey(o.ID)); err != nil {
			t.Fatal(err)
		}
	}
	delivered(t, ctx, n.net.DHT(), n.repo.Network)
}

// futureDataset is a dataset dated ahead of now by ahead, as a node whose
// clock is that far ahead publishes it.
func futureDataset(t *testing.T, name string, ahead time.Duration) *protocol.Object {
	t.Helper()
	created := time.Now().Add(ahead).UTC().Truncate(time.Second)
	return storetest.NewDatasetWith(t, storetest.Key(t, "steward ahead"), protocol.Dataset{Name: name, Created: created})
}

// TestRefusedObjectsEarnNoCredit: a peer serves, when asked, objects the
// node then refuses at its door — a dataset dated 2 h ahead (the time
// check), and a revocation of a claim the node holds by a key that did
// not issue it (the store's rules). It earns no credit: trust and standing
// follow from what the node accepts, never from what a peer serves. The
// same peer serving an object the node stores earns the credit of one
// answer.
func TestRefusedObjectsEarnNoCredit(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim, hostile := nodes[0], nodes[1]
	ctx := t.Context()
	q := api.QueryOptions{Timeout: 10 * time.Second}

	held := storetest.NewDataset(t, storetest.Key(t, "publisher"), "held by the victim")
	claim := storetest.NewClaim(t, storetest.Key(t, "issuer"), held.ID, storetest.Key(t, "author").DID(), "author", 1)
	storetest.MustPut(t, victim.store, held, claim)
	future := futureDataset(t, "from a clock 2 h ahead", 2*time.Hour)
	forged := storetest.NewRevocation(t, storetest.Key(t, "not the issuer"), claim.ID, "not mine to revoke")
	provide(t, hostile, future, forged)

	for _, o := range []*protocol.Object{future, forged} {
		if _, err := victim.GetObject(ctx, o.ID, q); !protocol.IsKind(err, protocol.NotFound) {
			t.Fatalf("get %s %s: %v, want not found", o.Kind, o.ID, err)
		}
		if ok, _ := victim.store.Has(o.ID); ok {
			t.Fatalf("the %s %s was stored", o.Kind, o.ID)
		}
	}
	if c := victim.net.Scores().Credit(hostile.Host().ID()); c != 0 {
		t.Errorf("the peer that served only objects the node refused has credit %g, want 0", c)
	}

	accepted := storetest.NewDataset(t, storetest.Key(t, "publisher"), "served and stored")
	provide(t, hostile, accepted)
	if _, err := victim.GetObject(ctx, accepted.ID, q); err != nil {
		t.Fatal(err)
	}
	if c := victim.net.Scores().Credit(hostile.Host().ID()); math.Abs(c-p2p.DefaultReward) > 0.01 {
		t.Errorf("the peer that served an object the node stored has credit %g, want one reward, %g", c, p2p.DefaultReward)
	}
}

// TestObjectRefusedForItsTimeNotFetchedAgain: a peer whose clock is 2 h
// ahead serves a dataset it dated then. The node fetches it once and
// refuses it for its time; a second search for it answers at once that it
// was refused as dated in the future, and until when, without asking the
// peer again. Once the node's clock reaches the time from which the
// dataset can be accepted, a search fetches it again, and stores it.
func TestObjectRefusedForItsTimeNotFetchedAgain(t *testing.T) {
	var ahead atomic.Int64 // how far the victim's clock is moved on
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	genesis := testGenesis(t, "early", randomDID(t))
	victim := startNetNode(t, filepath.Join(t.TempDir(), "victim"), genesis, swarmOptions{now: clock})
	skewed := startNetNode(t, filepath.Join(t.TempDir(), "skewed"), genesis, swarmOptions{}, victim)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, n := range []*netNode{victim, skewed} {
		if err := p2p.WaitForPeers(ctx, n.net.DHT()); err != nil {
			t.Fatal(err)
		}
	}

	future := futureDataset(t, "from a clock 2 h ahead", 2*time.Hour)
	var served atomic.Int64
	src := countingSource{storeSource: storeSource{skewed.store}, id: future.ID, served: &served}
	fetch.NewServer(skewed.repo.Network, src, fetch.ServerOptions{}).Register(skewed.Host())
	provide(t, skewed, future)

	q := api.QueryOptions{Timeout: 10 * time.Second}
	from := future.Created().Add(-protocol.MaxClockSkew).UTC().Format(time.RFC3339)
	for i := range 2 {
		_, err := victim.GetObject(t.Context(), future.ID, q)
		if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), "in the future") || !strings.Contains(err.Error(), from) {
			t.Fatalf("search %d: %v, want not found, refused as dated in the future and acceptable from %s", i+1, err, from)
		}
		if got := served.Load(); got != 1 {
			t.Fatalf("after search %d the peer served the dataset %d times, want once", i+1, got)
		}
	}
	if ok, _ := victim.store.Has(future.ID); ok {
		t.Fatal("the dataset dated 2 h ahead was stored")
	}

	ahead.Store(int64(2 * time.Hour))
	if _, err := victim.GetObject(t.Context(), future.ID, q); err != nil {
		t.Fatalf("once its time has come: %v", err)
	}
	if got := served.Load(); got != 2 {
		t.Errorf("the peer served the dataset %d times in all, want twice", got)
	}
	if ok, _ := victim.store.Has(future.ID); !ok {
		t.Error("the dataset was not stored once its time had come")
	}
}

// TestLocateRefusesFutureManifestDataset: asked where a file is, a peer
// lists a dataset with a manifest, dated 2 h ahead, that names it. The
// node refuses the record for its time before reading its manifest: it
// locates nothing there, stores neither the record nor a chunk, and the
// peer earns no credit.
func TestLocateRefusesFutureManifestDataset(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	asker, holder := nodes[0], nodes[1]
	m := newNetManifest(t, 20)
	if _, err := holder.store.PutChunks(m.all); err != nil {
		t.Fatal(err)
	}
	k := storetest.Key(t, "steward ahead")
	ds := storetest.Sign(t, protocol.KindDataset, protocol.ReferenceSubject(m.ref.Root), protocol.Dataset{
		Name: "archive from a clock 2 h ahead", License: "CC-BY-4.0", Publisher: k.DID(),
		Created: time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second), Manifest: &m.ref,
	}, k)
	res := storetest.MustPut(t, holder.store, ds) // as the node ahead stored it
	holder.net.Stored(ds, res[0], swarm.FromFetch)
	waitAnnounced(t, holder)

	want := m.entries[5]
	got, err := asker.Locate(t.Context(), want.Digest, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Datasets) != 0 {
		t.Errorf("located %+v in a dataset dated 2 h ahead", got.Datasets)
	}
	if ok, _ := asker.store.Has(ds.ID); ok {
		t.Error("the record dated 2 h ahead was stored")
	}
	if s, err := asker.store.Stats(); err != nil || s.Chunks != 0 {
		t.Errorf("the asker stored %d chunks of the refused record's manifest (%v), want none", s.Chunks, err)
	}
	if c := asker.net.Scores().Credit(holder.Host().ID()); c != 0 {
		t.Errorf("the peer that listed a record the node refused has credit %g, want 0", c)
	}
}
