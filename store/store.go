package store

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Options configure Open. Defaults are documented next to each field.
type Options struct {
	Dir      string       // the Badger directory; ignored when InMemory
	InMemory bool         // keep everything in memory (tests); default false
	NoSync   bool         // do not fsync each commit; default false: a write is synced to disk before Put returns
	Logger   *slog.Logger // default: discard
	// Bulk sizes a store that is filled once, read and thrown away (a
	// proof bundle's verifier): memtables of 64 MiB and up to 16 tables
	// on level 0 before any compaction, so that filling it rewrites
	// nothing. Default false.
	Bulk bool
}

// Badger sizing for a node that shares its machine with fifty others: an
// idle daemon must stay small. The value threshold must stay under 15% of
// the memtable (Badger's batch limit); values above it (large dataset
// envelopes) go to the value log.
const (
	memTableSize     = 8 << 20
	blockCacheSize   = 8 << 20
	indexCacheSize   = 4 << 20
	valueLogFileSize = 16 << 20
	valueThreshold   = 256 << 10

	// tableCompression compresses the blocks of the tables on disk. The
	// envelopes of one block share their statement's shape and many of
	// their keys, and the index keys their prefixes: with Snappy a store
	// of 10^6 objects of a national archive's shape takes 1.3 times the
	// bytes of its envelopes instead of 1.8, and at 10^5 the attribution
	// of a subject with 10,000 claims costs about the same CPU (ZSTD: 1.1
	// times the bytes, but twice the CPU, every block read being
	// decompressed again); compactions pay for it, about 45 µs of CPU per
	// object in a bulk load (docs/PERFORMANCE.md, TestMeasureNationalStore).
	// Badger records the compression of each table, so tables written
	// before stay readable.
	tableCompression = options.Snappy

	// MaxInMemoryValue is the largest value, and so the largest envelope, a
	// store in memory can hold: Badger keeps every value of an in-memory
	// store in its LSM tree and refuses any over 1 MiB. On disk, large
	// values go to the value log and every envelope up to
	// protocol.MaxEnvelopeSize is stored.
	MaxInMemoryValue = 1 << 20

	// valueLogGCInterval is how often an on-disk store reclaims value-log
	// space left by envelopes rewritten with new signatures.
	valueLogGCInterval = 10 * time.Minute
)

// Store is the Badger index of a node. Its methods are safe for concurrent
// use. Writes are serialised inside the store (see write.go); reads run
// on consistent snapshots and never wait for writes.
type Store struct {
	db         *badger.DB   // replaced only by reopenWritable, under writeMu and dbMu
	dbMu       sync.RWMutex // held by readers (view) while they use db
	dir        string       // the Badger directory; "" in memory
	readOnly   bool         // opened read-only for lack of space (diskfull.go); guarded by writeMu
	badgerOpts badger.Options
	log        *slog.Logger
	maxValue   int        // the largest value Badger takes; 0 for no limit below protocol.MaxEnvelopeSize
	writeMu    sync.Mutex // one writing transaction at a time
	known      knownIDs   // guarded by writeMu
	rotated    rotatedKeys
	stop       chan struct{}
	done       chan struct{} // closed when collectValueLog returns

	repairs    chan protocol.ID // envelopes to rewrite trimmed (repair.go)
	repairDone chan struct{}    // closed when repairLoop returns

	knownBuilt chan struct{} // closed when buildKnown returns

	badManifests memo[protocol.ID, error]  // datasets whose manifest is invalid, and why (manifest.go)
	goodTrees    memo[manifest.Root, bool] // trees read whole and found valid (manifest.go)

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store in opts.Dir, or an empty store
// in memory. It refuses a store written with another SchemaVersion. For a
// store on disk it starts building, in the background, the filter of
// known IDs that spares the writer reads (known.go); writes do not wait
// for it, and Close does.
func Open(opts Options) (*Store, error) {
	const op = "open store"
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var bo badger.Options
	compression := options.None
	if opts.InMemory {
		bo = badger.DefaultOptions("").WithInMemory(true)
	} else {
		compression = tableCompression
		if opts.Dir == "" {
			return nil, protocol.E(op, protocol.Invalid, "no directory given and not in memory")
		}
		bo = badger.DefaultOptions(opts.Dir).WithSyncWrites(!opts.NoSync)
	}
	threshold, maxValue := int64(valueThreshold), 0
	if opts.InMemory {
		threshold, maxValue = MaxInMemoryValue, MaxInMemoryValue
	}
	bo = bo.WithMemTableSize(memTableSize).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(blockCacheSize).
		WithIndexCacheSize(indexCacheSize).
		WithValueLogFileSize(valueLogFileSize).
		WithValueThreshold(threshold).
		WithNumCompactors(2).
		WithCompression(compression).
		WithMetricsEnabled(false).
		WithDetectConflicts(false). // writers take Store.writeMu (write.go): hashing every key read and written for conflicts would buy nothing
		WithLogger(badgerLogger{logger})
	if opts.Bulk {
		bo = bo.WithMemTableSize(64 << 20).WithNumLevelZeroTables(16).WithNumLevelZeroTablesStall(32)
	}
	// Tables of one size (BaseTableSize, 2 MiB) at every level, not twice
	// the size at each level down: a compaction builds up to a dozen
	// tables at once, each builder holding twice its table's size, so
	// deep levels' 16–32 MiB tables made compactions hold 200 MB of heap
	// while a dataset of 10^6 files was indexed (90 MB with this).
	bo.TableSizeMultiplier = 1
	s := &Store{log: logger, maxValue: maxValue, stop: make(chan struct{}), done: make(chan struct{}), knownBuilt: make(chan struct{}),
		repairs: make(chan protocol.ID, repairQueue), repairDone: make(chan struct{})}
	s.badManifests, s.goodTrees = newManifestMemos()
	if !opts.InMemory {
		s.dir = opts.Dir
	}
	db, err := s.openBadger(bo)
	if err != nil {
		return nil, protocol.E(op, protocol.Other, "badger in %q: %w", opts.Dir, err)
	}
	s.db = db
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, protocol.E(op, protocol.KindOf(err), "%q: %w", opts.Dir, err)
	}
	if err := s.loadRotated(); err != nil {
		db.Close()
		return nil, protocol.E(op, protocol.KindOf(err), "%q: %w", opts.Dir, err)
	}
	go s.repairLoop()
	switch {
	case opts.InMemory:
		s.known.filter = newIDFilter(0) // a store in memory starts empty
		close(s.knownBuilt)
		close(s.done)
	case s.readOnly:
		// No filter: reopenWritable closes this Badger, which a scan must
		// not be reading; the writer reads the index instead.
		close(s.knownBuilt)
		go s.collectValueLog()
	default:
		s.known.building = true
		go s.buildKnown(db.NewTransaction(false)) // a snapshot from before any write
		go s.collectValueLog()
	}
	return s, nil
}

