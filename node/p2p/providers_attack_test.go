package p2p_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/p2p"
)

// TestProviderFloodBounded: hostile peers, real hosts on loopback speaking
// the DHT protocol through kad-dht's own client, send a node endless
// ADD_PROVIDER messages for distinct keys. The node's provider records
// stay within its bound — a number of records, or none new at all while
// its disk is below the watermark — the refusals are reported, and the
// record an honest provider gave it earlier is still served, on the
// running node and from its directory after a restart.
func TestProviderFloodBounded(t *testing.T) {
	const (
		bound   = 40
		hostile = 3
		keys    = 200 // each: more than a flush of the provider manager (256) together
	)
	for _, tc := range []struct {
		name     string
		diskFull bool
		want     int64 // the most records the node may hold after the flood
	}{{"record bound", false, bound}, {"disk below watermark", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			var full atomic.Bool
			var refused atomic.Int64
			b := &restartable{t: t, dir: t.TempDir(), lim: p2p.DatastoreLimits{
				MaxRecords: bound,
				DiskFull:   full.Load,
				Refused:    func(_ string, n int) { refused.Add(int64(n)) },
			}}
			b.start(0)
			honestKey := randomKey(t)
			honest := provideTo(t, b.node, honestKey)
			// The honest record reaches the directory before the flood: a
			// restart flushes the provider manager's buffer.
			b.stop()
			b.start(0)
			full.Store(tc.diskFull)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var wg sync.WaitGroup
			for range hostile {
				m := newNode(t, nodeConfig{dht: p2p.DHTOptions{Bootstrap: []peer.AddrInfo{b.node.info()}}})
				waitRouting(t, []*testNode{m, b.node})
				wg.Go(func() {
					for range keys {
						if err := p2p.Provide(ctx, m.d, randomKey(t)); err != nil {
							t.Error(err)
							return
						}
					}
					m.delivered(t)
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}

			if !hasProvider(providersOf(t, b.node, honestKey), honest.h.ID()) {
				t.Error("after the flood the node no longer serves the honest record")
			}
			b.stop()
			if refused.Load() == 0 {
				t.Error("no refusal was reported")
			}
			d, err := p2p.OpenDatastore(b.dir, p2p.DatastoreLimits{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			n, _ := d.Records()
			if n > tc.want {
				t.Errorf("the node holds %d records after a flood of %d, bound %d", n, hostile*keys, tc.want)
			}
			if n+refused.Load() != hostile*keys+1 {
				t.Errorf("%d records held and %d refused, of the %d sent", n, refused.Load(), hostile*keys+1)
			}
			d.Close()
			b.lim = p2p.DatastoreLimits{}
			b.start(0)
			if !hasProvider(providersOf(t, b.node, honestKey), honest.h.ID()) {
				t.Error("after the flood and a restart the node no longer holds the honest record")
			}
		})
	}
}

// providersOf returns the providers of key that n's DHT holds.
func providersOf(t *testing.T, n *testNode, key cid.Cid) []peer.AddrInfo {
	t.Helper()
	provs, err := n.d.ProviderStore().GetProviders(context.Background(), key.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return provs
}
