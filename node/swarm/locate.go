package swarm

import (
	"context"
	"slices"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// manifestNames judges o, a dataset with a manifest that p listed as
// naming a file of digest d under paths: it looks each path up in the
// manifest, reading only the chunks on the way to its entry — from the
// store, else from p, which listed the dataset and so holds its manifest
// whole, else from the providers of the manifest key (FetchChunks) — each
// checked against its ID and its parent. An entry of digest d stores o
// and, once the store holds it, is kept for Located; it reports whether it
// is. A record the door refuses is not located; one dated too far ahead
// is refused, and remembered, before its manifest is read. A manifest that says otherwise at every path,
// or does not add up to what the record says, is p's violation: o is not
// stored and p is penalised. A lookup that fails for want of time or
// chunks stores nothing and blames no one.
func (s *Search) manifestNames(ctx context.Context, p peer.ID, o *protocol.Object, d protocol.Digest, paths []string) bool {
	if s.sw.refusedEarly(o) {
		return false
	}
	root, _ := rootOf(o)
	r := manifest.NewReader(root, s.chunkFrom(ctx, p, root, o.ID))
	if err := r.CheckRoot(manifest.Root{ID: root, Count: o.Dataset.Manifest.Count, Bytes: o.Dataset.Manifest.Bytes}); err != nil {
		s.judgeManifest(p, o, err)
		return false
	}
	var found []string
	for _, path := range paths {
		e, ok, err := r.Lookup(path)
		if err != nil {
			s.judgeManifest(p, o, err)
			return false
		}
		if ok && e.Digest == d {
			found = append(found, e.Path)
		}
	}
	if len(found) == 0 {
		s.judgeManifest(p, o, protocol.E("locate", protocol.Invalid, "files with %s: listed %s under %q, where its manifest holds no such file", d, o.ID, paths))
		return false
	}
	if errs := s.Store([]*protocol.Object{o}); len(errs) != 1 || errs[0] != nil {
		s.sw.refusedEarly(o)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.located = append(s.located, store.Location{Dataset: o.ID, Name: o.Dataset.Name, Paths: found})
	return true
}

// judgeManifest penalises p for an error of kind Invalid — a manifest p
// listed that is not what p said: a holder indexes a manifest only once
// every chunk passed, and the chunks are fixed by the signed root — and
// remembers any error as p's failure. A chunk found nowhere blames no one:
// p may only have been busy.
func (s *Search) judgeManifest(p peer.ID, o *protocol.Object, err error) {
	if protocol.IsKind(err, protocol.Invalid) {
		s.sw.scores.Penalise(p, "locate: listed dataset "+o.ID.String()+": "+err.Error())
	}
	s.fail(p, err)
}

// chunkFrom returns the manifest.Fetch of a lookup in the manifest under
// root of dataset: the store, else lister, else the providers of the
// manifest key and of the record. What comes from the network is stored.
func (s *Search) chunkFrom(ctx context.Context, lister peer.ID, root manifest.ChunkID, dataset protocol.ID) manifest.Fetch {
	return func(id manifest.ChunkID) ([]byte, error) {
		if b, err := s.sw.cfg.Store.Chunk(id); err == nil || !protocol.IsKind(err, protocol.NotFound) {
			return b, err
		}
		got := map[manifest.ChunkID][]byte{}
		if missing, err := s.sw.chunksOf(ctx, lister, []manifest.ChunkID{id}, got); err != nil || len(missing) == 0 {
			return got[id], err
		}
		got, err := s.sw.FetchChunks(ctx, root, dataset, []manifest.ChunkID{id})
		if b, ok := got[id]; ok {
			return b, nil
		}
		if err == nil {
			err = protocol.E("fetch chunk", protocol.NotFound, "chunk %s: neither the peer that listed %s nor a provider of its manifest gives it", id, dataset)
		}
		return nil, err
	}
}

// Located returns the entries that the search found in manifests this
// node holds only in part, which its store does not index: each a dataset,
// its name and the paths under which its manifest lists the file asked
// for. A nil search found none.
func (s *Search) Located() []store.Location {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.located)
}
