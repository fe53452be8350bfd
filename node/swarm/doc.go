// Package swarm is a node's part in its commons: the libp2p host, the
// Kademlia DHT under the network's prefix, the announcer of what the store
// holds (SPEC.md §7.2), the fetch protocol both ways, the peer scores, the
// gossip topics and the storage budgets of what peers send unasked (§7.4),
// the network queries that gather what a read needs (§7.5), the chunks of
// manifests (FetchChunks, §7.2, §7.3), and the governance topic (§8.9).
//
// A Swarm is made by New from a Config — the network, the node key, the
// store, and the hooks through which it asks the node what only the node
// knows: how to admit and store an object with the node's checks, which
// keys are the node's or the stewards', the policy attribution obeys now,
// the clock — and Options, the tuning. The node keeps its own operations
// (publishing, ingest, the API) and tells the swarm of what it stored
// (Swarm.Stored).
//
// Governance sync lives in the subpackage govsync: the door of governance
// updates, the governance topic's validator and delivery, the heads
// announcements, the fetch of a peer's missing updates and the per-peer
// bound on held updates. The node makes its govsync.Sync (the door serves
// it before any network) and gives it in Config.Gov; the swarm attaches it
// to its host, fetch client and scores, joins the topic with its handlers
// and runs it (Start), and publishes through it (PublishGov, FindGov).
// The DAG stays the node's.
//
// This package never imports node (the node imports it), never serves or
// speaks HTTP, never reads the repo's files or config, never stores an
// object but through the node's hooks (manifest chunks, which are data
// checked against their IDs and not objects, it stores itself with
// store.PutChunks), and never holds or changes the
// governance DAG but through govsync and the node's Governance.
package swarm
