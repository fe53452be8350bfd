// Package node is the commons daemon: it carries out what protocol decides,
// keeps the store, and serves the HTTP API that the CLI uses. It owns all
// I/O — disk, clock, network — so that protocol stays pure. Its part in
// the network is a swarm.Swarm (package node/swarm), to which it delegates;
// its API is served by package node/apiserver over the node's operations.
//
// It never decides a rule of the protocol itself (validity, trust and
// governance are protocol's and protocol/gov's), never writes the HTTP wire
// but through node/api's types, and is imported by none of its subpackages:
// node/layout_test.go holds the arrows.
package node

import (
	"log/slog"
	"time"

	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Version is the daemon's version, reported by /v1/id.
const Version = "0.1.0"

// Node is one commons node: its repo (keys, config), its store, and the
// operations the API exposes.
type Node struct {
	repo    *repo.Repo
	store   *store.Store
	log     *slog.Logger
	metrics *metrics.Node
	net     *swarm.Swarm // nil until StartNetwork
	gov     *governance  // nil for a node of no network

	// now is the clock; tests replace it.
	now func() time.Time
}

// New returns a node over an opened repo and store. The caller closes both.
func New(repo *repo.Repo, st *store.Store, log *slog.Logger) *Node {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Node{repo: repo, store: st, log: log, now: time.Now}
	n.metrics = metrics.New(st, n.govState)
	if err := n.openGovernance(); err != nil {
		log.Error("governance not loaded; the genesis alone rules", "err", err)
	}
	return n
}

// Store returns the node's store.
func (n *Node) Store() *store.Store { return n.store }

// Repo returns the node's repo.
func (n *Node) Repo() *repo.Repo { return n.repo }

// policy is what governance says attribution should obey: the current
// state; for a node of no network yet, its own key as the only steward.
func (n *Node) policy() protocol.Policy {
	if s := n.govState(); s != nil {
		return s
	}
	return n.repo.Policy()
}
