package p2p

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
)

// Datastore is a go-datastore over a Badger directory of its own: the
// persistent home of the DHT's provider records, those other nodes gave
// this one (DHTOptions.Datastore), so that a restarted node still answers
// for them until they expire. kad-dht decides what it writes and when a
// record expires (its provider manager keeps each record's time and
// deletes the expired ones as it reads them and every hour); the
// Datastore only keeps bytes under keys. Its own directory, not a prefix
// in the node's store, keeps the DHT's churn — every record rewritten at
// each re-announcement, deleted at expiry — out of the store's Badger, its
// size and its schema.
//
// Keys are the go-datastore keys' strings, stored as they are; Badger
// orders them byte-wise, which is the order of query.OrderByKey. A Query
// reads Badger a page at a time, each page in a read transaction of its
// own: a query sees every entry that exists from its start to its end,
// but is not a snapshot, and a query its caller never closes holds
// nothing open. Like go-datastore's own datastores, it ends no operation
// when the context ends: kad-dht's provider writes its queue with the
// context its Close has just cancelled, and must still find it written
// at the next start. A Datastore is safe for concurrent use.
type Datastore struct {
	db  *badger.DB
	lim DatastoreLimits

	// wmu serialises the writes, so that records and bytes, read and
	// updated with each, stay the Badger's own.
	wmu     sync.Mutex
	records atomic.Int64 // entries
	bytes   atomic.Int64 // their keys' and values' bytes

	mu     sync.RWMutex // read-held by every operation, write-held by Close
	closed bool
}

var (
	_ ds.Batching            = (*Datastore)(nil)
	_ ds.PersistentDatastore = (*Datastore)(nil)
)

// ErrDatastoreClosed is the error of an operation on a closed Datastore.
var ErrDatastoreClosed = errors.New("datastore closed")

// ErrDatastoreFull is the error of a Put of a new key that the Datastore's
// limits refuse.
var ErrDatastoreFull = errors.New("datastore full")

// DatastoreLimits bound what a Datastore holds, so that peers who send
// provider records without end cannot fill the disk it shares with the
// store. Past a limit a new key is refused — a Put returns
// ErrDatastoreFull, a batch leaves it out and writes the rest — while a
// key the Datastore holds is still rewritten (a provider's renewal) and
// deleted (its expiry). Zero fields set no limit.
type DatastoreLimits struct {
	// MaxRecords bounds the entries held.
	MaxRecords int64
	// MaxBytes bounds the bytes of their keys and values: what they
	// occupy before Badger's own overhead, which its compactions bound.
	MaxBytes int64
	// DiskFull reports whether the disk is below the watermark under
	// which nothing new is written; nil: never.
	DiskFull func() bool
	// Refused is told of every new key refused, with the limit that
	// refused it (RefusedRecords, RefusedBytes, RefusedDisk); nil: none.
	// It is called with no lock of the Datastore held.
	Refused func(reason string, n int)
	// Own, when not empty, is the namespace of what the node writes for
	// itself beside the records of peers (the sweeping announcer's
	// keystore and schedule): its entries are neither counted nor
	// refused, as the node's own store is not.
	Own ds.Key
}

// own reports whether key is under lim.Own.
func (lim DatastoreLimits) own(key []byte) bool {
	if lim.Own.String() == "/" || lim.Own.String() == "" {
		return false
	}
	p := lim.Own.String() + "/"
	return len(key) > len(p) && string(key[:len(p)]) == p
}

// The reasons DatastoreLimits.Refused is given.
const (
	RefusedRecords = "records"
	RefusedBytes   = "bytes"
	RefusedDisk    = "disk"
)

// queryPage is how many entries a query reads in one read transaction.
const queryPage = 256

