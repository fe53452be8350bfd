package govsync

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// sync fetches from p the updates want and every ancestor of them this
// node lacks, in the background. One sync per peer runs at a time; a
// request while one runs is dropped (the next heads announcement repeats
// it).
func (s *Sync) sync(p peer.ID, want []protocol.ID) {
	s.mu.Lock()
	if s.syncing[p] {
		s.mu.Unlock()
		return
	}
	s.syncing[p] = true
	s.mu.Unlock()
	want = slices.Clone(want)
	s.net.Go(func() {
		defer func() {
			s.mu.Lock()
			delete(s.syncing, p)
			s.mu.Unlock()
		}()
		ctx := s.net.Context()
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-s.sem }()
		ctx, cancel := context.WithTimeout(ctx, syncTimeout)
		defer cancel()
		if err := s.fetchFrom(ctx, p, want); err != nil {
			s.log.Debug("governance: sync", "peer", p, "err", err)
		}
	})
}

// fetchFrom fetches want from p, then the missing ancestors of what
// arrives, breadth first, until nothing is missing or maxSync updates
// came. Every update passes the door (Admit) before it is placed: one
// dated too far ahead is left out for now, with its ancestors; any other
// refusal stops the sync and penalises p.
func (s *Sync) fetchFrom(ctx context.Context, p peer.ID, want []protocol.ID) error {
	asked := map[protocol.ID]bool{}
	queue := s.missing(want, asked)
	for fetched := 0; len(queue) > 0 && fetched < maxSync; {
		batch := queue[:min(len(queue), fetch.MaxIDs)]
		queue = queue[len(batch):]
		nodes, _, err := s.net.Fetch().GovNodes(ctx, p, batch)
		admitted := 0
		for _, raw := range nodes {
			fetched++
			a, aerr := s.Admit(raw.Bytes, raw.ID)
			switch {
			case protocol.IsKind(aerr, protocol.Transient):
				s.log.Debug("governance: sync", "peer", p, "err", aerr)
				continue
			case aerr != nil:
				s.net.Scores().Penalise(p, "bad answer: governance node: "+aerr.Error())
				return aerr
			}
			res, err := s.Place(a, "")
			if err != nil {
				return err
			}
			admitted++
			queue = append(queue, s.missing(res.Missing, asked)...)
		}
		if err != nil {
			return err
		}
		if admitted > 0 {
			// Updates this node lacked, asked for and checked: the peer
			// earns credit, as for objects the store took (swarm.Search.fetch).
			s.net.Scores().Reward(p)
		}
	}
	return nil
}

// missing returns the IDs of ids that are neither held nor asked for yet,
// nor refused as too early until their time comes, marking them asked
// (gov.ToFetch).
func (s *Sync) missing(ids []protocol.ID, asked map[protocol.ID]bool) []protocol.ID {
	now := s.cfg.Now()
	var out []protocol.ID
	s.view(func(g *gov.DAG) {
		s.mu.Lock()
		defer s.mu.Unlock()
		out = gov.ToFetch(g, ids, asked, func(id protocol.ID) bool { return s.tooEarlyLocked(id, now) })
	})
	return out
}

// findTimeout bounds the search for an update this node has not received
// yet (Find).
const findTimeout = 5 * time.Second

// Find asks the connected peers, a few at once, for update id and its
// missing ancestors, until found reports it is here or findTimeout
// passes; nothing when the sync is on no network.
func (s *Sync) Find(ctx context.Context, id protocol.ID, found func() bool) {
	if s.net == nil || s.net.GovTopic() == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, findTimeout)
	defer cancel()
	peers := s.net.Host().Network().Peers()
	for len(peers) == 0 && ctx.Err() == nil { // a node just started is still joining
		time.Sleep(50 * time.Millisecond)
		peers = s.net.Host().Network().Peers()
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, p := range peers {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.fetchFrom(ctx, p, []protocol.ID{id})
			if found() {
				cancel()
			}
		})
	}
	wg.Wait()
}