// checkSchema writes SchemaVersion into a new store and refuses a store
// with another version, or with data but no version.
func (s *Store) checkSchema() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keySchema))
		if errors.Is(err, badger.ErrKeyNotFound) {
			it := txn.NewIterator(badger.IteratorOptions{})
			it.Rewind()
			empty := !it.Valid()
			it.Close()
			if !empty {
				return protocol.E("", protocol.Invalid, "the store holds data but no schema version: not a commons store, or written before stores recorded their version")
			}
			if s.readOnly {
				return nil // written once the store is reopened for writing
			}
			return txn.Set([]byte(keySchema), []byte(strconv.Itoa(SchemaVersion)))
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		switch string(v) {
		case strconv.Itoa(SchemaVersion):
			return nil
		case "1", "2":
			// Version 1 refused rotations, and versions 1 and 2 refused
			// datasets with a manifest, so a store they wrote holds neither
			// (no chunk, no w/ marker, no meta record whose about is a
			// manifest's root) and is a version 3 store as it is. Marking
			// it keeps an older node, which cannot read what this version
			// stores, from opening it once such records are stored.
			if s.readOnly {
				return nil // marked once the store is reopened for writing
			}
			return txn.Set([]byte(keySchema), []byte(strconv.Itoa(SchemaVersion)))
		}
		return protocol.E("", protocol.Invalid, "store schema version is %q, this commons reads versions 1 to %d only", clipKey(v), SchemaVersion)
	})
}

// collectValueLog reclaims value-log space now and then, until Close.
func (s *Store) collectValueLog() {
	defer close(s.done)
	t := time.NewTicker(valueLogGCInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.dbMu.RLock()
			for s.db.RunValueLogGC(0.5) == nil {
			}
			s.dbMu.RUnlock()
		}
	}
}

// Close flushes and closes the store. The Store must not be used after.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		<-s.repairDone
		<-s.knownBuilt
		s.dbMu.Lock()
		defer s.dbMu.Unlock()
		if err := s.db.Close(); err != nil {
			s.closeErr = protocol.E("close store", protocol.Other, "%w", err)
		}
	})
	return s.closeErr
}

// badgerLogger passes Badger's warnings and errors to slog and drops the
// rest.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, args ...any) { b.l.Error(line(f, args), "component", "badger") }
func (b badgerLogger) Warningf(f string, args ...any) {
	b.l.Warn(line(f, args), "component", "badger")
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

func line(f string, args []any) string { return strings.TrimSpace(fmt.Sprintf(f, args...)) }
