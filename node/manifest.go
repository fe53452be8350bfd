package node

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// A dataset's files are read as one sorted list whatever the record does
// with them (SPEC.md §3.8): the manifest it names, read chunk by chunk from
// the store and, when a chunk is missing, from peers; or the file subjects
// of a record that lists them, in key order.

// PutChunks stores manifest chunks uploaded through the API, each checked
// alone (SPEC.md §3.8, rules 1–8); the dataset record that names their
// root checks the rest when it is published.
func (n *Node) PutChunks(_ context.Context, chunks [][]byte) (api.PutChunksResult, error) {
	results, err := n.store.PutChunks(chunks)
	if err != nil {
		return api.PutChunksResult{}, err
	}
	out := api.PutChunksResult{Chunks: len(chunks), Refused: []api.ChunkRefusal{}}
	for i, r := range results {
		if r.Err != nil {
			out.Refused = append(out.Refused, api.ChunkRefusal{Index: i, Error: r.Err.Error(), Kind: protocol.KindOf(r.Err).String()})
			continue
		}
		out.Stored++
		if r.New {
			out.New++
			out.Bytes += int64(len(chunks[i]))
		}
	}
	return out, nil
}

// manifestRoot is the root a record names, as the manifest package reads it.
func manifestRoot(m *protocol.ManifestRef) manifest.Root {
	return manifest.Root{ID: manifest.ChunkIDFromDigest(m.Root.Digest()), Count: m.Count, Bytes: m.Bytes}
}

// chunkFetch reads the chunks of the manifest of dataset from the store
// and, unless q.Local or the node is not on a network, asks peers for a
// chunk the store lacks (stored once verified: swarm.FetchChunks). All the
// chunks a request reads through it are fetched within q's timeout,
// counted from now.
func (n *Node) chunkFetch(ctx context.Context, dataset protocol.ID, root manifest.ChunkID, q api.QueryOptions) manifest.Fetch {
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = api.DefaultQueryTimeout
	}
	deadline := time.Now().Add(min(timeout, api.MaxQueryTimeout))
	return func(id manifest.ChunkID) ([]byte, error) {
		b, err := n.store.Chunk(id)
		if err == nil || !protocol.IsKind(err, protocol.NotFound) || q.Local || n.net == nil {
			return b, err
		}
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		got, err := n.net.FetchChunks(ctx, root, dataset, []manifest.ChunkID{id})
		if b, ok := got[id]; ok {
			return b, nil
		}
		if err != nil && !protocol.IsKind(err, protocol.NotFound) {
			return nil, err
		}
		return nil, protocol.E("read manifest", protocol.NotFound, "chunk %s of the manifest of %s is neither held here nor found on the network", id, dataset)
	}
}

// filesOf reads one page of the files of dataset o, in key order: the
// files whose key comes after page.After, at most page.Limit of them.
func (n *Node) filesOf(ctx context.Context, o *protocol.Object, page api.FilesPage, q api.QueryOptions) (files []api.FileView, next string, err error) {
	limit := page.Limit
	if limit <= 0 {
		limit = api.DefaultFilesLimit
	}
	var entries []manifest.Entry
	var more bool
	if m := o.Dataset.Manifest; m != nil {
		root := manifestRoot(m)
		r := manifest.NewReader(root.ID, n.chunkFetch(ctx, o.ID, root.ID, q))
		if err := r.CheckRoot(root); err != nil {
			return nil, "", err
		}
		if entries, more, err = r.Page(page.After, limit); err != nil {
			return nil, "", err
		}
	} else {
		entries, more = pageFiles(o.Files, page.After, limit)
	}
	files = make([]api.FileView, len(entries))
	for i, e := range entries {
		files[i] = api.FileView{Name: e.Path, SHA256: e.Digest.Hex(), Size: e.Size}
	}
	if more {
		next = entries[len(entries)-1].Path
	}
	return files, next, nil
}

// pageFiles pages through the files a record lists, in key order.
func pageFiles(files []protocol.File, after string, limit int) ([]manifest.Entry, bool) {
	all := sortedEntries(files)
	if after != "" {
		key := manifest.Key(after)
		i, _ := slices.BinarySearchFunc(all, key, func(e manifest.Entry, k string) int { return cmp.Compare(e.Key(), k) })
		for i < len(all) && all[i].Key() <= key {
			i++
		}
		all = all[i:]
	}
	if len(all) > limit {
		return all[:limit], true
	}
	return all, false
}

// sortedEntries are the files of a record as entries, in key order.
func sortedEntries(files []protocol.File) []manifest.Entry {
	all := make([]manifest.Entry, len(files))
	for i, f := range files {
		all[i] = manifest.Entry{Path: f.Name, Size: f.Size, Digest: f.Digest}
	}
	slices.SortStableFunc(all, func(a, b manifest.Entry) int { return cmp.Compare(a.Key(), b.Key()) })
	return all
}

