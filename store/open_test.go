package store

import (
	"strings"
	"testing"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// rawSet writes key=val into the Badger directory dir behind the store's
// back.
func rawSet(t *testing.T, dir, key, val string) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(key), []byte(val)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func rawGet(t *testing.T, dir, key string) string {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var val []byte
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(key))
		if err == nil {
			val, err = item.ValueCopy(nil)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(val)
}

func TestOpenChecksSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	s.Close()

	for _, old := range []string{"1", "2"} {
		rawSet(t, dir, keySchema, old)
		s, err = Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("Open of a version %s store: %v", old, err)
		}
		s.Close()
		if v := rawGet(t, dir, keySchema); v != "3" {
			t.Errorf("a version %s store opened for writing is marked %q, want 3", old, v)
		}
	}

	rawSet(t, dir, keySchema, "4")
	if _, err := Open(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), `schema version is "4"`) || !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("Open of a version 4 store: %v, want a clear Invalid error", err)
	}

	other := t.TempDir()
	rawSet(t, other, "someone/else", "data")
	if _, err := Open(Options{Dir: other}); err == nil || !strings.Contains(err.Error(), "no schema version") {
		t.Errorf("Open of a foreign Badger store: %v, want a refusal", err)
	}

	if _, err := Open(Options{}); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("Open with no directory: %v, want Invalid", err)
	}
}
