package swarm

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the node's collectors the swarm counts in, made and
// registered by the node so that their series exist from its start; the
// swarm registers its gauges (peers, the DHT, the announcer, the disk) in
// Registry when it starts.
type Metrics struct {
	Registry        prometheus.Registerer    // the swarm's gauges and the peer scores' metrics
	Gossiped        *prometheus.CounterVec   // announce-topic messages, by outcome (GossipOutcomes)
	NotStored       *prometheus.CounterVec   // valid objects received unasked and not stored, by reason (NotStoredReasons)
	AnnounceDropped prometheus.Counter       // keys of new objects left for the next round
	Lookup          *prometheus.HistogramVec // DHT provider lookups, by result: found, none
	Provide         *prometheus.HistogramVec // DHT provides, by result: ok, failed
}

// GossipOutcomes are the values of the outcome label of Metrics.Gossiped.
var GossipOutcomes = []string{"published", "stored", "known", "refused", "dropped"}

// registerMetrics adds the gauges of the network to the registry.
func (s *Swarm) registerMetrics() {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	s.cfg.Metrics.Registry.MustRegister(
		gauge("commons_peers", "Peers connected.", func() float64 { return float64(len(s.host.Network().Peers())) }),
		gauge("commons_dht_routing_table_size", "Peers in the DHT routing table.", func() float64 { return float64(s.dht.RoutingTable().Size()) }),
		counter("commons_announce_provided_total", "Provides that succeeded since start.", func() float64 { return float64(s.ann.Stats().Announced) }),
		counter("commons_announce_failed_total", "Provides that failed since start.", func() float64 { return float64(s.ann.Stats().Failed) }),
		counter("commons_announce_rounds_total", "Announce rounds completed since start.", func() float64 { return float64(s.ann.Stats().Rounds) }),
		gauge("commons_announce_retrying", "Keys whose provide failed, waiting for a retry.", func() float64 { return float64(s.ann.Stats().Retrying) }),
		gauge("commons_announce_last_round_keys", "Keys of the last round.", func() float64 { return float64(s.ann.Stats().LastRound.Keys) }),
		gauge("commons_announce_last_round_seconds", "Duration of the last round.", func() float64 { return s.ann.Stats().LastRound.Duration.Seconds() }),
	)
	s.registerStorage()
}

// registerStorage adds the gauges of the disk watermark (SPEC.md §7.4).
// Each scrape reads the disk at most every diskCheckInterval.
func (s *Swarm) registerStorage() {
	b := s.budget
	disk := func() DiskState { d, _ := b.DiskNow(); return d }
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	s.cfg.Metrics.Registry.MustRegister(
		gauge("commons_storage_free_bytes", "Bytes free to the daemon on the repo's filesystem (0 when unknown).", func() float64 { return float64(disk().Free) }),
		gauge("commons_storage_total_bytes", "Bytes of the repo's filesystem (0 when unknown).", func() float64 { return float64(disk().Total) }),
		gauge("commons_store_disk_bytes", "Bytes the store occupies on disk.", func() float64 { return float64(disk().Store) }),
		gauge("commons_storage_min_free_ratio", "The disk watermark: strangers' objects are not stored below this fraction of the filesystem free.", func() float64 { return b.limits.MinFree }),
		gauge("commons_storage_max_bytes", "The store size past which strangers' objects are not stored (0: none).", func() float64 { return float64(b.limits.MaxBytes) }),
		gauge("commons_storage_past_watermark", "1 when the disk is past its watermark and strangers' objects are not stored, else 0.", func() float64 {
			if b.PastWatermark() {
				return 1
			}
			return 0
		}),
	)
}

// lookupTimer times one DHT provider lookup, from the goroutine that reads
// it: found when it yields its first provider, done when it ends; only the
// first of the two counts.
type lookupTimer struct {
	start    time.Time
	h        *prometheus.HistogramVec
	observed bool
}

func (m Metrics) timeLookup() *lookupTimer {
	return &lookupTimer{start: time.Now(), h: m.Lookup}
}

func (t *lookupTimer) found() { t.observe("found") }
func (t *lookupTimer) done()  { t.observe("none") }

func (t *lookupTimer) observe(result string) {
	if !t.observed {
		t.observed = true
		t.h.WithLabelValues(result).Observe(time.Since(t.start).Seconds())
	}
}

// observeProvide records one DHT provide (p2p.AnnouncerOptions.Observe).
func (m Metrics) observeProvide(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.Provide.WithLabelValues(result).Observe(d.Seconds())
}
