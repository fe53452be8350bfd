package node

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// metrics are a node's Prometheus metrics, in a registry of its own so that
// many nodes can live in one process (tests, simulations). docs/OPERATING.md
// lists them all. Their rules: a count since start is a counter named
// _total; what the node holds is a gauge read from where it is kept (the
// store, the governance state), so it is right after a restart; every
// label takes a bounded set of values, each series of which exists from
// the start, at 0.
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
	govChanges      prometheus.Counter     // governance states adopted
	notStored       *prometheus.CounterVec // valid objects received unasked and not stored, by budget

	apiLatency     *prometheus.HistogramVec // by route
	queryLatency   *prometheus.HistogramVec // network queries, by query
	lookupLatency  *prometheus.HistogramVec // DHT provider lookups, by result
	provideLatency *prometheus.HistogramVec // DHT provides, by result
}

// The bounded label values, each of whose series exists from the start.
var (
	queryNames    = []string{"attribution", "locate", "show dataset", "get object"}
	statusClasses = []string{"2xx", "4xx", "5xx"}
)

// guardRoute is the route label of requests the API's guard refused
// before any route (SPEC.md §6.2).
const guardRoute = "guard"

// newMetrics returns the metrics of a node over st, whose governance
// state gov returns (nil for a node of no network yet).
func newMetrics(st *store.Store, govState func() *gov.State) *metrics {
	counterVec := func(name, help string, label string, values ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
		for _, v := range values {
			c.WithLabelValues(v)
		}
		return c
	}
	histogram := func(name, help, label string, buckets []float64, values ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, []string{label})
		for _, v := range values {
			h.WithLabelValues(v)
		}
		return h
	}
	m := &metrics{
		reg:    prometheus.NewRegistry(),
		stored: counterVec("commons_objects_stored_total", "New objects stored since start, by kind.", "kind", kindLabels()...),
		cosigned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_signatures_merged_total", Help: "Signatures added to objects already stored, since start.",
		}),
		refused: counterVec("commons_objects_refused_total", "Objects refused since start, by error kind.", "reason", errorKindLabels()...),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_api_requests_total", Help: "HTTP API requests since start, by route and status class (2xx, 4xx, 5xx); route guard: refused before any route.",
		}, []string{"route", "code"}),
		fetched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_objects_fetched_total", Help: "New objects fetched from peers to answer queries, since start.",
		}),
		gossiped: counterVec("commons_gossip_messages_total",
			"Announce-topic messages since start: published, stored, known (already held), refused, dropped (over the publish queue).", "outcome", swarm.GossipOutcomes...),
		announceDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_announce_dropped_total", Help: "Keys of new objects not announced at once (queue full), since start; the next round announces them.",
		}),
		govUpdates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_governance_updates_total", Help: "Governance updates placed in the DAG since start, besides those loaded from the store.",
		}),
		govChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_governance_state_changes_total", Help: "New governance states adopted since start: each placement of one or more updates makes one.",
		}),
		notStored: counterVec("commons_gossip_not_stored_total",
			"Valid objects received on the announce topic and not stored, since start (SPEC.md §7.4): past the disk watermark (watermark), over the budget of the peer that passed them on (peer budget), of their issuer (signer budget) or of all strangers (stranger budget).",
			"reason", swarm.NotStoredReasons()...),
		apiLatency: histogram("commons_api_request_duration_seconds", "Time to answer an HTTP API request, by route.", "route",
			[]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300}),
		queryLatency: histogram("commons_network_query_duration_seconds",
			"Time a read spent looking on the network (SPEC.md §7.5), by query: attribution, locate, show dataset, get object.", "query",
			[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, queryNames...),
		lookupLatency: histogram("commons_dht_lookup_duration_seconds",
			"Time from the start of a DHT provider lookup to its first provider (result found), or to its end when it found none (result none).", "result",
			[]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60}, "found", "none"),
		provideLatency: histogram("commons_dht_provide_duration_seconds",
			"Time of one DHT provide (a lookup and the provider records sent), by result: ok or failed.", "result",
			[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, "ok", "failed"),
	}
	m.apiRoute(guardRoute)
	m.reg.MustRegister(m.notStored, m.govUpdates, m.govChanges, m.stored, m.cosigned, m.refused, m.requests, m.fetched, m.gossiped, m.announceDropped,
		m.apiLatency, m.queryLatency, m.lookupLatency, m.provideLatency, storeObjects{st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(governanceGauges(govState)...)
	return m
}

// kindLabels are the values of the kind label: the kinds of object.
func kindLabels() []string {
	var out []string
	for _, k := range objectKinds() {
		out = append(out, k.String())
	}
	return out
}

// errorKindLabels are the values of the reason label of refusals: the
// error kinds.
func errorKindLabels() []string {
	var out []string
	for k := protocol.Other; !strings.HasPrefix(k.String(), "kind("); k++ {
		out = append(out, k.String())
	}
	return out
}

// objectKinds are the kinds of object a node stores.
func objectKinds() []protocol.ObjectKind {
	var out []protocol.ObjectKind
	for k := protocol.KindDataset; k.PredicateType() != ""; k++ {
		out = append(out, k)
	}
	return out
}

func (m *metrics) observePut(res store.PutResult) {
	if res.New {
		m.stored.WithLabelValues(res.Kind.String()).Inc()
	} else if res.Added > 0 {
		m.cosigned.Add(float64(res.Added))
	}
}

// apiRoute makes the series of an API route exist, at 0.
func (m *metrics) apiRoute(route string) {
	for _, c := range statusClasses {
		m.requests.WithLabelValues(route, c)
	}
	m.apiLatency.WithLabelValues(route)
}

// observeRequest counts an API request that began at start and answered
// with code.
func (m *metrics) observeRequest(route string, code int, start time.Time) {
	m.requests.WithLabelValues(route, statusClass(code)).Inc()
	m.apiLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// statusClass is the class of an HTTP status code: "2xx", "4xx" or "5xx"
// (the API answers no other).
func statusClass(code int) string {
	return strconv.Itoa(code/100) + "xx"
}

// timeQuery starts timing a network query; the function it returns ends it.
func (m *metrics) timeQuery(query string) func() {
	start := time.Now()
	return func() { m.queryLatency.WithLabelValues(query).Observe(time.Since(start).Seconds()) }
}

// storeObjects is the gauge of the objects the store holds, by kind, read
// from the store's counts at each scrape: right after a restart, and after
// every write however it came.
type storeObjects struct{ st *store.Store }

var storeObjectsDesc = prometheus.NewDesc("commons_store_objects", "Objects the store holds, by kind.", []string{"kind"}, nil)

func (c storeObjects) Describe(ch chan<- *prometheus.Desc) { ch <- storeObjectsDesc }

func (c storeObjects) Collect(ch chan<- prometheus.Metric) {
	stats, err := c.st.Stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(storeObjectsDesc, err)
		return
	}
	for _, k := range objectKinds() {
		ch <- prometheus.MustNewConstMetric(storeObjectsDesc, prometheus.GaugeValue, float64(stats.ByKind[k]), k.String())
	}
}

// governanceGauges are the gauges of the governance state gov returns,
// read at each scrape; all 0 for a node of no network yet.
func governanceGauges(govState func() *gov.State) []prometheus.Collector {
	gauge := func(name, help string, f func(*gov.State) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if s := govState(); s != nil {
				return float64(f(s))
			}
			return 0
		})
	}
	return []prometheus.Collector{
		gauge("commons_governance_stewards", "Current stewards of the commons.", func(s *gov.State) int { return len(s.Stewards()) }),
		gauge("commons_governance_threshold", "Yes votes of current stewards that pass a proposal.", (*gov.State).Threshold),
		gauge("commons_governance_proposals_open", "Proposals open in the current state.", openProposals),
		gauge("commons_governance_revoked_keys", "Keys revoked by governance.", func(s *gov.State) int { return len(s.Revoked()) }),
		gauge("commons_governance_updates_applied", "Governance updates applied in the current state (the state document's updates).", (*gov.State).Updates),
	}
}

func openProposals(s *gov.State) int {
	open := 0
	for _, p := range s.Proposals() {
		if p.Status == gov.ProposalOpen {
			open++
		}
	}
	return open
}
