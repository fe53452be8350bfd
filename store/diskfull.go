package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Badger writes its memtable's log (.mem) and its value log (.vlog), and
// the tables it flushes and compacts (.sst), through memory maps of files
// grown with truncate: sparse files whose blocks the filesystem allocates
// only when a page is first written. On a full filesystem that write
// raises SIGBUS and the process dies; no error is ever returned. So the
// store never lets Badger write without room for everything it may grow
// by before the next check: see Headroom. Below it, writes are refused
// with kind protocol.NoSpace and reads go on. A store opened on a
// filesystem below its headroom opens Badger read-only (Badger then
// writes nothing at all) and reopens it for writing at the first write
// that finds the room back.

// Headroom is the free space, in bytes, that an on-disk store requires on
// its filesystem before each write: what Badger may grow by until the
// next write is checked. The memtable's log file is mapped at twice the
// memtable's size and a flush writes a table of about that size; the
// value log file is mapped at twice its size; a compaction of level 0
// writes its tables (up to NumLevelZeroTablesStall memtables' worth)
// before it deletes the old ones; and a margin for the manifest, the
// directory and the node's other files.
const Headroom = 2*memTableSize + 2*valueLogFileSize + 4*memTableSize + headroomMargin

const headroomMargin = 8 << 20

// freeSpace is the space an unprivileged process may still take on the
// filesystem that holds dir (statfs: blocks available times block size).
// It is a variable so that tests can observe the store's checks; ok is
// false where the platform does not say (see diskfull_*.go).
var freeSpace = FreeSpace

// errNoSpace is the error of a write refused for lack of space.
func errNoSpace(op, dir string, free uint64) error {
	return protocol.E(op, protocol.NoSpace, "disk full: the filesystem of %q has %d bytes free, the store writes only with %d free (free some space: writes resume by themselves)", dir, free, Headroom)
}

// roomToWrite is the guard of every write, called under writeMu before
// Badger is given anything. It refuses the write when the filesystem of
// the store has less than Headroom free, and reopens for writing a store
// that Open opened read-only once the room is back.
func (s *Store) roomToWrite(op string) error {
	if s.dir == "" {
		return nil // in memory
	}
	free, ok, err := freeSpace(s.dir)
	if err != nil {
		return protocol.E(op, protocol.Other, "read the free space of %q: %w", s.dir, err)
	}
	if ok && free < Headroom {
		return errNoSpace(op, s.dir, free)
	}
	if s.readOnly {
		return s.reopenWritable(op)
	}
	return nil
}

// ReadOnly reports whether the store was opened read-only for lack of
// space and has not yet been reopened for writing.
func (s *Store) ReadOnly() bool {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.readOnly
}

// reopenWritable closes the read-only Badger and opens it for writing,
// under writeMu, once every reader has let go of it.
func (s *Store) reopenWritable(op string) error {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if err := s.db.Close(); err != nil {
		return protocol.E(op, protocol.Other, "close the read-only store in %q: %w", s.dir, err)
	}
	db, err := badger.Open(s.badgerOpts.WithReadOnly(false))
	if err != nil {
		// Reopen read-only so that reads go on; the next write tries again.
		if ro, rerr := badger.Open(s.badgerOpts.WithReadOnly(true)); rerr == nil {
			s.db = ro
		} else {
			err = errors.Join(err, rerr)
		}
		return protocol.E(op, protocol.Other, "reopen the store in %q for writing: %w", s.dir, err)
	}
	s.db, s.readOnly = db, false
	if err := s.checkSchema(); err != nil {
		return protocol.E(op, protocol.KindOf(err), "%q: %w", s.dir, err)
	}
	s.log.Info("store: space is back, store reopened for writing", "dir", s.dir)
	return nil
}

// openBadger opens Badger for writing, or read-only when the filesystem
// of dir has less than Headroom free.
func (s *Store) openBadger(bo badger.Options) (*badger.DB, error) {
	s.badgerOpts = bo
	if bo.InMemory {
		return badger.Open(bo)
	}
	free, ok, err := freeSpace(existingAncestor(bo.Dir))
	if err != nil {
		return nil, fmt.Errorf("read the free space of %q: %w", bo.Dir, err)
	}
	if ok && free < Headroom {
		s.readOnly = true
		s.log.Warn("store: disk full, opening the store read-only until space is freed", "dir", bo.Dir, "free", free, "needed", Headroom)
		return badger.Open(bo.WithReadOnly(true))
	}
	return badger.Open(bo)
}

// view runs fn in a read transaction of the current Badger: the one a
// reopen for writing (reopenWritable) does not close under a reader.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	return s.db.View(fn)
}

// dbSize is Badger's Size of the current Badger.
func (s *Store) dbSize() (lsm, vlog int64) {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	return s.db.Size()
}

// existingAncestor is dir, or its nearest ancestor that exists: the
// filesystem Badger will create dir on.
func existingAncestor(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}
