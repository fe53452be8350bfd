package p2p_test

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p-kad-dht/records"
)

// The provider records' Datastore against the DHT's in-memory default
// (a locked map), same run, on the writes and reads the DHT makes:
//
//	go test -run '^$' -bench ProviderRecordStore -benchtime 3x ./node/p2p/
//
// Each iteration writes providerBenchRecords records in batches of 256,
// as the DHT's provider manager flushes them, reads each back with Get,
// and reads providerBenchQueries keys' records with a prefix query, as
// the manager loads a key's providers on a cache miss. The ratios are
// the Datastore's rate over the map's (x-map-*).
const (
	providerBenchRecords = 50_000
	providerBenchQueries = 200
)

type recordRates struct{ puts, gets, queries float64 }

func BenchmarkProviderRecordStore(b *testing.B) {
	keys, prefixes := providerRecordKeys(providerBenchRecords)
	value := binary.AppendVarint(nil, time.Now().UnixNano())
	var disk, mem recordRates
	for b.Loop() {
		d := openDatastore(b, b.TempDir())
		disk = measureRecords(b, d, keys, prefixes, value)
		d.Close()
		mem = measureRecords(b, dssync.MutexWrap(ds.NewMapDatastore()), keys, prefixes, value)
	}
	b.ReportMetric(disk.puts, "puts/s")
	b.ReportMetric(disk.gets, "gets/s")
	b.ReportMetric(disk.queries, "queries/s")
	b.ReportMetric(disk.puts/mem.puts, "x-map-puts")
	b.ReportMetric(disk.gets/mem.gets, "x-map-gets")
	b.ReportMetric(disk.queries/mem.queries, "x-map-queries")
	b.ReportMetric(0, "ns/op")
}

// providerRecordKeys returns n keys laid out as the DHT lays out provider
// records (/providers/<key>/<peer>, base32), and the prefixes of some of
// their provided keys.
func providerRecordKeys(n int) ([]ds.Key, []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	keys := make([]ds.Key, n)
	var prefixes []string
	for i := range keys {
		var mh [34]byte  // a sha2-256 multihash
		var pid [38]byte // an Ed25519 peer ID
		rand.Read(mh[:])
		rand.Read(pid[:])
		prefix := records.ProvidersKeyPrefix + enc.EncodeToString(mh[:])
		keys[i] = ds.RawKey(prefix + "/" + enc.EncodeToString(pid[:]))
		if len(prefixes) < providerBenchQueries {
			prefixes = append(prefixes, prefix)
		}
	}
	return keys, prefixes
}

func measureRecords(b *testing.B, d ds.Batching, keys []ds.Key, prefixes []string, value []byte) recordRates {
	ctx := context.Background()
	var r recordRates
	start := time.Now()
	for i := 0; i < len(keys); i += 256 {
		batch, err := d.Batch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys[i:min(i+256, len(keys))] {
			if err := batch.Put(ctx, k, value); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	r.puts = float64(len(keys)) / time.Since(start).Seconds()
	start = time.Now()
	for _, k := range keys {
		if _, err := d.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	r.gets = float64(len(keys)) / time.Since(start).Seconds()
	start = time.Now()
	for _, p := range prefixes {
		res, err := d.Query(ctx, dsq.Query{Prefix: p})
		if err != nil {
			b.Fatal(err)
		}
		es, err := res.Rest()
		if err != nil || len(es) != 1 {
			b.Fatalf("query %s: %d entries, %v", p, len(es), err)
		}
	}
	r.queries = float64(len(prefixes)) / time.Since(start).Seconds()
	return r
}
