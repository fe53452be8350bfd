package swarm

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
)

// Storage budgets (SPEC.md §7.4): what peers make a node store unasked is
// bounded per signer and per forwarding peer by token buckets that refill
// over BudgetPeriod, and strangers' objects are not stored at all past the
// disk watermark. The budget itself is pure — the clock and the disk's
// state come in as functions — and what decides on an object offered
// unasked is AdmitUnasked.

// Budgets are the storage budgets, every field set: a budget is what a
// bucket holds when full, and what it regains in Period. The node's config
// fills its defaults.
type Budgets struct {
	SignerObjects   int   // objects one signer (the issuer) may add per Period
	SignerBytes     int64 // envelope bytes, likewise
	PeerObjects     int   // new objects one peer may pass on per Period
	PeerBytes       int64 // envelope bytes, likewise
	StrangerObjects int   // objects all signers and peers together may add per Period
	StrangerBytes   int64 // envelope bytes, likewise
	// MinFree is the disk watermark: below this fraction of the repo's
	// filesystem free, strangers' objects are not stored at all.
	MinFree float64
	// MaxBytes, when not 0, is a second watermark: the size of the store
	// on disk past which strangers' objects are not stored.
	MaxBytes int64
	// Trusted are identities whose objects are stored as the stewards'
	// are: without budget, past the watermark.
	Trusted []protocol.DID
	// Period is the time an emptied budget takes to refill.
	Period time.Duration
}

// Verdict is what the budget says of an object offered unasked.
type Verdict uint8

const (
	WithinBudget       Verdict = iota // store it
	PastWatermark                     // the disk is past its watermark: no stranger's object is stored
	OverPeerBudget                    // the forwarding peer has passed on its budget: penalise it
	OverSignerBudget                  // the issuer has used its budget; the peer may be an honest relay
	OverStrangerBudget                // all strangers together have used theirs
)

var verdictNames = [...]struct{ text, label string }{
	WithinBudget:       {"within budget", ""},
	PastWatermark:      {"past the disk watermark", "watermark"},
	OverPeerBudget:     {"over the peer's budget", "peer budget"},
	OverSignerBudget:   {"over the signer's budget", "signer budget"},
	OverStrangerBudget: {"over the budget of all strangers together", "stranger budget"},
}

func (v Verdict) String() string { return verdictNames[v].text }

// Label is v's value of the reason label of commons_gossip_not_stored_total.
func (v Verdict) Label() string { return verdictNames[v].label }

// budgetTableSize bounds the buckets a table remembers. A forgotten bucket
// is full again, which costs nothing for signers (keys are free to make, so
// a fresh key has a fresh budget anyway) and little for peers (connections
// are bounded well below it).
const budgetTableSize = 1 << 16

// diskCheckInterval is how long a reading of the disk stands. Between two
// readings the budgets bound what can arrive.
const diskCheckInterval = 10 * time.Second

// DiskState is a reading of the repo's disk.
type DiskState struct {
	Free  uint64 // bytes of the filesystem free to the daemon; 0 with Total 0 when unknown
	Total uint64 // bytes of the filesystem; 0 when unknown
	Store int64  // bytes the store occupies on disk
}

// BudgetOptions make a Budget: the budgets, the clock, the disk, and what
// AdmitUnasked needs to know of the node.
type BudgetOptions struct {
	Budgets
	Now   func() time.Time
	Probe func() (DiskState, error) // nil: the disk is not read
	// Self is this node: its own messages cost nothing.
	Self peer.ID
	// Held reports whether the store holds an object: what it holds
	// costs nothing.
	Held func(protocol.ID) (bool, error)
	// Exempt reports whether objects signed by d are stored without
	// budget (Config.Exempt); nil: none but Trusted.
	Exempt func(d protocol.DID) bool
	// NotStored counts refusals by reason; nil: not counted.
	NotStored *prometheus.CounterVec
	// Penalise lowers the score of a peer over its budget; nil: none.
	Penalise func(p peer.ID, reason string)
}

// Budget holds the storage budgets of a node. It is safe for concurrent
// use: GossipSub validates up to 32 messages at once.
type Budget struct {
	limits  Budgets
	trusted map[protocol.DID]bool
	opts    BudgetOptions
	now     func() time.Time
	probe   func() (DiskState, error)

	mu        sync.Mutex
	signers   budgetTable
	peers     budgetTable
	strangers budgetTable // one bucket, under the key ""
	disk      DiskState
	diskAt    time.Time // zero: never read
	diskErr   error
}

// NewBudget returns the budgets o describes, on the clock o.Now, reading
// the disk with o.Probe.
func NewBudget(o BudgetOptions) *Budget {
	limits := o.Budgets
	b := &Budget{
		limits:    limits,
		trusted:   make(map[protocol.DID]bool, len(limits.Trusted)),
		opts:      o,
		now:       o.Now,
		probe:     o.Probe,
		signers:   newBudgetTable(allowance{float64(limits.SignerObjects), float64(limits.SignerBytes)}, limits.Period),
		peers:     newBudgetTable(allowance{float64(limits.PeerObjects), float64(limits.PeerBytes)}, limits.Period),
		strangers: newBudgetTable(allowance{float64(limits.StrangerObjects), float64(limits.StrangerBytes)}, limits.Period),
	}
	for _, d := range limits.Trusted {
		b.trusted[d] = true
	}
	return b
}

