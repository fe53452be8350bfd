package metrics_test

import (
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// newMetrics returns the metrics of a node of no network over an empty
// store in memory.
func newMetrics(t *testing.T) *metrics.Node {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return metrics.New(st, func() *gov.State { return nil })
}

// value is the value of the series of family name with the given
// label-value pairs in m's registry: a counter's or gauge's value, a
// histogram's count. ok is false when there is no such series.
func value(t *testing.T, m *metrics.Node, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range mfs {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(s, labels[i], labels[i+1]) {
					continue series
				}
			}
			return s.GetCounter().GetValue() + s.GetGauge().GetValue() + float64(s.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabel(s *dto.Metric, name, value string) bool {
	for _, l := range s.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// Each bounded label value has its series from the start, at 0, and the
// gauges of the store and of governance read 0 for an empty node of no
// network.
func TestSeriesFromStart(t *testing.T) {
	m := newMetrics(t)
	for _, c := range [][]string{
		{"commons_objects_stored_total", "kind", "dataset"},
		{"commons_objects_refused_total", "reason", "invalid"},
		{"commons_store_objects", "kind", "revocation"},
		{"commons_api_requests_total", "route", "guard", "code", "4xx"},
		{"commons_gossip_messages_total", "outcome", "published"},
		{"commons_gossip_not_stored_total", "reason", "watermark"},
		{"commons_network_query_duration_seconds", "query", "show dataset"},
		{"commons_dht_lookup_duration_seconds", "result", "found"},
		{"commons_dht_provide_duration_seconds", "result", "ok"},
		{"commons_governance_stewards"},
		{"commons_governance_proposals_open"},
	} {
		if got, ok := value(t, m, c[0], c[1:]...); !ok || got != 0 {
			t.Errorf("%s%q = %v (present %v), want 0", c[0], c[1:], got, ok)
		}
	}
}

// What the node observes lands in the series its labels name.
func TestObservations(t *testing.T) {
	m := newMetrics(t)
	m.Refused(fmt.Errorf("put: %w", protocol.E("decode", protocol.Invalid, "bad")))
	m.ObservePut(store.PutResult{New: true, Kind: protocol.KindDataset})
	m.ObservePut(store.PutResult{Added: 2})
	m.APIRoute("GET /v1/id")
	m.ObserveRequest("GET /v1/id", 404, time.Now())
	m.RefusedByGuard(403)
	m.TimeQuery("locate")()
	m.Swarm.ObserveProvide(time.Second, fmt.Errorf("no peers"))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"commons_objects_refused_total", []string{"reason", "invalid"}, 1},
		{"commons_objects_stored_total", []string{"kind", "dataset"}, 1},
		{"commons_signatures_merged_total", nil, 2},
		{"commons_api_requests_total", []string{"route", "GET /v1/id", "code", "4xx"}, 1},
		{"commons_api_requests_total", []string{"route", "GET /v1/id", "code", "2xx"}, 0},
		{"commons_api_request_duration_seconds", []string{"route", "GET /v1/id"}, 1},
		{"commons_api_requests_total", []string{"route", "guard", "code", "4xx"}, 1},
		{"commons_network_query_duration_seconds", []string{"query", "locate"}, 1},
		{"commons_dht_provide_duration_seconds", []string{"result", "failed"}, 1},
		{"commons_dht_provide_duration_seconds", []string{"result", "ok"}, 0},
	} {
		if got, _ := value(t, m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%q = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// A lookup counts once: found when it yields a provider, none when it ends
// without one.
func TestLookupTimerCountsItsFirstEnd(t *testing.T) {
	m := newMetrics(t)
	found := m.Swarm.TimeLookup()
	found.Found()
	found.Found()
	found.Done()
	m.Swarm.TimeLookup().Done()
	for result, want := range map[string]float64{"found": 1, "none": 1} {
		if got, _ := value(t, m, "commons_dht_lookup_duration_seconds", "result", result); got != want {
			t.Errorf("lookups %s = %v, want %v", result, got, want)
		}
	}
}

// The swarm's gauges read what SwarmReads return at each scrape.
func TestSwarmGaugesRead(t *testing.T) {
	m := newMetrics(t)
	peers, past := 3, true
	m.Swarm.RegisterGauges(metrics.SwarmReads{
		Peers:            func() int { return peers },
		RoutingTableSize: func() int { return 5 },
		Announcer: func() metrics.Announcer {
			return metrics.Announcer{Provided: 7, Failed: 1, Rounds: 2, Retrying: 1, LastRoundKeys: 8, LastRoundDuration: 1500 * time.Millisecond, Keys: 9, Queued: 3}
		},
		Disk:          func() metrics.Disk { return metrics.Disk{Free: 10, Total: 100, Store: 40} },
		PastWatermark: func() bool { return past },
		MinFreeRatio:  0.05,
		MaxBytes:      1 << 30,
	})
	check := func(want map[string]float64) {
		t.Helper()
		for name, w := range want {
			if got, ok := value(t, m, name); !ok || got != w {
				t.Errorf("%s = %v (present %v), want %v", name, got, ok, w)
			}
		}
	}
	check(map[string]float64{
		"commons_peers": 3, "commons_dht_routing_table_size": 5,
		"commons_announce_provided_total": 7, "commons_announce_failed_total": 1, "commons_announce_rounds_total": 2,
		"commons_announce_retrying": 1, "commons_announce_last_round_keys": 8, "commons_announce_last_round_seconds": 1.5,
		"commons_announce_keys": 9, "commons_announce_queued": 3,
		"commons_storage_free_bytes": 10, "commons_storage_total_bytes": 100, "commons_store_disk_bytes": 40,
		"commons_storage_min_free_ratio": 0.05, "commons_storage_max_bytes": 1 << 30, "commons_storage_past_watermark": 1,
	})
	peers, past = 4, false
	check(map[string]float64{"commons_peers": 4, "commons_storage_past_watermark": 0})
}
