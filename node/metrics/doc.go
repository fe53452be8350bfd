// Package metrics is a node's Prometheus metrics: one registry per node
// (so that many nodes can live in one process, as in tests and
// simulations) and every collector in it, with each series' name, labels
// and help text written here once. docs/OPERATING.md lists them all.
//
// Node holds the node's own collectors — objects stored, refused and
// fetched, API requests and their latency, network queries, governance —
// and the gauges read at each scrape from the store and the governance
// state. Swarm holds the collectors of the node's part in the network
// (gossip, the announcer, DHT lookups and provides, the storage budgets);
// the node makes it with Node and hands it to its swarm, which counts in
// it and, once started, registers the gauges of what only it can read.
// The peer scores (package node/p2p) and libp2p register their own
// collectors, in Swarm.Registry.
//
// The rules every metric here follows: a count since start is a counter
// named _total, and nothing else is; what the node holds is a gauge read
// from where it is kept (the store, the governance state), so that it is
// right after a restart; every label takes a bounded set of values, each
// series of which exists from the start, at 0.
//
// This package never serves HTTP (the node's API serves Registry at
// /metrics), never imports node or node/swarm (node/swarm imports it),
// never opens a network connection, and never reads the store but through
// Store.Stats at a scrape, nor writes it.
package metrics