// Admit decides on a new object of size envelope bytes, issued by signer
// (not a steward nor a trusted key), that peer p passed on. Past the
// watermark nothing is charged. Otherwise the peer's bucket is charged
// first — it answers for everything new it sends, stored or not — then the
// signer's, then that of all strangers together; an object is within
// budget when all three had room.
func (b *Budget) Admit(p peer.ID, signer protocol.DID, size int) Verdict {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pastWatermarkLocked(now) {
		return PastWatermark
	}
	cost := allowance{1, float64(size)}
	if !b.peers.take(string(p), cost, now) {
		return OverPeerBudget
	}
	if !b.signers.take(signer.String(), cost, now) {
		return OverSignerBudget
	}
	if !b.strangers.take("", cost, now) {
		return OverStrangerBudget
	}
	return WithinBudget
}

// isTrusted reports whether d is one of the configured trusted keys.
func (b *Budget) isTrusted(d protocol.DID) bool { return b.trusted[d] }

// PastWatermark reports whether the disk is past the watermark, reading it
// again when the last reading is older than diskCheckInterval.
func (b *Budget) PastWatermark() bool {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pastWatermarkLocked(now)
}

// BelowMinFree reports whether the repo's filesystem has less than the
// MinFree fraction free, read as PastWatermark reads it: the watermark
// under which the DHT takes no new provider record either (p2p.Datastore).
// A disk that cannot be read is not taken as full here: the records'
// own bounds still hold.
func (b *Budget) BelowMinFree() bool {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.readDisk(now)
	d := b.disk
	return d.Total > 0 && float64(d.Free) < b.limits.MinFree*float64(d.Total)
}

// DiskNow returns the last reading of the disk, refreshed as PastWatermark
// does, and the error of that reading.
func (b *Budget) DiskNow() (DiskState, error) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.readDisk(now)
	return b.disk, b.diskErr
}

// pastWatermarkLocked: the caller holds b.mu. A disk that cannot be read
// is taken as below the watermark: the budgets still bound what comes.
func (b *Budget) pastWatermarkLocked(now time.Time) bool {
	b.readDisk(now)
	d := b.disk
	if d.Total > 0 && float64(d.Free) < b.limits.MinFree*float64(d.Total) {
		return true
	}
	return b.limits.MaxBytes > 0 && d.Store >= b.limits.MaxBytes
}

func (b *Budget) readDisk(now time.Time) {
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
// full at capacity and refilled at capacity per period. A key it does not
// hold has a full bucket.
type budgetTable struct {
	capacity allowance
	period   time.Duration
	buckets  map[string]*bucket
}

func newBudgetTable(capacity allowance, period time.Duration) budgetTable {
	return budgetTable{capacity: capacity, period: period, buckets: make(map[string]*bucket)}
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
	f := float64(dt) / float64(t.period)
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

// AdmitUnasked decides whether o, size bytes on the wire, that peer from
// passed on unasked (the announce topic), may be stored (SPEC.md §7.4,
// "Storage budgets"). It refuses, with an error of kind Transient — the
// message is ignored, neither delivered nor forwarded, and the peer is not
// held to have sent anything invalid — an object over a budget or, from a
// stranger, past the disk watermark; a peer over its own budget is
// penalised, lightly. Objects the store holds already cost nothing, nor do
// the node's own, those signed by a current steward and those signed by a
// key this node trusts.
func (b *Budget) AdmitUnasked(from peer.ID, o *protocol.Object, size int) error {
	if b == nil || from == b.opts.Self {
		return nil
	}
	if b.opts.Held != nil {
		if held, err := b.opts.Held(o.ID); err == nil && held {
			return nil
		}
	}
	if b.exempt(o) {
		return nil
	}
	v := b.Admit(from, o.Issuer(), size)
	if v == WithinBudget {
		return nil
	}
	if b.opts.NotStored != nil {
		b.opts.NotStored.WithLabelValues(v.Label()).Inc()
	}
	if v == OverPeerBudget && b.opts.Penalise != nil {
		b.opts.Penalise(from, p2p.ReasonOverBudget)
	}
	return protocol.E("announce", protocol.Transient, "%s %s by %s from %s not stored: %s", o.Kind, o.ID, o.Issuer(), from, v)
}

// exempt reports whether o carries the signature of a key this node trusts
// or that Exempt exempts (a current steward's, one of its keystore).
func (b *Budget) exempt(o *protocol.Object) bool {
	for _, d := range o.Envelope.Signers() {
		if b.isTrusted(d) || b.opts.Exempt != nil && b.opts.Exempt(d) {
			return true
		}
	}
	return false
}

// Limits returns the budgets b enforces.
func (b *Budget) Limits() Budgets { return b.limits }
