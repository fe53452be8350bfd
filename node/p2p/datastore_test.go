package p2p_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dstest "github.com/ipfs/go-datastore/test"

	"github.com/commons-p2p/commons/node/p2p"
)

func openDatastore(t testing.TB, dir string) *p2p.Datastore {
	t.Helper()
	d, err := p2p.OpenDatastore(dir, p2p.DatastoreLimits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestDatastoreSuite runs go-datastore's own conformance suite, each test
// on a new Datastore: put, get, not-found, prefixes, orders, limits,
// filters, sizes, sync and batches; and with COMMONS_LONG=1 its every
// combination of query features (8 s).
func TestDatastoreSuite(t *testing.T) {
	basic := map[string]func(*testing.T, ds.Datastore){
		"put get": dstest.SubtestBasicPutGet, "not found": dstest.SubtestNotFounds,
		"prefix": dstest.SubtestPrefix, "order": dstest.SubtestOrder,
		"limit": dstest.SubtestLimit, "filter": dstest.SubtestFilter,
		"many keys": dstest.SubtestManyKeysAndQuery, "sizes": dstest.SubtestReturnSizes,
		"sync": dstest.SubtestBasicSync,
	}
	if longTests() {
		basic["combinations"] = dstest.SubtestCombinations
	}
	for name, f := range basic {
		t.Run(name, func(t *testing.T) { f(t, openDatastore(t, t.TempDir())) })
	}
	for name, f := range map[string]func(*testing.T, ds.Batching){
		"batch": dstest.RunBatchTest, "batch delete": dstest.RunBatchDeleteTest,
		"batch put and delete": dstest.RunBatchPutAndDeleteTest,
	} {
		t.Run(name, func(t *testing.T) { f(t, openDatastore(t, t.TempDir())) })
	}
}

// TestDatastoreQueries holds the Datastore's queries to those of
// go-datastore's in-memory map, the reference, over the same entries:
// more entries than a query page, keys that share a prefix without being
// under it, and every query feature.
func TestDatastoreQueries(t *testing.T) {
	ctx := context.Background()
	got := openDatastore(t, t.TempDir())
	want := ds.NewMapDatastore()
	var keys []ds.Key
	for i := range 700 { // nearly three pages
		keys = append(keys, ds.NewKey(fmt.Sprintf("/providers/k%03d/p%d", i%300, i)))
	}
	keys = append(keys, ds.NewKey("/providers"), ds.NewKey("/providersx/a"), ds.NewKey("/prov/a"), ds.NewKey("/z"))
	b, err := got.Batch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		v := []byte(fmt.Sprint(i))
		if err := b.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
		want.Put(ctx, k, v)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []dsq.Query{
		{},
		{Prefix: "/providers"},
		{Prefix: "providers/"}, // cleaned as go-datastore cleans it
		{Prefix: "/providers/k007"},
		{Prefix: "/prov"},
		{Prefix: "/none"},
		{Prefix: "/providers", KeysOnly: true},
		{Prefix: "/providers", KeysOnly: true, ReturnsSizes: true},
		{Prefix: "/providers", Orders: []dsq.Order{dsq.OrderByKey{}}},
		{Prefix: "/providers", Orders: []dsq.Order{dsq.OrderByKeyDescending{}}},
		{Prefix: "/providers", Orders: []dsq.Order{dsq.OrderByValue{}}},
		{Prefix: "/providers", Offset: 250, Limit: 20, Orders: []dsq.Order{dsq.OrderByKey{}}},
		{Prefix: "/providers", Limit: 257, Orders: []dsq.Order{dsq.OrderByKey{}}},
		{Filters: []dsq.Filter{dsq.FilterKeyPrefix{Prefix: "/providers/k1"}}, Orders: []dsq.Order{dsq.OrderByKey{}}},
		{Filters: []dsq.Filter{dsq.FilterValueCompare{Op: dsq.Equal, Value: []byte("5")}}},
	} {
		g, w := queryAll(t, got, q), queryAll(t, want, q)
		if len(q.Orders) == 0 { // the map's order is arbitrary
			slices.SortFunc(w, func(a, b dsq.Entry) int { return compareStrings(a.Key, b.Key) })
		}
		if len(g) != len(w) {
			t.Errorf("query %s: %d entries, want %d", q, len(g), len(w))
			continue
		}
		for i := range g {
			if g[i].Key != w[i].Key || string(g[i].Value) != string(w[i].Value) ||
				(q.ReturnsSizes || !q.KeysOnly) && g[i].Size != len(mustGet(t, want, g[i].Key)) {
				t.Errorf("query %s: entry %d is %+v, want %+v", q, i, g[i], w[i])
				break
			}
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func queryAll(t *testing.T, d ds.Datastore, q dsq.Query) []dsq.Entry {
	t.Helper()
	res, err := d.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer res.Close()
	es, err := res.Rest()
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return es
}

func mustGet(t *testing.T, d ds.Datastore, key string) []byte {
	t.Helper()
	v, err := d.Get(context.Background(), ds.RawKey(key))
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return v
}

// TestDatastoreOperations: the answers of each operation, in order, on
// one key and its neighbours.
func TestDatastoreOperations(t *testing.T) {
	ctx := context.Background()
	d := openDatastore(t, t.TempDir())
	k, sib := ds.NewKey("/a/b"), ds.NewKey("/a/bc")
	steps := []struct {
		name string
		do   func() error
		has  bool
		val  string
	}{
		{"absent", func() error { return nil }, false, ""},
		{"put", func() error { return d.Put(ctx, k, []byte("one")) }, true, "one"},
		{"overwrite", func() error { return d.Put(ctx, k, []byte("two")) }, true, "two"},
		{"sibling put", func() error { return d.Put(ctx, sib, []byte("x")) }, true, "two"},
		{"delete", func() error { return d.Delete(ctx, k) }, false, ""},
		{"delete again", func() error { return d.Delete(ctx, k) }, false, ""},
		{"empty value", func() error { return d.Put(ctx, k, nil) }, true, ""},
		{"batch put and delete, last wins", func() error {
			b, _ := d.Batch(ctx)
			b.Put(ctx, k, []byte("three"))
			b.Delete(ctx, k)
			b.Put(ctx, k, []byte("four"))
			return b.Commit(ctx)
		}, true, "four"},
		{"batch delete", func() error {
			b, _ := d.Batch(ctx)
			b.Delete(ctx, k)
			return b.Commit(ctx)
		}, false, ""},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		has, err := d.Has(ctx, k)
		if err != nil || has != s.has {
			t.Errorf("%s: has %v, %v; want %v", s.name, has, err, s.has)
		}
		v, err := d.Get(ctx, k)
		size, serr := d.GetSize(ctx, k)
		if s.has {
			if err != nil || string(v) != s.val || serr != nil || size != len(s.val) {
				t.Errorf("%s: get %q, %v, size %d, %v; want %q", s.name, v, err, size, serr, s.val)
			}
		} else if !errors.Is(err, ds.ErrNotFound) || !errors.Is(serr, ds.ErrNotFound) {
			t.Errorf("%s: get %q, %v, size %v; want ErrNotFound", s.name, v, err, serr)
		}
	}
	if v, err := d.Get(ctx, sib); err != nil || string(v) != "x" {
		t.Errorf("the sibling key: %q, %v", v, err)
	}
}

// TestDatastoreRestart: what was written, batched or not, is there after
// a Close and an Open of the same directory; a closed Datastore refuses.
func TestDatastoreRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := p2p.OpenDatastore(dir, p2p.DatastoreLimits{})
	if err != nil {
		t.Fatal(err)
	}
	d.Put(ctx, ds.NewKey("/one"), []byte("1"))
	d.Put(ctx, ds.NewKey("/gone"), []byte("x"))
	d.Delete(ctx, ds.NewKey("/gone"))
	b, _ := d.Batch(ctx)
	for i := range 1000 {
		b.Put(ctx, ds.NewKey(fmt.Sprintf("/batch/%04d", i)), []byte(fmt.Sprint(i)))
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := d.Query(ctx, dsq.Query{Prefix: "/batch"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// A query left open does not keep Close waiting; it ends with the
	// closed error once its page is read.
	var qerr error
	for r := range res.Next() {
		if r.Error != nil {
			qerr = r.Error
		}
	}
	if !errors.Is(qerr, p2p.ErrDatastoreClosed) {
		t.Errorf("a query read after Close: %v, want ErrDatastoreClosed", qerr)
	}
	if err := d.Put(ctx, ds.NewKey("/late"), nil); !errors.Is(err, p2p.ErrDatastoreClosed) {
		t.Errorf("put after Close: %v", err)
	}

	d = openDatastore(t, dir)
	if v, err := d.Get(ctx, ds.NewKey("/one")); err != nil || string(v) != "1" {
		t.Errorf("after restart: /one is %q, %v", v, err)
	}
	if has, _ := d.Has(ctx, ds.NewKey("/gone")); has {
		t.Error("after restart: a deleted key is back")
	}
	if es := queryAll(t, d, dsq.Query{Prefix: "/batch"}); len(es) != 1000 || es[999].Key != "/batch/0999" {
		t.Errorf("after restart: %d batched entries", len(es))
	}
}

// TestDatastoreLimits: past its bound of records or of bytes a Datastore
// refuses a new key — a Put with ErrDatastoreFull, a batch by leaving it
// out — and says why; it still rewrites and deletes the keys it holds,
// and a deletion makes room. Its counts survive a reopening.
func TestDatastoreLimits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var why []string
	lim := p2p.DatastoreLimits{MaxRecords: 3, MaxBytes: 3 * 10, Refused: func(r string, n int) {
		for range n {
			why = append(why, r)
		}
	}}
	d, err := p2p.OpenDatastore(dir, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	key := func(i int) ds.Key { return ds.NewKey(fmt.Sprintf("/k%d", i)) } // 3 bytes
	for i := range 2 {
		if err := d.Put(ctx, key(i), []byte("1234567")); err != nil { // 10 bytes a record
			t.Fatal(err)
		}
	}
	b, _ := d.Batch(ctx)
	for i := 2; i < 5; i++ {
		b.Put(ctx, key(i), []byte("1234567"))
	}
	b.Put(ctx, key(0), []byte("7654321")) // a renewal
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, size := d.Records(); n != 3 || size != 30 {
		t.Fatalf("after the batch: %d records of %d bytes, want 3 of 30", n, size)
	}
	if v, err := d.Get(ctx, key(0)); err != nil || string(v) != "7654321" {
		t.Errorf("the renewal past the bound: %q, %v", v, err)
	}
	err = d.Put(ctx, key(9), []byte("x"))
	if !errors.Is(err, p2p.ErrDatastoreFull) {
		t.Errorf("a Put past the bound: %v, want ErrDatastoreFull", err)
	}
	if want := []string{p2p.RefusedRecords, p2p.RefusedRecords, p2p.RefusedRecords}; !slices.Equal(why, want) {
		t.Errorf("refusals %v, want %v", why, want)
	}
	if err := d.Delete(ctx, key(0)); err != nil {
		t.Fatal(err)
	}
	// Room for one record, not for one of 11 bytes: the byte bound.
	why = nil
	if err := d.Put(ctx, key(8), []byte("12345678")); !errors.Is(err, p2p.ErrDatastoreFull) {
		t.Errorf("a Put past the byte bound: %v", err)
	}
	if err := d.Put(ctx, key(7), []byte("1234567")); err != nil {
		t.Errorf("a Put after a deletion made room: %v", err)
	}
	if !slices.Equal(why, []string{p2p.RefusedBytes}) {
		t.Errorf("refusals %v, want [bytes]", why)
	}
	d.Close()
	d = openDatastore(t, dir)
	if n, size := d.Records(); n != 3 || size != 30 {
		t.Errorf("reopened: %d records of %d bytes, want 3 of 30", n, size)
	}
}

// TestDatastoreOwnNotBounded: the entries under DatastoreLimits.Own, what
// the node writes for itself, are written past the limits and not
// counted, at a write and when the Datastore is reopened; the records of
// peers beside them stay bounded.
func TestDatastoreOwnNotBounded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lim := p2p.DatastoreLimits{MaxRecords: 2, Own: ds.NewKey("/own")}
	d, err := p2p.OpenDatastore(dir, lim)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Put(ctx, ds.NewKey("/providers/a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	b, _ := d.Batch(ctx)
	for i := range 10 {
		b.Put(ctx, ds.NewKey(fmt.Sprintf("/own/keys/%d", i)), []byte("1"))
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, ds.NewKey("/own/schedule"), []byte("1")); err != nil {
		t.Errorf("an own entry past the bound: %v", err)
	}
	if err := d.Put(ctx, ds.NewKey("/ownership"), []byte("1")); err != nil {
		t.Errorf("a record beside the own namespace, within the bound: %v", err)
	}
	if err := d.Put(ctx, ds.NewKey("/providers/b"), []byte("1")); !errors.Is(err, p2p.ErrDatastoreFull) {
		t.Errorf("a peer's record past the bound: %v, want ErrDatastoreFull", err)
	}
	if err := d.Delete(ctx, ds.NewKey("/own/keys/0")); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Records(); n != 2 {
		t.Errorf("%d records counted, want 2", n)
	}
	d.Close()
	if d, err = p2p.OpenDatastore(dir, lim); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Records(); n != 2 {
		t.Errorf("reopened: %d records counted, want 2", n)
	}
	if ok, _ := d.Has(ctx, ds.NewKey("/own/keys/9")); !ok {
		t.Error("an own entry is lost")
	}
}