// OpenDatastore opens, or creates, the Datastore in dir, held to lim
// (it counts the entries it holds as it opens), with the small
// memory footprint of a node's side store: 4 MiB memtables, no block
// cache, no compression (NOTES: a block cache of 0 needs options.None).
// The caller closes it, after the DHT and the host that use it.
func OpenDatastore(dir string, lim DatastoreLimits) (*Datastore, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(0).
		WithCompression(options.None).
		WithIndexCacheSize(0).
		WithValueLogFileSize(16 << 20).
		WithValueThreshold(64 << 10). // ≤ 15% of the memtable
		WithNumCompactors(2)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open datastore %s: %w", dir, err)
	}
	d := &Datastore{db: db, lim: lim}
	if err := d.count(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open datastore %s: %w", dir, err)
	}
	return d, nil
}

// count counts the entries and their bytes.
func (d *Datastore) count() error {
	return d.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		it := txn.NewIterator(io)
		defer it.Close()
		var n, b int64
		for it.Rewind(); it.Valid(); it.Next() {
			if d.lim.own(it.Item().Key()) {
				continue
			}
			size, err := valueSize(it.Item())
			if err != nil {
				return err
			}
			n++
			b += int64(len(it.Item().Key()) + size)
		}
		d.records.Store(n)
		d.bytes.Store(b)
		return nil
	})
}

// Records returns the number of entries the Datastore holds and the bytes
// of their keys and values, what DatastoreLimits bound.
func (d *Datastore) Records() (n, bytes int64) { return d.records.Load(), d.bytes.Load() }

// admit reports why a new entry of size bytes, added to n entries and b
// bytes, is refused; "" when it is not. The caller holds wmu.
func (d *Datastore) admit(n, b int64, size int, diskFull *int) string {
	switch {
	case d.lim.MaxRecords > 0 && n+1 > d.lim.MaxRecords:
		return RefusedRecords
	case d.lim.MaxBytes > 0 && b+int64(size) > d.lim.MaxBytes:
		return RefusedBytes
	}
	if d.lim.DiskFull != nil {
		// Read once per write: a batch is one decision.
		if *diskFull < 0 {
			*diskFull = 0
			if d.lim.DiskFull() {
				*diskFull = 1
			}
		}
		if *diskFull == 1 {
			return RefusedDisk
		}
	}
	return ""
}

// refused tells DatastoreLimits.Refused.
func (d *Datastore) refused(counts map[string]int) {
	if d.lim.Refused == nil {
		return
	}
	for _, r := range []string{RefusedRecords, RefusedBytes, RefusedDisk} {
		if counts[r] > 0 {
			d.lim.Refused(r, counts[r])
		}
	}
}

// sizes returns the size of the entry under each of keys, -1 for a key
// without one.
func (d *Datastore) sizes(keys [][]byte) ([]int, error) {
	out := make([]int, len(keys))
	err := d.db.View(func(txn *badger.Txn) error {
		for i, k := range keys {
			item, err := txn.Get(k)
			if errors.Is(err, badger.ErrKeyNotFound) {
				out[i] = -1
				continue
			}
			if err != nil {
				return err
			}
			n, err := valueSize(item)
			if err != nil {
				return err
			}
			out[i] = len(k) + n
		}
		return nil
	})
	return out, err
}

// read runs fn while the Datastore is open.
func (d *Datastore) read(fn func() error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrDatastoreClosed
	}
	return fn()
}

// Get returns the value under key, or ds.ErrNotFound.
func (d *Datastore) Get(_ context.Context, key ds.Key) (value []byte, err error) {
	err = d.read(func() error {
		return d.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(key.Bytes())
			if err != nil {
				return err
			}
			value, err = item.ValueCopy(nil)
			return err
		})
	})
	return value, dsError("get", key, err)
}

// Has reports whether a value is under key.
func (d *Datastore) Has(ctx context.Context, key ds.Key) (bool, error) {
	_, err := d.GetSize(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ds.ErrNotFound):
		return false, nil
	}
	return false, err
}

// GetSize returns the size of the value under key, or ds.ErrNotFound.
func (d *Datastore) GetSize(_ context.Context, key ds.Key) (size int, err error) {
	err = d.read(func() error {
		return d.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(key.Bytes())
			if err != nil {
				return err
			}
			size, err = valueSize(item)
			return err
		})
	})
	if err != nil {
		size = -1
	}
	return size, dsError("get size", key, err)
}

