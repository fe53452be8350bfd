package swarm

import (
	"context"
	"errors"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// A dataset with a manifest (SPEC.md §3.8) lists its files in chunks
// outside its record. A node that holds the whole manifest announces its
// manifest key, the root chunk's ID, and the file key of every entry; a
// node that needs a few chunks — those on the path to one entry — asks the
// providers of the manifest key for them, and then the providers of the
// record, and never reads the rest of the tree (SPEC.md §7.2, §7.3).

// ManifestKey is the DHT key of a manifest whose root chunk is root: the
// root's ID, an artifact ID (codec raw). A provider of it holds the whole
// manifest.
func ManifestKey(root manifest.ChunkID) cid.Cid { return root.ID().Cid() }

// rootOf returns the root chunk of the manifest o names; ok is false when
// o is not a dataset with a manifest.
func rootOf(o *protocol.Object) (root manifest.ChunkID, ok bool) {
	if o.Kind != protocol.KindDataset || o.Dataset == nil || o.Dataset.Manifest == nil {
		return manifest.ChunkID{}, false
	}
	return manifest.ChunkIDFromDigest(o.Dataset.Manifest.Root.Digest()), true
}

// FetchChunks returns the chunks ids of the manifest whose root is root,
// which the record dataset names: those the store holds, and those that
// the providers of the manifest key give, then those of dataset's object
// key, at most MaxIDs a request and searchProviders providers a key. Each
// chunk a peer gives is checked by the fetch client (its bytes hash to its
// ID, it decodes as a chunk) and stored with store.PutChunks before it is
// returned; what its parent says of it is for the caller's
// manifest.Reader to check. A chunk absent from the map was found
// nowhere. A peer that fails or misbehaves is passed over (the client
// penalises one that breaks the protocol). The error is the store's, or
// the end of ctx (kind Transient); the chunks found before it are
// returned with it. FetchChunks is not for a nil swarm.
func (s *Swarm) FetchChunks(ctx context.Context, root manifest.ChunkID, dataset protocol.ID, ids []manifest.ChunkID) (map[manifest.ChunkID][]byte, error) {
	const op = "fetch chunks"
	got := make(map[manifest.ChunkID][]byte, len(ids))
	var missing []manifest.ChunkID
	seen := make(map[manifest.ChunkID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		b, err := s.cfg.Store.Chunk(id)
		switch {
		case err == nil:
			got[id] = b
		case protocol.IsKind(err, protocol.NotFound):
			missing = append(missing, id)
		default:
			return got, protocol.E(op, protocol.KindOf(err), "%w", err)
		}
	}
	for _, key := range []cid.Cid{ManifestKey(root), protocol.ObjectKey(dataset)} {
		if len(missing) == 0 {
			break
		}
		var err error
		if missing, err = s.chunksFrom(ctx, key, missing, got); err != nil {
			return got, protocol.E(op, protocol.KindOf(err), "manifest %s of %s: %w", root, dataset, err)
		}
	}
	if err := ctx.Err(); err != nil && len(missing) > 0 {
		return got, protocol.E(op, protocol.Transient, "manifest %s of %s: %d chunks not found: %w", root, dataset, len(missing), err)
	}
	return got, nil
}

// chunksFrom asks the providers of key, one after another, for the chunks
// still missing, adds what they give to got, and returns what is still
// missing.
func (s *Swarm) chunksFrom(ctx context.Context, key cid.Cid, missing []manifest.ChunkID, got map[manifest.ChunkID][]byte) ([]manifest.ChunkID, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	self := s.host.ID()
	for ai := range s.dht.FindProvidersAsync(ctx, key, searchProviders+1) {
		if ai.ID == self {
			continue
		}
		if len(ai.Addrs) > 0 {
			s.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.TempAddrTTL)
		}
		s.findAddrs(ctx, ai.ID) // a provider given without an address, as a search does
		var err error
		if missing, err = s.chunksOf(ctx, ai.ID, missing, got); err != nil || len(missing) == 0 {
			return missing, err
		}
	}
	return missing, nil
}

// chunksOf asks p for missing, MaxIDs at a time, and stores what it gives.
// A failure of p ends the asking of p, not the search. A call that p
// answered completely and that gave at least one chunk the store took
// earns p credit (SPEC.md §7.3).
func (s *Swarm) chunksOf(ctx context.Context, p peer.ID, missing []manifest.ChunkID, got map[manifest.ChunkID][]byte) ([]manifest.ChunkID, error) {
	var still []manifest.ChunkID
	for start := 0; start < len(missing); start += fetch.MaxIDs {
		batch := missing[start:min(start+fetch.MaxIDs, len(missing))]
		chunks, err := s.fetch.Chunks(ctx, p, batch)
		before := len(got)
		if serr := s.keepChunks(chunks, got); serr != nil {
			return nil, serr
		}
		if err == nil && len(got) > before {
			s.scores.Reward(p)
		}
		for _, id := range batch {
			if _, ok := got[id]; !ok {
				still = append(still, id)
			}
		}
		if err != nil {
			s.log.Debug("fetch chunks: peer failed", "peer", p, "err", err)
			return append(still, missing[min(start+fetch.MaxIDs, len(missing)):]...), nil
		}
	}
	return still, nil
}

// keepChunks stores chunks, checked by the fetch client, and adds each the
// store took to got. A chunk the store refuses (no room) is not returned:
// what FetchChunks returns is held here.
func (s *Swarm) keepChunks(chunks map[manifest.ChunkID][]byte, got map[manifest.ChunkID][]byte) error {
	if len(chunks) == 0 {
		return nil
	}
	ids := make([]manifest.ChunkID, 0, len(chunks))
	raw := make([][]byte, 0, len(chunks))
	for id, b := range chunks {
		ids, raw = append(ids, id), append(raw, b)
	}
	results, err := s.cfg.Store.PutChunks(raw)
	if err != nil {
		return err
	}
	var refused []error
	for i, r := range results {
		switch {
		case r.Err != nil:
			refused = append(refused, r.Err)
		case r.ID != ids[i]: // the store computes the ID the client checked
			refused = append(refused, protocol.E("store chunk", protocol.Other, "chunk %s stored as %s", ids[i], r.ID))
		default:
			got[r.ID] = raw[i]
		}
	}
	return errors.Join(refused...)
}
