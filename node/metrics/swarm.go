package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Swarm are the collectors a node's swarm counts in. Node makes them and
// registers them, so that their series exist from the node's start; the
// swarm registers its gauges with RegisterGauges when it starts.
type Swarm struct {
	registry prometheus.Registerer

	// Gossiped counts announce-topic messages, by outcome (GossipOutcomes).
	Gossiped *prometheus.CounterVec
	// NotStored counts valid objects received unasked and not stored, by
	// reason (NotStoredReasons).
	NotStored *prometheus.CounterVec
	// AnnounceDropped counts keys of new objects left for the next round.
	AnnounceDropped prometheus.Counter
	// ProviderRecordsRefused counts the new provider records that peers
	// sent and the node did not keep, by the bound that refused them
	// (ProviderRefusalReasons).
	ProviderRecordsRefused *prometheus.CounterVec

	lookupLatency  *prometheus.HistogramVec // DHT provider lookups, by result: found, none
	provideLatency *prometheus.HistogramVec // DHT provides, by result: ok, failed
}

// The values of the swarm's labels, each of whose series exists from the
// start.
var (
	// GossipOutcomes are the values of the outcome label of
	// Swarm.Gossiped.
	GossipOutcomes = []string{"published", "stored", "known", "refused", "dropped"}
	// NotStoredReasons are the values of the reason label of
	// Swarm.NotStored: the budgets' verdicts that refuse (SPEC.md §7.4).
	NotStoredReasons = []string{"watermark", "peer budget", "signer budget", "stranger budget"}
	// ProviderRefusalReasons are the values of the reason label of
	// Swarm.ProviderRecordsRefused: the bounds of the provider records
	// (SPEC.md §7.2), as node/p2p names them.
	ProviderRefusalReasons = []string{"records", "bytes", "disk"}
)

func newSwarm(reg prometheus.Registerer) *Swarm {
	return &Swarm{
		registry: reg,
		Gossiped: counterVec("commons_gossip_messages_total",
			"Announce-topic messages since start: published, stored, known (already held), refused, dropped (over the publish queue).", "outcome", GossipOutcomes...),
		NotStored: counterVec("commons_gossip_not_stored_total",
			"Valid objects received on the announce topic and not stored, since start (SPEC.md §7.4): past the disk watermark (watermark), over the budget of the peer that passed them on (peer budget), of their issuer (signer budget) or of all strangers (stranger budget).",
			"reason", NotStoredReasons...),
		AnnounceDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_announce_dropped_total", Help: "Keys of new objects not announced at once (queue full), since start; the next round announces them.",
		}),
		ProviderRecordsRefused: counterVec("commons_dht_provider_records_refused_total",
			"New DHT provider records that peers sent and this node did not keep, since start (SPEC.md §7.2): the node held as many records as its bound (records), or as many bytes (bytes), or its repo's filesystem was below the min_free watermark (disk).",
			"reason", ProviderRefusalReasons...),
		lookupLatency: histogram("commons_dht_lookup_duration_seconds",
			"Time from the start of a DHT provider lookup to its first provider (result found), or to its end when it found none (result none).", "result",
			[]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60}, "found", "none"),
		provideLatency: histogram("commons_dht_provide_duration_seconds",
			"Time of one DHT provide (a lookup and the provider records sent), by result: ok or failed.", "result",
			[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, "ok", "failed"),
	}
}

// Registry is where the swarm's parts register collectors of their own
// (the peer scores', libp2p's): the node's registry.
func (m *Swarm) Registry() prometheus.Registerer { return m.registry }

// SwarmReads are what the swarm's gauges read at each scrape. Every
// function must be safe to call from any goroutine at any time after
// RegisterGauges.
type SwarmReads struct {
	Peers            func() int       // peers connected
	RoutingTableSize func() int       // peers in the DHT routing table
	Announcer        func() Announcer // the announcer's counts
	Disk             func() Disk      // the latest reading of the repo's disk
	PastWatermark    func() bool      // whether strangers' objects are not stored now
	MinFreeRatio     float64          // the disk watermark, a fraction of the filesystem
	MaxBytes         int64            // the store size past which strangers' objects are not stored; 0: none
}