// treeOf is the tree of dataset o's files, its root and how to read its
// chunks: the manifest it names, or one built in memory from the files its
// record lists, so that two datasets compare alike whichever way each
// holds its files.
func (n *Node) treeOf(ctx context.Context, o *protocol.Object, q api.QueryOptions) (manifest.ChunkID, manifest.Fetch, error) {
	if m := o.Dataset.Manifest; m != nil {
		root := manifestRoot(m)
		fetch := n.chunkFetch(ctx, o.ID, root.ID, q)
		return root.ID, fetch, manifest.NewReader(root.ID, fetch).CheckRoot(root)
	}
	chunks := map[manifest.ChunkID][]byte{}
	b := manifest.NewBuilder(func(id manifest.ChunkID, c []byte) error {
		chunks[id] = c
		return nil
	})
	for _, e := range sortedEntries(o.Files) {
		if err := b.Add(e); err != nil {
			return manifest.ChunkID{}, nil, protocol.E("diff", protocol.Invalid, "the files of %s do not make one tree: %w", o.ID, err)
		}
	}
	root, err := b.Root()
	if err != nil {
		return manifest.ChunkID{}, nil, err
	}
	return root.ID, func(id manifest.ChunkID) ([]byte, error) {
		if c, ok := chunks[id]; ok {
			return c, nil
		}
		return nil, protocol.E("diff", protocol.NotFound, "chunk %s is not among those of the files of %s", id, o.ID)
	}, nil
}

// DatasetDiff says what changed from dataset from to dataset id: the
// changes in key order, the first limit of them listed, every one counted.
// Two manifests are compared chunk by chunk, and a subtree they share is
// never read (manifest.Diff).
func (n *Node) DatasetDiff(ctx context.Context, id, from protocol.ID, limit int, q api.QueryOptions) (api.DatasetDiff, error) {
	const op = "diff"
	if limit <= 0 {
		limit = api.DefaultFilesLimit
	}
	var roots [2]manifest.ChunkID
	var fetches [2]manifest.Fetch
	var onNetwork [2]bool // a manifest, whose chunks the store may lack
	for i, d := range []protocol.ID{from, id} {
		o, err := n.datasetObject(ctx, op, d, q)
		if err != nil {
			return api.DatasetDiff{}, err
		}
		onNetwork[i] = o.Dataset.Manifest != nil
		if roots[i], fetches[i], err = n.treeOf(ctx, o, q); err != nil {
			return api.DatasetDiff{}, err
		}
	}
	// Each chunk is one tree's or both's: chunk IDs are content addresses,
	// so any source will do, and the sources are asked nearest first, the
	// store before a tree built in memory, and the network last.
	fetch := func(c manifest.ChunkID) ([]byte, error) {
		b, err := n.store.Chunk(c)
		if !protocol.IsKind(err, protocol.NotFound) {
			return b, err
		}
		for i := range 2 {
			if !onNetwork[i] {
				if b, err := fetches[i](c); err == nil {
					return b, nil
				}
			}
		}
		for i := range 2 {
			if onNetwork[i] {
				if b, err = fetches[i](c); !protocol.IsKind(err, protocol.NotFound) {
					return b, err
				}
			}
		}
		return nil, err
	}
	out := api.DatasetDiff{ID: id, From: from, Changes: []api.FileChange{}}
	view := func(e manifest.Entry) *api.FileView {
		return &api.FileView{Name: e.Path, SHA256: e.Digest.Hex(), Size: e.Size}
	}
	err := manifest.Diff(roots[0], roots[1], fetch, func(c manifest.Change) bool {
		fc := api.FileChange{Change: c.Kind.String()}
		switch c.Kind {
		case manifest.Added:
			out.Added++
			fc.New = view(c.New)
		case manifest.Removed:
			out.Removed++
			fc.Old = view(c.Old)
		case manifest.Changed:
			out.Changed++
			fc.Old, fc.New = view(c.Old), view(c.New)
		}
		if len(out.Changes) < limit {
			out.Changes = append(out.Changes, fc)
		} else {
			out.More = true
		}
		return true
	})
	return out, err
}

// datasetObject returns the dataset id, fetched from the network when it
// is not stored here (unless q.Local).
func (n *Node) datasetObject(ctx context.Context, op string, id protocol.ID, q api.QueryOptions) (*protocol.Object, error) {
	if err := n.fetchIfMissing(ctx, op, id, q); err != nil {
		return nil, err
	}
	o, err := n.store.Object(id)
	if err != nil {
		return nil, err
	}
	if o.Kind != protocol.KindDataset {
		return nil, protocol.E(op, protocol.Invalid, "%s is a %s, not a dataset", id, o.Kind)
	}
	return o, nil
}

// IndexManifests indexes every dataset held whose manifest is not indexed
// yet (store.IndexManifest): one whose record arrived before its chunks,
// or that a daemon stopped while indexing. A dataset whose manifest still
// lacks a chunk, or is invalid, stays as it is. It returns how many it
// indexed, when done or when ctx ends.
func (n *Node) IndexManifests(ctx context.Context) (int, error) {
	objs, err := n.store.Datasets()
	if err != nil {
		return 0, err
	}
	indexed := 0
	for _, o := range objs {
		if ctx.Err() != nil {
			return indexed, ctx.Err()
		}
		if o.Dataset.Manifest == nil {
			continue
		}
		if whole, err := n.store.ManifestWhole(o.ID); err != nil || whole {
			continue
		}
		switch _, err := n.store.IndexManifest(o.ID); {
		case err == nil:
			indexed++
		case protocol.IsKind(err, protocol.NotFound), protocol.IsKind(err, protocol.Invalid):
		default:
			return indexed, err
		}
	}
	return indexed, nil
}
