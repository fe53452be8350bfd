// Package swarm is a node's part in its commons: the libp2p host, the
// Kademlia DHT under the network's prefix, the announcer of what the store
// holds (SPEC.md §7.2), the fetch protocol both ways, the peer scores, the
// gossip topics and the storage budgets of what peers send unasked (§7.4),
// and the network queries that gather what a read needs (§7.5).
//
// A Swarm is made by New from a Config — the network, the node key, the
// store, and the hooks through which it asks the node what only the node
// knows: how to admit and store an object with the node's checks, which
// keys are the node's or the stewards', the policy attribution obeys now,
// the clock — and Options, the tuning. The node keeps its own operations
// (publishing, ingest, the API) and tells the swarm of what it stored
// (Swarm.Stored).
//
// This package never imports node (the node imports it), never serves or
// speaks HTTP, never reads the repo's files or config, and never stores an
// object but through the node's hooks.
package swarm
