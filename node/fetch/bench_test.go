package fetch

import (
	"context"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// BenchmarkFetchObjects fetches 100 objects (datasets from a real store)
// per request over loopback TCP, verifying each on arrival.
//
//	go test -run '^$' -bench FetchObjects -benchtime 200x ./node/fetch/
func BenchmarkFetchObjects(b *testing.B) {
	const perRequest = 100
	f := newFixture(b, perRequest, 0, ServerOptions{Rate: 1e9, Burst: 1 << 30})
	ids := make([]protocol.ID, perRequest)
	for i, o := range f.datasets {
		ids[i] = o.ID
	}
	ctx := context.Background()
	var bytes int64
	for _, o := range f.datasets {
		bytes += int64(len(o.Envelope.Encode()))
	}
	b.SetBytes(bytes)
	b.ResetTimer()
	for b.Loop() {
		objs, _, err := f.fetch.Objects(ctx, f.server.ID(), ids)
		if err != nil || len(objs) != perRequest {
			b.Fatalf("%d objects, %v", len(objs), err)
		}
	}
	b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "objects/s")
}