// Put stores value under key; a new key past the limits is refused with
// ErrDatastoreFull.
func (d *Datastore) Put(ctx context.Context, key ds.Key, value []byte) error {
	b, err := d.Batch(ctx)
	if err == nil {
		err = b.Put(ctx, key, value)
	}
	if err == nil {
		err = b.Commit(ctx)
	}
	if err == nil && len(b.(*dsBatch).refused) > 0 {
		err = fmt.Errorf("datastore put %s: %w: %s", key, ErrDatastoreFull, b.(*dsBatch).refused[0])
	}
	return err
}

// Delete removes the value under key; a key without one is no error.
func (d *Datastore) Delete(ctx context.Context, key ds.Key) error {
	b, err := d.Batch(ctx)
	if err == nil {
		err = b.Delete(ctx, key)
	}
	if err == nil {
		err = b.Commit(ctx)
	}
	return err
}

// Sync makes every write that returned before it durable, whatever the
// prefix: Badger syncs all or nothing.
func (d *Datastore) Sync(context.Context, ds.Key) error {
	return d.read(d.db.Sync)
}

// DiskUsage is the size of Badger's tables and value log.
func (d *Datastore) DiskUsage(context.Context) (uint64, error) {
	var n uint64
	err := d.read(func() error {
		lsm, vlog := d.db.Size()
		n = uint64(lsm + vlog)
		return nil
	})
	return n, err
}

// Close closes Badger, after the operations under way. Later operations
// return ErrDatastoreClosed; a second Close does nothing.
func (d *Datastore) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close datastore: %w", err)
	}
	return nil
}

// Batch returns a batch whose writes reach Badger together at Commit;
// the last write of a key in the batch is the one that counts.
func (d *Datastore) Batch(context.Context) (ds.Batch, error) {
	return &dsBatch{d: d, ops: make(map[ds.Key]batchOp)}, nil
}

type batchOp struct {
	delete bool
	value  []byte
}

type dsBatch struct {
	d       *Datastore
	ops     map[ds.Key]batchOp
	refused []string // why each new key of the last Commit was refused
}

func (b *dsBatch) Put(_ context.Context, key ds.Key, value []byte) error {
	b.ops[key] = batchOp{value: value}
	return nil
}

func (b *dsBatch) Delete(_ context.Context, key ds.Key) error {
	b.ops[key] = batchOp{delete: true}
	return nil
}

