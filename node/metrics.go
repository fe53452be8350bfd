package node

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/commons-p2p/commons/store"
)

// metrics are a node's Prometheus metrics, in a registry of its own so that
// many nodes can live in one process (tests, simulations).
type metrics struct {
	reg      *prometheus.Registry
	stored   *prometheus.CounterVec // new objects by kind
	cosigned prometheus.Counter     // signatures merged into stored objects
	refused  *prometheus.CounterVec // objects refused, by error kind
	requests *prometheus.CounterVec // API requests by route and status class

	fetched         prometheus.Counter     // new objects fetched from peers for queries
	gossiped        *prometheus.CounterVec // announce-topic messages by outcome
	announceDropped prometheus.Counter     // keys of new objects left for the next round
	govUpdates      prometheus.Counter     // governance updates placed
	notStored       *prometheus.CounterVec // valid objects received unasked and not stored, by budget
}

func newMetrics(st *store.Store) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_objects_stored_total", Help: "New objects stored, by kind.",
		}, []string{"kind"}),
		cosigned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_signatures_merged_total", Help: "Signatures added to objects already stored.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_objects_refused_total", Help: "Objects refused at ingest, by error kind.",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_api_requests_total", Help: "HTTP API requests, by route and status code.",
		}, []string{"route", "code"}),
		fetched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_objects_fetched_total", Help: "New objects fetched from peers to answer queries.",
		}),
		gossiped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_gossip_messages_total", Help: "Announce-topic messages: published, stored, known (already held), refused, dropped (over the publish queue).",
		}, []string{"outcome"}),
		announceDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_announce_dropped_total", Help: "Keys of new objects not announced at once (queue full); the next round announces them.",
		}),
	}
	m.govUpdates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "commons_governance_updates_total", Help: "Governance updates placed in the DAG since start, besides those loaded from the store.",
	})
	m.notStored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "commons_gossip_not_stored_total",
		Help: "Valid objects received on the announce topic and not stored (SPEC.md §7.4): past the disk watermark (watermark), over the budget of the peer that passed them on (peer budget) or of their issuer (signer budget).",
	}, []string{"reason"})
	m.reg.MustRegister(m.notStored, m.govUpdates, m.stored, m.cosigned, m.refused, m.requests, m.fetched, m.gossiped, m.announceDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observePut(res store.PutResult) {
	if res.New {
		m.stored.WithLabelValues(res.Kind.String()).Inc()
	} else if res.Added > 0 {
		m.cosigned.Add(float64(res.Added))
	}
}

// registerStorage adds the gauges of the disk watermark (SPEC.md §7.4).
// Each scrape reads the disk at most every diskCheckInterval.
func (m *metrics) registerStorage(b *budget) {
	disk := func() diskState { d, _ := b.diskNow(); return d }
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		gauge("commons_storage_free_bytes", "Bytes free to the daemon on the repo's filesystem (0 when unknown).", func() float64 { return float64(disk().Free) }),
		gauge("commons_storage_total_bytes", "Bytes of the repo's filesystem (0 when unknown).", func() float64 { return float64(disk().Total) }),
		gauge("commons_store_disk_bytes", "Bytes the store occupies on disk.", func() float64 { return float64(disk().Store) }),
		gauge("commons_storage_min_free_ratio", "The disk watermark: strangers' objects are not stored below this fraction of the filesystem free.", func() float64 { return b.limits.MinFree }),
		gauge("commons_storage_max_bytes", "The store size past which strangers' objects are not stored (0: none).", func() float64 { return float64(b.limits.MaxBytes) }),
		gauge("commons_storage_past_watermark", "1 when the disk is past its watermark and strangers' objects are not stored, else 0.", func() float64 {
			if b.pastWatermark() {
				return 1
			}
			return 0
		}),
	)
}
