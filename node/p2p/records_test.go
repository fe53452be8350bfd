package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	dsq "github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
)

// restartable is a DHT node whose provider records live in dir (or in
// memory when dir is ""), restarted under the same key.
type restartable struct {
	t     *testing.T
	dir   string
	node  *testNode
	store *p2p.Datastore
	lim   p2p.DatastoreLimits
}

func (r *restartable) start(validity time.Duration) {
	r.t.Helper()
	opts := p2p.DHTOptions{ProvideValidity: validity}
	if r.dir != "" {
		var err error
		if r.store, err = p2p.OpenDatastore(r.dir, r.lim); err != nil {
			r.t.Fatal(err)
		}
		opts.Datastore = r.store
		r.t.Cleanup(func() { r.store.Close() })
	}
	key := newKey(r.t)
	if r.node != nil {
		key = r.node.key
	}
	r.node = newNode(r.t, nodeConfig{key: key, dht: opts})
}

// stop closes the DHT, then the host, then the records' store, as a
// daemon does.
func (r *restartable) stop() {
	r.t.Helper()
	r.node.stop()
	if r.store != nil {
		if err := r.store.Close(); err != nil {
			r.t.Fatal(err)
		}
	}
}

// provideTo has a new node, bootstrapped to server, provide key, and
// returns it once server holds the record.
func provideTo(t *testing.T, server *testNode, key cid.Cid) *testNode {
	t.Helper()
	a := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{server.info()}}})
	waitRouting(t, []*testNode{a, server})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p2p.Provide(ctx, a.d, key); err != nil {
		t.Fatal(err)
	}
	a.delivered(t)
	if !server.holds(t, key) {
		t.Fatal("the server does not hold the record it was given")
	}
	return a
}

// TestProviderRecordsSurviveRestart: node A provides a key to server B and
// leaves the network; B restarts on the same directory, and node C, which
// joins through B alone, finds A as the key's provider. With records kept
// in memory (the default before records had a directory) C finds no one:
// that is the case the directory fixes.
func TestProviderRecordsSurviveRestart(t *testing.T) {
	for _, tc := range []struct {
		name      string
		persisted bool
	}{{"in a directory", true}, {"in memory", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := &restartable{t: t}
			if tc.persisted {
				b.dir = t.TempDir()
			}
			b.start(0)
			key := randomKey(t)
			a := provideTo(t, b.node, key)
			a.stop() // A is gone: only B can say that A provides key
			b.stop()

			b.start(0)
			c := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{b.node.info()}}})
			waitRouting(t, []*testNode{c, b.node})
			provs, _ := findProviders(t, c, key, 0)
			if found := hasProvider(provs, a.h.ID()); found != tc.persisted {
				t.Errorf("after B restarted, C found providers %v; A among them: %v, want %v", provs, found, tc.persisted)
			}
		})
	}
}

// TestProviderRecordsExpireAcrossRestart: a record older than the
// validity when the node restarts is not served, and reading it deletes
// it from the directory.
func TestProviderRecordsExpireAcrossRestart(t *testing.T) {
	const validity = time.Second
	b := &restartable{t: t, dir: t.TempDir()}
	b.start(0)
	key := randomKey(t)
	provideTo(t, b.node, key).stop()
	// The record was written before provideTo returned: it is older than
	// the validity once the validity has passed from here.
	given := time.Now()
	b.stop()
	if wait := validity - time.Since(given); wait > 0 {
		time.Sleep(wait + 100*time.Millisecond)
	}

	b.start(validity)
	if b.node.holds(t, key) {
		t.Error("a record older than the validity is served after the restart")
	}
	res, err := b.store.Query(context.Background(), dsq.Query{Prefix: records.ProvidersKeyPrefix, KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	left, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("the expired record is still stored: %v", left)
	}
}
