package node

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var budgetEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newBudget returns the budgets of the config's storage section s, on the
// clock now, reading the disk with probe.
func newBudget(s repo.Storage, now func() time.Time, probe func() (swarm.DiskState, error)) *swarm.Budget {
	return swarm.NewBudget(swarm.BudgetOptions{Budgets: budgetsOf(s), Now: now, Probe: probe})
}

// TestBudgetBuckets: the signer's and the peer's buckets, charged and
// refilled on an injected clock. Signers s1…s4 hold 3 objects and 1000
// bytes; peers p1…p3 hold 50 objects and 1500 bytes; both refill in an hour.
func TestBudgetBuckets(t *testing.T) {
	clock := &fakeClock{budgetEpoch}
	b := newBudget(repo.Storage{SignerObjects: 3, SignerBytes: 1000, PeerObjects: 50, PeerBytes: 1500}, clock.now, nil)
	signers := map[string]protocol.DID{}
	for _, s := range []string{"s1", "s2", "s3", "s4"} {
		signers[s] = randomDID(t)
	}
	steps := []struct {
		at           time.Duration // since the epoch
		peer, signer string
		size         int
		want         swarm.Verdict
	}{
		{0, "p1", "s1", 400, swarm.WithinBudget},
		{0, "p1", "s1", 400, swarm.WithinBudget},
		{0, "p1", "s1", 400, swarm.OverSignerBudget},                // s1: 200 bytes left; p1 is charged all the same
		{0, "p1", "s2", 200, swarm.WithinBudget},                    // p1: 1400 bytes taken
		{0, "p1", "s3", 200, swarm.OverPeerBudget},                  // p1: 100 bytes left
		{0, "p2", "s3", 200, swarm.WithinBudget},                    // another peer passes s3's object on
		{30 * time.Minute, "p1", "s1", 400, swarm.WithinBudget},     // half refilled: s1 700 bytes, p1 850
		{30 * time.Minute, "p1", "s1", 400, swarm.OverSignerBudget}, // s1: 300 bytes left
		{3 * time.Hour, "p1", "s1", 1000, swarm.WithinBudget},       // full again, and no fuller
		{3 * time.Hour, "p1", "s1", 1, swarm.OverSignerBudget},
		{3 * time.Hour, "p3", "s4", 1, swarm.WithinBudget}, // objects run out before bytes
		{3 * time.Hour, "p3", "s4", 1, swarm.WithinBudget},
		{3 * time.Hour, "p3", "s4", 1, swarm.WithinBudget},
		{3 * time.Hour, "p3", "s4", 1, swarm.OverSignerBudget},
		{2 * time.Hour, "p3", "s4", 1, swarm.OverSignerBudget}, // a clock that steps back refills nothing
		{3*time.Hour + 20*time.Minute, "p3", "s4", 1, swarm.WithinBudget},
		{3*time.Hour + 20*time.Minute, "p3", "s4", 1, swarm.OverSignerBudget},
		{3*time.Hour + 20*time.Minute, "p3", "s1", 1600, swarm.OverPeerBudget}, // larger than any bucket: never
	}
	for i, s := range steps {
		clock.t = budgetEpoch.Add(s.at)
		if got := b.Admit(peer.ID(s.peer), signers[s.signer], s.size); got != s.want {
			t.Fatalf("step %d (%+v): %s, want %s", i, s, got, s.want)
		}
	}
}

// TestBudgetStrangersTogether: keys and peer identities cost nothing, so
// a flood from a fresh signer through a fresh peer for every object stays
// within every per-signer and per-peer budget; the budget of all strangers
// together bounds it, and refills like the others.
func TestBudgetStrangersTogether(t *testing.T) {
	clock := &fakeClock{budgetEpoch}
	b := newBudget(repo.Storage{SignerObjects: 2, PeerObjects: 2, StrangerObjects: 5, StrangerBytes: 1 << 20}, clock.now, nil)
	admitted := func(n int) int {
		got := 0
		for i := range n {
			if v := b.Admit(peer.ID(fmt.Sprint("sybil peer ", clock.t, i)), randomDID(t), 100); v == swarm.WithinBudget {
				got++
			} else if v != swarm.OverStrangerBudget {
				t.Fatalf("object %d: %s, want within budget or over the strangers' budget", i, v)
			}
		}
		return got
	}
	if got := admitted(50); got != 5 {
		t.Errorf("50 objects from 50 fresh signers through 50 fresh peers: %d stored, want 5", got)
	}
	clock.t = clock.t.Add(repo.BudgetPeriod / 5)
	if got := admitted(50); got != 1 {
		t.Errorf("a fifth of the period later: %d stored, want 1", got)
	}
}

// TestBudgetDefaults: a zero Storage takes the documented defaults, and
// one signer can make a node store no more than them in an hour.
func TestBudgetDefaults(t *testing.T) {
	clock := &fakeClock{budgetEpoch}
	b := newBudget(repo.Storage{}, clock.now, nil)
	if b.Limits().SignerObjects != 1000 || b.Limits().SignerBytes != 64<<20 || b.Limits().PeerObjects != 4000 ||
		b.Limits().PeerBytes != 256<<20 || b.Limits().StrangerObjects != 8000 || b.Limits().StrangerBytes != 512<<20 ||
		b.Limits().MinFree != 0.10 || b.Limits().MaxBytes != 0 {
		t.Fatalf("defaults: %+v", b.Limits())
	}
	signer := randomDID(t)
	stored := 0
	for i := range 100 {
		if b.Admit(peer.ID(fmt.Sprint("p", i%8)), signer, protocol.MaxEnvelopeSize) == swarm.WithinBudget {
			stored++
		}
	}
	if stored != 16 {
		t.Errorf("one signer's envelopes of the largest size stored in an hour: %d, want 16 (64 MiB)", stored)
	}
}