// Announcer are the counts of the swarm's announcer, of either kind
// (SPEC.md §7.2): the one that provides each key on its own ("each"), or
// the one that sweeps the keyspace region by region ("sweep"). A key
// counts once each time it is provided, first announcement and renewal
// alike.
type Announcer struct {
	Provided, Failed uint64 // keys provided, and keys whose provide failed, since start
	// Rounds: "each", rounds completed (every key of the store provided);
	// "sweep", 1 once every key of the store was handed to the sweeper
	// and announced, renewals then going region by region.
	Rounds            uint64
	Retrying          int           // "each": keys whose provide failed, waiting for a retry
	LastRoundKeys     int           // "each": keys of the last round
	LastRoundDuration time.Duration // "each": duration of the last round
	// Keys are the keys kept announced: "each", those of the last round;
	// "sweep", those of its keystore.
	Keys int64
	// Queued are the keys handed to the announcer and not yet announced
	// once: "each", the new keys waiting (the swarm's queue, counted by
	// the swarm); "sweep", those waiting for or in their region's
	// exploration.
	Queued int64
}

// Disk is a reading of the repo's disk.
type Disk struct {
	Free, Total uint64 // bytes free to the daemon and of the filesystem; 0 when unknown
	Store       int64  // bytes the store occupies on disk
}

// RegisterGauges adds the gauges of the network (peers, the DHT, the
// announcer) and of the disk watermark (SPEC.md §7.4), read through r at
// each scrape.
func (m *Swarm) RegisterGauges(r SwarmReads) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	m.registry.MustRegister(
		gauge("commons_peers", "Peers connected.", func() float64 { return float64(r.Peers()) }),
		gauge("commons_dht_routing_table_size", "Peers in the DHT routing table.", func() float64 { return float64(r.RoutingTableSize()) }),
		counter("commons_announce_provided_total", "Keys provided since start, renewals included.", func() float64 { return float64(r.Announcer().Provided) }),
		counter("commons_announce_failed_total", "Keys whose provide failed since start.", func() float64 { return float64(r.Announcer().Failed) }),
		counter("commons_announce_rounds_total", "Announce rounds completed since start.", func() float64 { return float64(r.Announcer().Rounds) }),
		gauge("commons_announce_retrying", "Keys whose provide failed, waiting for a retry.", func() float64 { return float64(r.Announcer().Retrying) }),
		gauge("commons_announce_last_round_keys", "Keys of the last round.", func() float64 { return float64(r.Announcer().LastRoundKeys) }),
		gauge("commons_announce_last_round_seconds", "Duration of the last round.", func() float64 { return r.Announcer().LastRoundDuration.Seconds() }),
		gauge("commons_announce_keys", "Keys kept announced: of the last round (each), of the keystore (sweep).", func() float64 { return float64(r.Announcer().Keys) }),
		gauge("commons_announce_queued", "Keys handed to the announcer and not yet announced once.", func() float64 { return float64(r.Announcer().Queued) }),
	)
	m.registry.MustRegister(
		gauge("commons_storage_free_bytes", "Bytes free to the daemon on the repo's filesystem (0 when unknown).", func() float64 { return float64(r.Disk().Free) }),
		gauge("commons_storage_total_bytes", "Bytes of the repo's filesystem (0 when unknown).", func() float64 { return float64(r.Disk().Total) }),
		gauge("commons_store_disk_bytes", "Bytes the store occupies on disk.", func() float64 { return float64(r.Disk().Store) }),
		gauge("commons_storage_min_free_ratio", "The disk watermark: strangers' objects are not stored below this fraction of the filesystem free.", func() float64 { return r.MinFreeRatio }),
		gauge("commons_storage_max_bytes", "The store size past which strangers' objects are not stored (0: none).", func() float64 { return float64(r.MaxBytes) }),
		gauge("commons_storage_past_watermark", "1 when the disk is past its watermark and strangers' objects are not stored, else 0.", func() float64 {
			if r.PastWatermark() {
				return 1
			}
			return 0
		}),
	)
}

// LookupTimer times one DHT provider lookup, from the goroutine that reads
// it: Found when it yields its first provider, Done when it ends; only the
// first of the two counts. It is not safe for concurrent use.
type LookupTimer struct {
	start    time.Time
	h        *prometheus.HistogramVec
	observed bool
}

// TimeLookup starts timing a DHT provider lookup.
func (m *Swarm) TimeLookup() *LookupTimer {
	return &LookupTimer{start: time.Now(), h: m.lookupLatency}
}

// Found ends the lookup's timing with result found, unless it has ended.
func (t *LookupTimer) Found() { t.observe("found") }

// Done ends the lookup's timing with result none, unless it has ended.
func (t *LookupTimer) Done() { t.observe("none") }

func (t *LookupTimer) observe(result string) {
	if !t.observed {
		t.observed = true
		t.h.WithLabelValues(result).Observe(time.Since(t.start).Seconds())
	}
}

// ObserveProvide records one DHT provide that took d and failed with err
// (nil when it succeeded); it fits p2p.AnnouncerOptions.Observe.
func (m *Swarm) ObserveProvide(d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.provideLatency.WithLabelValues(result).Observe(d.Seconds())
}
