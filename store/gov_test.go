package store_test

import (
	"fmt"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

func TestGovUpdates(t *testing.T) {
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	ids := make([]protocol.ID, 5)
	for i := range ids {
		raw := fmt.Appendf(nil, `{"update":%d}`, i)
		ids[i] = protocol.ObjectID(raw)
		fresh, err := s.PutGovUpdate(ids[i], raw)
		if err != nil || !fresh {
			t.Fatalf("put %d: fresh %v, err %v", i, fresh, err)
		}
	}
	// Again: not new, nothing changes; other bytes under a stored ID: refused.
	if fresh, err := s.PutGovUpdate(ids[0], []byte(`{"update":0}`)); err != nil || fresh {
		t.Errorf("put again: fresh %v, err %v", fresh, err)
	}
	if _, err := s.PutGovUpdate(ids[0], []byte(`{"update":"other"}`)); !protocol.IsKind(err, protocol.Exists) {
		t.Errorf("other bytes under a stored ID: err %v, want exists", err)
	}
	if _, err := s.PutGovUpdate(protocol.ID{}, []byte("x")); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("no ID: err %v", err)
	}
	got, err := s.GovUpdate(ids[3])
	if err != nil || string(got) != `{"update":3}` {
		t.Errorf("get: %q, %v", got, err)
	}
	if _, err := s.GovUpdate(protocol.ObjectID([]byte("absent"))); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("absent: err %v", err)
	}
	// Governance updates are not objects.
	if ok, _ := s.Has(ids[1]); ok {
		t.Error("a governance update shows as an object")
	}
	s.Close()

	s = storetest.OpenDir(t, dir)
	n := 0
	if err := s.EachGovUpdate(func(id protocol.ID, raw []byte) bool {
		n++
		return true
	}); err != nil || n != len(ids) {
		t.Errorf("after reopening: %d updates, err %v; want %d", n, err, len(ids))
	}
	n = 0
	if err := s.EachGovUpdate(func(protocol.ID, []byte) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("stopping early: %d visits, err %v", n, err)
	}
}

// TestDropGovUpdates: every update goes, for good; a second drop finds none.
func TestDropGovUpdates(t *testing.T) {
	dir := t.TempDir()
	s := storetest.OpenDir(t, dir)
	for i := range 3 {
		raw := fmt.Appendf(nil, `{"update":%d}`, i)
		if _, err := s.PutGovUpdate(protocol.ObjectID(raw), raw); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DropGovUpdates(); err != nil || n != 3 {
		t.Fatalf("drop: %d, %v; want 3", n, err)
	}
	s.Close()
	s = storetest.OpenDir(t, dir)
	n := 0
	if err := s.EachGovUpdate(func(protocol.ID, []byte) bool { n++; return true }); err != nil || n != 0 {
		t.Errorf("after dropping and reopening: %d updates, %v", n, err)
	}
	if _, err := s.GovUpdate(protocol.ObjectID([]byte(`{"update":1}`))); !protocol.IsKind(err, protocol.NotFound) {
		t.Errorf("a dropped update: %v, want not found", err)
	}
	if n, err := s.DropGovUpdates(); err != nil || n != 0 {
		t.Errorf("second drop: %d, %v", n, err)
	}
}
