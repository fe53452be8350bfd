package node

import (
	"context"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/creditview"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
)

// How a credit query gathers a lineage from the network: creditGatherers
// nodes at once, a node begun at most every creditPace. Gathering a node
// takes a few requests (its parents, the list of claims about it, the
// claims), so that the pace keeps under the rate a server grants one peer
// (fetch.DefaultRate, SPEC.md §7.3): a lineage is usually one publisher's,
// and a request refused for its rate is not asked again.
const (
	creditGatherers = 4
	creditPace      = 150 * time.Millisecond
)

// Credit shares the credit for id among everyone upstream of it (SPEC.md
// §4.7). Unless q.Local it first gathers from the network the whole
// lineage, to any depth, with the claims about every node of it, so that
// a node that never saw the lineage answers as its publisher's does; the
// answer is always made from the local index (creditview.Credit).
func (n *Node) Credit(ctx context.Context, id protocol.ID, min protocol.Trust, q api.QueryOptions) (*api.Credit, error) {
	if min == protocol.Revoked {
		return nil, protocol.E("credit", protocol.Invalid, "min_trust revoked: a revoked claim never counts; want asserted, acknowledged, mutual or certified")
	}
	s, cancel := n.newSearch(ctx, q)
	defer cancel()
	if s != nil {
		done := n.metrics.TimeQuery("credit")
		err := n.gatherLineage(ctx, s, id)
		done()
		if err != nil {
			return nil, err
		}
	}
	c, err := creditview.Credit(n.store, n.policy(), n.standings(), id, min)
	if err != nil {
		return nil, err
	}
	if len(c.Shares) == 0 && len(c.Missing) == 1 && c.Missing[0] == id {
		return nil, s.NotFound("credit", id)
	}
	if len(c.Shares) == 0 && !id.IsObject() {
		if a, err := n.store.Attribution(id, n.policy()); err == nil && a.Publisher.IsZero() && len(a.Contributors) == 0 && len(a.Lineage) == 0 {
			return nil, s.NotFound("credit", id) // nothing at all is known of the artifact
		}
	}
	return c, nil
}

// gatherLineage fetches what the credit of id needs and the node lacks:
// each node of its lineage as the store knows it at asserted (the widest
// graph: every derivation of an artifact), with the claims about it and
// its parents, round after round until a round finds no new node. A peer
// may fail to answer one of the many asks of a pass, and nothing says
// which: while a pass over the whole lineage stored something new, the
// lineage is gathered once more, at most creditPasses times in all. Then,
// as Attribution does for one subject, it asks for the rotations of the
// keys that signed a claim of the lineage without a role in it
// (store.CreditSigners): a rotation is what makes such a signature count
// (SPEC.md §4.6, §7.5).
func (n *Node) gatherLineage(ctx context.Context, s *swarm.Search, id protocol.ID) error {
	for pass := 0; pass < creditPasses && ctx.Err() == nil; pass++ {
		before, err := n.store.Stats()
		if err != nil {
			return err
		}
		if err := n.gatherPass(ctx, s, id); err != nil {
			return err
		}
		after, err := n.store.Stats()
		if err != nil {
			return err
		}
		if after.Objects == before.Objects {
			break
		}
	}
	keys, err := n.store.CreditSigners(id)
	if err != nil {
		return err
	}
	if len(keys) > 0 && ctx.Err() == nil {
		s.Rotations(keys)
	}
	return nil
}

// creditPasses bounds the passes of gatherLineage.
const creditPasses = 3

// gatherPass gathers every node of the lineage of id once.
func (n *Node) gatherPass(ctx context.Context, s *swarm.Search, id protocol.ID) error {
	gathered := map[protocol.ID]bool{}
	next := []protocol.ID{id}
	for len(next) > 0 && ctx.Err() == nil {
		var wg sync.WaitGroup
		slots := make(chan struct{}, creditGatherers)
		pace := time.NewTicker(creditPace)
		for _, x := range next {
			gathered[x] = true
			select {
			case <-pace.C:
			case <-ctx.Done():
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				s.Attribution(x)
			})
		}
		wg.Wait()
		pace.Stop()
		g, err := n.store.CreditGraph(id, n.policy(), protocol.Asserted, nil)
		if err != nil {
			return err
		}
		next = next[:0]
		for x := range g.Nodes {
			if !gathered[x] {
				next = append(next, x)
			}
		}
	}
	return nil
}
