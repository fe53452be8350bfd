package node

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// Storage budgets (SPEC.md §7.4): what peers make a node store unasked is
// bounded per signer and per forwarding peer by token buckets that refill
// over BudgetPeriod, and strangers' objects are not stored at all past the
// disk watermark. The budget itself is pure — the clock and the disk's
// state come in as functions — and the node's part is admitUnasked.

// verdict is what the budget says of an object offered unasked.
type verdict uint8

const (
	withinBudget       verdict = iota // store it
	pastWatermark                     // the disk is past its watermark: no stranger's object is stored
	overPeerBudget                    // the forwarding peer has passed on its budget: penalise it
	overSignerBudget                  // the issuer has used its budget; the peer may be an honest relay
	overStrangerBudget                // all strangers together have used theirs
)

var verdictNames = [...]struct{ text, label string }{
	withinBudget:       {"within budget", ""},
	pastWatermark:      {"past the disk watermark", "watermark"},
	overPeerBudget:     {"over the peer's budget", "peer budget"},
	overSignerBudget:   {"over the signer's budget", "signer budget"},
	overStrangerBudget: {"over the budget of all strangers together", "stranger budget"},
}

func (v verdict) String() string { return verdictNames[v].text }

// label is v's value of the reason label of commons_gossip_not_stored_total.
func (v verdict) label() string { return verdictNames[v].label }

// budgetTableSize bounds the buckets a table remembers. A forgotten bucket
// is full again, which costs nothing for signers (keys are free to make, so
// a fresh key has a fresh budget anyway) and little for peers (connections
// are bounded well below it).
const budgetTableSize = 1 << 16

// diskCheckInterval is how long a reading of the disk stands. Between two
// readings the budgets bound what can arrive.
const diskCheckInterval = 10 * time.Second

// diskState is a reading of the repo's disk.
type diskState struct {
	Free  uint64 // bytes of the filesystem free to the daemon; 0 with Total 0 when unknown
	Total uint64 // bytes of the filesystem; 0 when unknown
	Store int64  // bytes the store occupies on disk
}

// budget holds the storage budgets of a node. It is safe for concurrent
// use: GossipSub validates up to 32 messages at once.
type budget struct {
	limits  repo.Storage // with defaults
	trusted map[protocol.DID]bool
	now     func() time.Time
	probe   func() (diskState, error)

	mu        sync.Mutex
	signers   budgetTable
	peers     budgetTable
	strangers budgetTable // one bucket, under the key ""
	disk      diskState
	diskAt    time.Time // zero: never read
	diskErr   error
}

// newBudget returns the budgets limits describe, on the clock now, reading
// the disk with probe.
func newBudget(limits repo.Storage, now func() time.Time, probe func() (diskState, error)) *budget {
	limits = limits.WithDefaults()
	b := &budget{
		limits:    limits,
		trusted:   make(map[protocol.DID]bool, len(limits.Trusted)),
		now:       now,
		probe:     probe,
		signers:   newBudgetTable(allowance{float64(limits.SignerObjects), float64(limits.SignerBytes)}),
		peers:     newBudgetTable(allowance{float64(limits.PeerObjects), float64(limits.PeerBytes)}),
		strangers: newBudgetTable(allowance{float64(limits.StrangerObjects), float64(limits.StrangerBytes)}),
	}
	for _, d := range limits.Trusted {
		b.trusted[d] = true
	}
	return b
}

// admit decides on a new object of size envelope bytes, issued by signer
// (not a steward nor a trusted key), that peer p passed on. Past the
// watermark nothing is charged. Otherwise the peer's bucket is charged
// first — it answers for everything new it sends, stored or not — then the
// signer's, then that of all strangers together; an object is within
// budget when all three had room.
func (b *budget) admit(p peer.ID, signer protocol.DID, size int) verdict {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pastWatermarkLocked(now) {
		return pastWatermark
	}
	cost := allowance{1, float64(size)}
	if !b.peers.take(string(p), cost, now) {
		return overPeerBudget
	}
	if !b.signers.take(signer.String(), cost, now) {
		return overSignerBudget
	}
	if !b.strangers.take("", cost, now) {
		return overStrangerBudget
	}
	return withinBudget
}

// isTrusted reports whether d is one of the configured trusted keys.
func (b *budget) isTrusted(d protocol.DID) bool { return b.trusted[d] }

// pastWatermark reports whether the disk is past the watermark, reading it
// again when the last reading is older than diskCheckInterval.
func (b *budget) pastWatermark() bool {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pastWatermarkLocked(now)
}

// diskNow returns the last reading of the disk, refreshed as pastWatermark
// does, and the error of that reading.
func (b *budget) diskNow() (diskState, error) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.readDisk(now)
	return b.disk, b.diskErr
}

// pastWatermarkLocked: the caller holds b.mu. A disk that cannot be read
// is taken as below the watermark: the budgets still bound what comes.
func (b *budget) pastWatermarkLocked(now time.Time) bool {
	b.readDisk(now)
	d := b.disk
	if d.Total > 0 && float64(d.Free) < b.limits.MinFree*float64(d.Total) {
		return true
	}
	return b.limits.MaxBytes > 0 && d.Store >= b.limits.MaxBytes
}

