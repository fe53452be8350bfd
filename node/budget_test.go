package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var budgetEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestBudgetBuckets: the signer's and the peer's buckets, charged and
// refilled on an injected clock. Signers s1…s4 hold 3 objects and 1000
// bytes; peers p1…p3 hold 50 objects and 1500 bytes; both refill in an hour.
func TestBudgetBuckets(t *testing.T) {
	clock := &fakeClock{budgetEpoch}
	b := newBudget(Storage{SignerObjects: 3, SignerBytes: 1000, PeerObjects: 50, PeerBytes: 1500}, clock.now, nil)
	signers := map[string]protocol.DID{}
	for _, s := range []string{"s1", "s2", "s3", "s4"} {
		signers[s] = randomDID(t)
	}
	steps := []struct {
		at           time.Duration // since the epoch
		peer, signer string
		size         int
		want         verdict
	}{
		{0, "p1", "s1", 400, withinBudget},
		{0, "p1", "s1", 400, withinBudget},
		{0, "p1", "s1", 400, overSignerBudget},                // s1: 200 bytes left; p1 is charged all the same
		{0, "p1", "s2", 200, withinBudget},                    // p1: 1400 bytes taken
		{0, "p1", "s3", 200, overPeerBudget},                  // p1: 100 bytes left
		{0, "p2", "s3", 200, withinBudget},                    // another peer passes s3's object on
		{30 * time.Minute, "p1", "s1", 400, withinBudget},     // half refilled: s1 700 bytes, p1 850
		{30 * time.Minute, "p1", "s1", 400, overSignerBudget}, // s1: 300 bytes left
		{3 * time.Hour, "p1", "s1", 1000, withinBudget},       // full again, and no fuller
		{3 * time.Hour, "p1", "s1", 1, overSignerBudget},
		{3 * time.Hour, "p3", "s4", 1, withinBudget}, // objects run out before bytes
		{3 * time.Hour, "p3", "s4", 1, withinBudget},
		{3 * time.Hour, "p3", "s4", 1, withinBudget},
		{3 * time.Hour, "p3", "s4", 1, overSignerBudget},
		{2 * time.Hour, "p3", "s4", 1, overSignerBudget}, // a clock that steps back refills nothing
		{3*time.Hour + 20*time.Minute, "p3", "s4", 1, withinBudget},
		{3*time.Hour + 20*time.Minute, "p3", "s4", 1, overSignerBudget},
		{3*time.Hour + 20*time.Minute, "p3", "s1", 1600, overPeerBudget}, // larger than any bucket: never
	}
	for i, s := range steps {
		clock.t = budgetEpoch.Add(s.at)
		if got := b.admit(peer.ID(s.peer), signers[s.signer], s.size); got != s.want {
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
	b := newBudget(Storage{SignerObjects: 2, PeerObjects: 2, StrangerObjects: 5, StrangerBytes: 1 << 20}, clock.now, nil)
	admitted := func(n int) int {
		got := 0
		for i := range n {
			if v := b.admit(peer.ID(fmt.Sprint("sybil peer ", clock.t, i)), randomDID(t), 100); v == withinBudget {
				got++
			} else if v != overStrangerBudget {
				t.Fatalf("object %d: %s, want within budget or over the strangers' budget", i, v)
			}
		}
		return got
	}
	if got := admitted(50); got != 5 {
		t.Errorf("50 objects from 50 fresh signers through 50 fresh peers: %d stored, want 5", got)
	}
	clock.t = clock.t.Add(BudgetPeriod / 5)
	if got := admitted(50); got != 1 {
		t.Errorf("a fifth of the period later: %d stored, want 1", got)
	}
}

// TestBudgetDefaults: a zero Storage takes the documented defaults, and
// one signer can make a node store no more than them in an hour.
func TestBudgetDefaults(t *testing.T) {
	clock := &fakeClock{budgetEpoch}
	b := newBudget(Storage{}, clock.now, nil)
	if b.limits.SignerObjects != 1000 || b.limits.SignerBytes != 64<<20 || b.limits.PeerObjects != 4000 ||
		b.limits.PeerBytes != 256<<20 || b.limits.StrangerObjects != 8000 || b.limits.StrangerBytes != 512<<20 ||
		b.limits.MinFree != 0.10 || b.limits.MaxBytes != 0 {
		t.Fatalf("defaults: %+v", b.limits)
	}
	signer := randomDID(t)
	stored := 0
	for i := range 100 {
		if b.admit(peer.ID(fmt.Sprint("p", i%8)), signer, protocol.MaxEnvelopeSize) == withinBudget {
			stored++
		}
	}
	if stored != 16 {
		t.Errorf("one signer's envelopes of the largest size stored in an hour: %d, want 16 (64 MiB)", stored)
	}
}

// TestBudgetWatermark: past the watermark — a fraction of the filesystem
// free, or the store's size — no stranger's object is admitted and no
// bucket is charged; a disk that cannot be read leaves the budgets alone
// in charge; a reading stands for diskCheckInterval.
func TestBudgetWatermark(t *testing.T) {
	cases := []struct {
		name string
		lim  Storage
		disk diskState
		err  error
		want bool
	}{
		{"plenty free", Storage{}, diskState{Free: 50, Total: 100}, nil, false},
		{"below the default tenth", Storage{}, diskState{Free: 9, Total: 100}, nil, true},
		{"at the configured fraction", Storage{MinFree: 0.5}, diskState{Free: 50, Total: 100}, nil, false},
		{"below the configured fraction", Storage{MinFree: 0.5}, diskState{Free: 49, Total: 100}, nil, true},
		{"filesystem unknown", Storage{}, diskState{Store: 1 << 40}, nil, false},
		{"store at its maximum", Storage{MaxBytes: 1000}, diskState{Free: 90, Total: 100, Store: 1000}, nil, true},
		{"store under its maximum", Storage{MaxBytes: 1000}, diskState{Free: 90, Total: 100, Store: 999}, nil, false},
		{"unreadable disk", Storage{MaxBytes: 1}, diskState{}, errors.New("statfs: no such file"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{budgetEpoch}
			lim := c.lim
			lim.SignerObjects = 1
			b := newBudget(lim, clock.now, func() (diskState, error) { return c.disk, c.err })
			if got := b.pastWatermark(); got != c.want {
				t.Fatalf("past the watermark: %v, want %v", got, c.want)
			}
			signer := randomDID(t)
			want := withinBudget
			if c.want {
				want = pastWatermark
			}
			if got := b.admit("p", signer, 10); got != want {
				t.Fatalf("admit: %s, want %s", got, want)
			}
			if got := b.signers.left(signer.String(), clock.now()); c.want && got.objects != 1 {
				t.Errorf("past the watermark the signer was charged: %+v left", got)
			}
		})
	}

	t.Run("a reading stands ten seconds", func(t *testing.T) {
		clock := &fakeClock{budgetEpoch}
		disk, reads := diskState{Free: 50, Total: 100}, 0
		b := newBudget(Storage{}, clock.now, func() (diskState, error) { reads++; return disk, nil })
		if b.pastWatermark() {
			t.Fatal("past the watermark with half the disk free")
		}
		disk.Free = 1
		clock.advance(diskCheckInterval - time.Second)
		if b.pastWatermark() || reads != 1 {
			t.Fatalf("read %d times within the interval", reads)
		}
		clock.advance(time.Second)
		if !b.pastWatermark() || reads != 2 {
			t.Fatalf("not read again after the interval (%d reads)", reads)
		}
		if d, err := b.diskNow(); err != nil || d.Free != 1 || reads != 2 {
			t.Fatalf("diskNow: %+v, %v, %d reads", d, err, reads)
		}
	})
}

// TestBudgetTableBounded: a table never holds more than budgetTableSize
// buckets, forgetting the full ones first.
func TestBudgetTableBounded(t *testing.T) {
	tab := newBudgetTable(allowance{2, 100})
	now := budgetEpoch
	for i := range budgetTableSize {
		tab.take(fmt.Sprint("k", i), allowance{1, 1}, now)
	}
	tab.take("drained", allowance{2, 100}, now) // replaces the fullest
	if len(tab.buckets) != budgetTableSize {
		t.Fatalf("%d buckets, want %d", len(tab.buckets), budgetTableSize)
	}
	if left := tab.left("drained", now); left.objects != 0 {
		t.Fatalf("the new bucket: %+v", left)
	}
	now = now.Add(BudgetPeriod)
	tab.take("later", allowance{1, 1}, now) // every bucket is full again: all forgotten
	if len(tab.buckets) != 1 {
		t.Errorf("%d buckets after an hour, want 1", len(tab.buckets))
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
	repo, err := Init(dir, InitOptions{APIAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.JoinNetwork(testGenesis(t, "budgets", repo.NodeKey.DID(), steward.DID(), revoked.DID())); err != nil {
		t.Fatal(err)
	}
	lab, err := repo.Keys.New("lab")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := New(repo, st, nil)
	if _, err := n.GovPropose(t.Context(), api.GovProposeRequest{Action: "revoke-key", DID: revoked.DID().String(),
		Effective: time.Now().UTC().Format(time.RFC3339), Reason: "leaked"}); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{time.Now()}
	disk := diskState{Free: 50, Total: 100}
	n.budget = newBudget(Storage{SignerObjects: 1, PeerObjects: 100, Trusted: []protocol.DID{trusted.DID()}}, clock.now,
		func() (diskState, error) { return disk, nil })
	const from = peer.ID("a peer")

	offer := func(k *protocol.Key, name string) error {
		o, raw := signedDataset(t, k, name, 2)
		return n.admitUnasked(from, o, len(raw))
	}
	for _, c := range []struct {
		who    string
		k      *protocol.Key
		exempt bool
	}{
		{"a steward", steward, true},
		{"the keystore's lab key", lab, true},
		{"the node key", repo.NodeKey, true},
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
	if err := n.admitUnasked(from, held, len(raw)); err != nil {
		t.Errorf("an object already held: %v", err)
	}
	own, raw := signedDataset(t, stranger, "relayed by this node", 2)
	if err := n.admitUnasked(repo.PeerID, own, len(raw)); err != nil {
		t.Errorf("the node's own message: %v", err)
	}

	// Past the watermark: strangers' objects are refused even with budget
	// left, the exempt ones still stored.
	disk.Free = 1
	clock.advance(2 * BudgetPeriod)
	if err := offer(stranger, "past the watermark"); !protocol.IsKind(err, protocol.Transient) || !strings.Contains(err.Error(), "watermark") {
		t.Errorf("a stranger past the watermark: %v", err)
	}
	for _, k := range []*protocol.Key{steward, lab, trusted} {
		if err := offer(k, "past the watermark"); err != nil {
			t.Errorf("%s past the watermark: %v", k.DID(), err)
		}
	}
}

// TestConfigStorage: the storage section of config.json is optional, its
// fields are read as documented, and bad values are refused with what was
// wrong.
func TestConfigStorage(t *testing.T) {
	trusted := randomDID(t)
	cases := []struct {
		name, storage string
		want          Storage
		err           string
	}{
		{"absent", ``, Storage{}, ""},
		{"set", `, "storage": {"signer_objects": 10, "signer_bytes": 1048576, "peer_objects": 40, "peer_bytes": 4194304, "min_free": 0.25, "max_bytes": 1073741824, "trusted": ["` + trusted.String() + `"]}`,
			Storage{SignerObjects: 10, SignerBytes: 1 << 20, PeerObjects: 40, PeerBytes: 4 << 20, MinFree: 0.25, MaxBytes: 1 << 30, Trusted: []protocol.DID{trusted}}, ""},
		{"negative", `, "storage": {"peer_bytes": -1}`, Storage{}, "storage: negative value"},
		{"whole disk", `, "storage": {"min_free": 1}`, Storage{}, "min_free 1"},
		{"not a did", `, "storage": {"trusted": ["alice"]}`, Storage{}, "alice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			body := `{"api": "127.0.0.1:5780", "listen": ["/ip4/127.0.0.1/tcp/0"]` + c.storage + `}`
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := readConfig(path)
			if err == nil {
				err = cfg.validate()
			}
			if c.err != "" {
				if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want invalid mentioning %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Storage, c.want) {
				t.Fatalf("storage %+v, want %+v", cfg.Storage, c.want)
			}
			// A config without the section writes none back.
			if err := writeConfig(path, cfg); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if got := strings.Contains(string(b), `"storage"`); got != (c.storage != "") {
				t.Errorf("written config has a storage section: %v\n%s", got, b)
			}
		})
	}
}