// Commit writes the batch in as few Badger transactions as its size
// allows (a WriteBatch splits one that is too large); it is not atomic
// beyond that, as go-datastore's Batching does not ask it to be. A new key
// past the limits is left out, the rest written: the DHT's provider
// manager writes the records of many providers in one batch, and one
// flood must not cost the others theirs.
func (b *dsBatch) Commit(context.Context) error {
	b.refused = b.refused[:0]
	counts := map[string]int{}
	err := b.d.read(func() error {
		b.d.wmu.Lock()
		defer b.d.wmu.Unlock()
		keys := make([]ds.Key, 0, len(b.ops))
		raw := make([][]byte, 0, len(b.ops))
		for k := range b.ops {
			keys = append(keys, k)
			raw = append(raw, k.Bytes())
		}
		old, err := b.d.sizes(raw)
		if err != nil {
			return err
		}
		n, nb := b.d.records.Load(), b.d.bytes.Load()
		diskFull := -1
		wb := b.d.db.NewWriteBatch()
		defer wb.Cancel()
		for i, k := range keys {
			op := b.ops[k]
			switch {
			case b.d.lim.own(raw[i]) && op.delete:
				err = wb.Delete(raw[i])
			case b.d.lim.own(raw[i]):
				err = wb.Set(raw[i], op.value)
			case op.delete && old[i] < 0:
				continue
			case op.delete:
				err = wb.Delete(raw[i])
				n, nb = n-1, nb-int64(old[i])
			case old[i] >= 0:
				err = wb.Set(raw[i], op.value)
				nb += int64(len(raw[i])+len(op.value)) - int64(old[i])
			default:
				size := len(raw[i]) + len(op.value)
				if why := b.d.admit(n, nb, size, &diskFull); why != "" {
					b.refused = append(b.refused, why)
					counts[why]++
					continue
				}
				err = wb.Set(raw[i], op.value)
				n, nb = n+1, nb+int64(size)
			}
			if err != nil {
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
		b.d.records.Store(n)
		b.d.bytes.Store(nb)
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit datastore batch of %d: %w", len(b.ops), err)
	}
	clear(b.ops)
	b.d.refused(counts)
	return nil
}

// Query returns the entries under q.Prefix — its strict children, as
// go-datastore defines a prefix — in key order, with q's filters, orders,
// offset and limit applied after.
func (d *Datastore) Query(ctx context.Context, q dsq.Query) (dsq.Results, error) {
	if err := d.read(func() error { return nil }); err != nil {
		return nil, err
	}
	prefix := queryPrefix(q.Prefix)
	it := &pager{d: d, q: q, prefix: []byte(prefix), next: []byte(prefix)}
	base := dsq.ResultsFromIterator(q, dsq.Iterator{Next: it.nextResult})
	// Badger's order is OrderByKey: leave it out of the naive pass, which
	// would hold every entry in memory to sort them.
	rest := q
	rest.Prefix = ""
	if len(q.Orders) == 1 {
		if _, ok := q.Orders[0].(dsq.OrderByKey); ok {
			rest.Orders = nil
		}
	}
	return dsq.NaiveQueryApply(rest, base), nil
}

// queryPrefix is the Badger key prefix of a go-datastore query prefix:
// "/a/b" selects "/a/b/…", never "/a/bc" nor "/a/b" itself; "" and "/"
// select everything.
func queryPrefix(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean("/" + p)
	if p == "/" {
		return ""
	}
	return p + "/"
}

// pager walks the keys under a prefix a page at a time.
type pager struct {
	d      *Datastore
	q      dsq.Query
	prefix []byte
	next   []byte // the first key the next page may return
	page   []dsq.Entry
	done   bool
}

func (p *pager) nextResult() (dsq.Result, bool) {
	if len(p.page) == 0 && !p.done {
		if err := p.d.read(p.fill); err != nil {
			p.done = true
			return dsq.Result{Error: fmt.Errorf("query %q: %w", p.q.Prefix, err)}, true
		}
	}
	if len(p.page) == 0 {
		return dsq.Result{}, false
	}
	e := p.page[0]
	p.page = p.page[1:]
	return dsq.Result{Entry: e}, true
}

// fill reads the next page in one read transaction.
func (p *pager) fill() error {
	return p.d.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = p.prefix
		io.PrefetchValues = !p.q.KeysOnly
		io.PrefetchSize = queryPage
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Seek(p.next); it.ValidForPrefix(p.prefix); it.Next() {
			item := it.Item()
			e := dsq.Entry{Key: string(item.KeyCopy(nil)), Size: -1}
			switch {
			case !p.q.KeysOnly:
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				e.Value, e.Size = v, len(v)
			case p.q.ReturnsSizes:
				n, err := valueSize(item)
				if err != nil {
					return err
				}
				e.Size = n
			}
			if len(p.page) == queryPage {
				p.next = []byte(e.Key)
				return nil
			}
			p.page = append(p.page, e)
		}
		p.done = true
		return nil
	})
}

// valueSize is the exact size of item's value: Badger's ValueSize is an
// estimate for a value in the value log.
func valueSize(item *badger.Item) (int, error) {
	n := -1
	err := item.Value(func(v []byte) error { n = len(v); return nil })
	return n, err
}

// dsError makes Badger's not-found go-datastore's and names the operation
// and key of any other error.
func dsError(op string, key ds.Key, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return ds.ErrNotFound
	case errors.Is(err, ErrDatastoreClosed):
		return err
	}
	return fmt.Errorf("datastore %s %s: %w", op, key, err)
}
