// Package govsync is the network half of a node's governance (SPEC.md
// §8.2, §8.9): the door every update passes (Admit, with the memory of
// updates refused as dated too far ahead and the retry of stored ones),
// the governance topic's validator and delivery, the heads announcements
// and their timer, the sync that fetches a peer's missing updates, the
// bound on what one peer may make a node hold, and the search of a
// proposal a vote names.
//
// The decisions are protocol/gov's pure functions (Admit, DecideUpdate,
// CompareHeads, ToFetch); this package holds the timers, the goroutines,
// the per-peer counts and the messages. The DAG, its lock, the state and
// the storage of updates are the node's: a Sync reads the DAG and places
// updates only through the Governance it is given, and reaches the
// network only through the Net it is attached to (a *swarm.Swarm, which
// owns it: swarm.Config.Gov).
//
// This package never imports node or store, never holds the DAG but
// inside Governance.View and Governance.Add, never stores an update
// itself, and never serves or speaks HTTP.
package govsync