// signedDataset returns a dataset of files synthetic files published by k
// and its envelope's encoding.
func signedDataset(t testing.TB, k *protocol.Key, name string, files int) (*protocol.Object, []byte) {
	t.Helper()
	fs := make([]protocol.File, files)
	for i := range fs {
		fs[i] = protocol.File{Name: fmt.Sprintf("part-%05d.bin", i), Digest: protocol.SumDigest(fmt.Appendf(nil, "%s %d", name, i)), Size: 1 << 20}
	}
	env, err := protocol.NewEnvelope(protocol.KindDataset, protocol.FileSubjects(fs), protocol.Dataset{
		Name: name, License: "CC-BY-4.0", Publisher: k.DID(), Created: budgetEpoch,
	})
	if err != nil {
		t.Fatal(err)
	}
	k.Sign(env)
	raw := env.Encode()
	o, err := protocol.VerifyObject(raw)
	if err != nil {
		t.Fatal(err)
	}
	return o, raw
}

// TestAdmitUnasked: what the node does with an object offered unasked.
// Each signer's budget is one object a day; a current steward, a key of the
// keystore and a trusted key are exempt, past the watermark too; a revoked
// steward is not; the node's own messages and objects already held cost
// nothing.
func TestAdmitUnasked(t *testing.T) {
	steward, revoked, trusted, stranger := mustKey(t), mustKey(t), mustKey(t), mustKey(t)
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := repo.Init(dir, repo.InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.JoinNetwork(testGenesis(t, "budgets", r.NodeKey.DID(), steward.DID(), revoked.DID())); err != nil {
		t.Fatal(err)
	}
	lab, err := r.Keys.New("lab")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := New(r, st, nil)
	if _, err := n.GovPropose(t.Context(), api.GovProposeRequest{Action: "revoke-key", DID: revoked.DID().String(),
		Effective: time.Now().UTC().Format(time.RFC3339), Reason: "leaked"}); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{time.Now()}
	disk := swarm.DiskState{Free: 50, Total: 100}
	b := swarm.NewBudget(swarm.BudgetOptions{
		Budgets: budgetsOf(repo.Storage{SignerObjects: 1, PeerObjects: 100, Trusted: []protocol.DID{trusted.DID()}}), Now: clock.now,
		Probe: func() (swarm.DiskState, error) { return disk, nil },
		Self:  r.PeerID, Held: st.Has, Exempt: n.exemptFromBudget,
	})
	const from = peer.ID("a peer")

	offer := func(k *protocol.Key, name string) error {
		o, raw := signedDataset(t, k, name, 2)
		return b.AdmitUnasked(from, o, len(raw))
	}
	for _, c := range []struct {
		who    string
		k      *protocol.Key
		exempt bool
	}{
		{"a steward", steward, true},
		{"the keystore's lab key", lab, true},
		{"the node key", r.NodeKey, true},
		{"a trusted key", trusted, true},
		{"a stranger", stranger, false},
		{"a revoked steward", revoked, false},
	} {
		if err := offer(c.k, c.who+" 1"); err != nil {
			t.Errorf("%s, first object: %v", c.who, err)
		}
		err := offer(c.k, c.who+" 2")
		switch {
		case c.exempt && err != nil:
			t.Errorf("%s, second object: %v; want it exempt", c.who, err)
		case !c.exempt && (!protocol.IsKind(err, protocol.Transient) || !strings.Contains(err.Error(), "over the signer's budget")):
			t.Errorf("%s, second object: %v; want transient, over the signer's budget", c.who, err)
		}
	}

	// What the store holds costs nothing; the node's own messages neither.
	held, raw := signedDataset(t, stranger, "held", 2)
	if _, err := st.Put(held); err != nil {
		t.Fatal(err)
	}
	if err := b.AdmitUnasked(from, held, len(raw)); err != nil {
		t.Errorf("an object already held: %v", err)
	}
	own, raw := signedDataset(t, stranger, "relayed by this node", 2)
	if err := b.AdmitUnasked(r.PeerID, own, len(raw)); err != nil {
		t.Errorf("the node's own message: %v", err)
	}

	// Past the watermark: strangers' objects are refused even with budget
	// left, the exempt ones still stored.
	disk.Free = 1
	clock.advance(2 * repo.BudgetPeriod)
	if err := offer(stranger, "past the watermark"); !protocol.IsKind(err, protocol.Transient) || !strings.Contains(err.Error(), "watermark") {
		t.Errorf("a stranger past the watermark: %v", err)
	}
	for _, k := range []*protocol.Key{steward, lab, trusted} {
		if err := offer(k, "past the watermark"); err != nil {
			t.Errorf("%s past the watermark: %v", k.DID(), err)
		}
	}
}