func (b *budget) readDisk(now time.Time) {
	if b.probe == nil {
		return
	}
	if age := now.Sub(b.diskAt); !b.diskAt.IsZero() && age >= 0 && age < diskCheckInterval {
		return
	}
	d, err := b.probe()
	b.diskAt, b.diskErr = now, err
	if err == nil {
		b.disk = d
	}
}

// allowance is an amount of objects and of bytes.
type allowance struct{ objects, bytes float64 }

// bucket is a token bucket of objects and bytes: left as of at.
type bucket struct {
	left allowance
	at   time.Time
}

// budgetTable holds a bucket per key (a signer's DID, a peer's ID), each
// full at capacity and refilled at capacity per BudgetPeriod. A key it
// does not hold has a full bucket.
type budgetTable struct {
	capacity allowance
	buckets  map[string]*bucket
}

func newBudgetTable(capacity allowance) budgetTable {
	return budgetTable{capacity: capacity, buckets: make(map[string]*bucket)}
}

// take takes cost from key's bucket if it holds that much, and reports
// whether it did.
func (t *budgetTable) take(key string, cost allowance, now time.Time) bool {
	bk, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= budgetTableSize {
			t.makeRoom(now)
		}
		bk = &bucket{left: t.capacity, at: now}
		t.buckets[key] = bk
	}
	t.refill(bk, now)
	if bk.left.objects < cost.objects || bk.left.bytes < cost.bytes {
		return false
	}
	bk.left.objects -= cost.objects
	bk.left.bytes -= cost.bytes
	return true
}

// left returns what key's bucket holds now.
func (t *budgetTable) left(key string, now time.Time) allowance {
	bk, ok := t.buckets[key]
	if !ok {
		return t.capacity
	}
	t.refill(bk, now)
	return bk.left
}

func (t *budgetTable) refill(bk *bucket, now time.Time) {
	dt := now.Sub(bk.at)
	if dt <= 0 {
		return // a clock that steps back refills nothing
	}
	f := float64(dt) / float64(repo.BudgetPeriod)
	bk.left.objects = min(t.capacity.objects, bk.left.objects+f*t.capacity.objects)
	bk.left.bytes = min(t.capacity.bytes, bk.left.bytes+f*t.capacity.bytes)
	bk.at = now
}

// makeRoom forgets the buckets that are full again and, if none is, the
// fullest one.
func (t *budgetTable) makeRoom(now time.Time) {
	var fullest string
	most := -1.0
	for k, bk := range t.buckets {
		t.refill(bk, now)
		if bk.left == t.capacity {
			delete(t.buckets, k)
			continue
		}
		if share := bk.left.objects/t.capacity.objects + bk.left.bytes/t.capacity.bytes; share > most {
			fullest, most = k, share
		}
	}
	if len(t.buckets) >= budgetTableSize {
		delete(t.buckets, fullest)
	}
}

// admitUnasked decides whether o, size bytes on the wire, that peer from
// passed on unasked (the announce topic), may be stored (SPEC.md §7.4,
// "Storage budgets"). It refuses, with an error of kind Transient — the
// message is ignored, neither delivered nor forwarded, and the peer is not
// held to have sent anything invalid — an object over a budget or, from a
// stranger, past the disk watermark; a peer over its own budget is
// penalised, lightly. Objects the store holds already cost nothing, nor do
// the node's own, those signed by a current steward and those signed by a
// key this node trusts.
func (n *Node) admitUnasked(from peer.ID, o *protocol.Object, size int) error {
	b := n.budget
	if b == nil || from == n.repo.PeerID {
		return nil
	}
	if held, err := n.store.Has(o.ID); err == nil && held {
		return nil
	}
	if n.exemptFromBudget(o) {
		return nil
	}
	v := b.admit(from, o.Issuer(), size)
	if v == withinBudget {
		return nil
	}
	n.metrics.notStored.WithLabelValues(v.label()).Inc()
	if nt := n.net; v == overPeerBudget && nt != nil {
		nt.scores.Penalise(from, p2p.ReasonOverBudget)
	}
	return protocol.E("announce", protocol.Transient, "%s %s by %s from %s not stored: %s", o.Kind, o.ID, o.Issuer(), from, v)
}

// exemptFromBudget reports whether o carries the signature of a current
// steward whose key governance has not revoked, of a key in this node's
// keystore, or of a key the config trusts.
func (n *Node) exemptFromBudget(o *protocol.Object) bool {
	gs := n.govState()
	for _, d := range o.Envelope.Signers() {
		if n.budget.isTrusted(d) || n.repo.Keys.Has(d) {
			return true
		}
		if gs != nil && gs.IsSteward(d) {
			if _, revoked := gs.KeyRevokedAt(d); !revoked {
				return true
			}
		}
	}
	return false
}
