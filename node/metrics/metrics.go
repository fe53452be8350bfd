package metrics

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// Node is a node's metrics: its registry, its own collectors, and those
// of its swarm. Counters the node only increments are fields; what takes
// a computed label or a duration is a method.
type Node struct {
	registry *prometheus.Registry
	stored   *prometheus.CounterVec // new objects by kind
	cosigned prometheus.Counter     // signatures merged into stored objects
	refused  *prometheus.CounterVec // objects refused, by error kind
	requests *prometheus.CounterVec // API requests by route and status class

	apiLatency   *prometheus.HistogramVec // by route
	queryLatency *prometheus.HistogramVec // network queries, by query

	// Fetched counts new objects fetched from peers to answer queries.
	Fetched prometheus.Counter
	// GovUpdates counts governance updates placed in the DAG, besides
	// those loaded from the store.
	GovUpdates prometheus.Counter
	// GovChanges counts governance states adopted: one per placement of
	// one or more updates.
	GovChanges prometheus.Counter

	// Swarm are the collectors the node's swarm counts in, registered
	// here from the start.
	Swarm *Swarm
}

// The bounded label values, each of whose series exists from the start.
var (
	// QueryNames are the values of the query label of network-query
	// latency: the names TimeQuery takes.
	QueryNames    = []string{"attribution", "credit", "license", "notice", "bundle", "locate", "show dataset", "get object", "derived"}
	statusClasses = []string{"2xx", "4xx", "5xx"}
)

// guardRoute is the route label of requests the API's guard refused
// before any route (SPEC.md §6.2).
const guardRoute = "guard"

// New returns the metrics of a node over st, whose governance state
// govState returns (nil for a node of no network yet), in a registry of
// their own.
func New(st *store.Store, govState func() *gov.State) *Node {
	m := &Node{
		registry: prometheus.NewRegistry(),
		stored:   counterVec("commons_objects_stored_total", "New objects stored since start, by kind.", "kind", kindLabels()...),
		cosigned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_signatures_merged_total", Help: "Signatures added to objects already stored, since start.",
		}),
		refused: counterVec("commons_objects_refused_total", "Objects refused since start, by error kind.", "reason", errorKindLabels()...),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commons_api_requests_total", Help: "HTTP API requests since start, by route and status class (2xx, 4xx, 5xx); route guard: refused before any route.",
		}, []string{"route", "code"}),
		Fetched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_objects_fetched_total", Help: "New objects fetched from peers to answer queries, since start.",
		}),
		GovUpdates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_governance_updates_total", Help: "Governance updates placed in the DAG since start, besides those loaded from the store.",
		}),
		GovChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commons_governance_state_changes_total", Help: "New governance states adopted since start: each placement of one or more updates makes one.",
		}),
		apiLatency: histogram("commons_api_request_duration_seconds", "Time to answer an HTTP API request, by route.", "route",
			[]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300}),
		queryLatency: histogram("commons_network_query_duration_seconds",
			"Time a read spent looking on the network (SPEC.md §7.5), by query: attribution, locate, show dataset, get object.", "query",
			[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, QueryNames...),
	}
	m.Swarm = newSwarm(m.registry)
	m.APIRoute(guardRoute)
	m.registry.MustRegister(m.Swarm.NotStored, m.GovUpdates, m.GovChanges, m.stored, m.cosigned, m.refused, m.requests, m.Fetched,
		m.Swarm.Gossiped, m.Swarm.AnnounceDropped, m.Swarm.ProviderRecordsRefused, m.apiLatency, m.queryLatency, m.Swarm.lookupLatency, m.Swarm.provideLatency, storeObjects{st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(governanceGauges(govState)...)
	return m
}

// Registry is the registry that holds every collector of the node, for
// the API to serve at /metrics and for tests to gather.
func (m *Node) Registry() *prometheus.Registry { return m.registry }

// counterVec returns a counter with one label, whose series for values
// exist at 0.
func counterVec(name, help string, label string, values ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	for _, v := range values {
		c.WithLabelValues(v)
	}
	return c
}

// histogram returns a histogram with one label, whose series for values
// exist empty.
func histogram(name, help, label string, buckets []float64, values ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, []string{label})
	for _, v := range values {
		h.WithLabelValues(v)
	}
	return h
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

// ObservePut counts what a store write did: a new object by its kind, or
// the signatures it merged into one already stored.
func (m *Node) ObservePut(res store.PutResult) {
	if res.New {
		m.stored.WithLabelValues(res.Kind.String()).Inc()
	} else if res.Added > 0 {
		m.cosigned.Add(float64(res.Added))
	}
}

// Refused counts an object refused with err, by err's kind.
func (m *Node) Refused(err error) {
	m.refused.WithLabelValues(protocol.KindOf(err).String()).Inc()
}

// APIRoute makes the series of an API route exist, at 0.
func (m *Node) APIRoute(route string) {
	for _, c := range statusClasses {
		m.requests.WithLabelValues(route, c)
	}
	m.apiLatency.WithLabelValues(route)
}

// ObserveRequest counts an API request to route that began at start and
// answered with code.
func (m *Node) ObserveRequest(route string, code int, start time.Time) {
	m.requests.WithLabelValues(route, statusClass(code)).Inc()
	m.apiLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// RefusedByGuard counts an API request the guard refused with code,
// before any route: its route label is guard.
func (m *Node) RefusedByGuard(code int) {
	m.requests.WithLabelValues(guardRoute, statusClass(code)).Inc()
}

// statusClass is the class of an HTTP status code: "2xx", "4xx" or "5xx"
// (the API answers no other).
func statusClass(code int) string {
	return strconv.Itoa(code/100) + "xx"
}

// TimeQuery starts timing a network query, one of QueryNames; the
// function it returns ends it.
func (m *Node) TimeQuery(query string) func() {
	start := time.Now()
	return func() { m.queryLatency.WithLabelValues(query).Observe(time.Since(start).Seconds()) }
}

// storeObjects is the gauge of the objects the store holds, by kind, read
// from the store's counts at each scrape: right after a restart, and after
// every write however it came.
type storeObjects struct{ st *store.Store }

var storeObjectsDesc = prometheus.NewDesc("commons_store_objects", "Objects the store holds, by kind.", []string{"kind"}, nil)

var storeChunksDesc = prometheus.NewDesc("commons_store_manifest_chunks", "Manifest chunks the store holds (SPEC.md §3.8); they are not objects.", nil, nil)

func (c storeObjects) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeObjectsDesc
	ch <- storeChunksDesc
}

func (c storeObjects) Collect(ch chan<- prometheus.Metric) {
	stats, err := c.st.Stats()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(storeObjectsDesc, err)
		return
	}
	for _, k := range objectKinds() {
		ch <- prometheus.MustNewConstMetric(storeObjectsDesc, prometheus.GaugeValue, float64(stats.ByKind[k]), k.String())
	}
	ch <- prometheus.MustNewConstMetric(storeChunksDesc, prometheus.GaugeValue, float64(stats.Chunks))
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
