package store

import (
	"errors"
	"slices"
	"strings"
	"sync"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// A dataset with a manifest (SPEC.md §3.8) lists its files in chunks, not
// in its record, so storing the record indexes none of them. Once every
// chunk of the manifest is held, IndexManifest reads the whole tree from
// the store, checking every chunk and the tree as a whole, and only then
// writes an f/ entry for each digest of its entries, in transactions of
// bounded size, and last the marker w/<dataset>. Readers take the f/
// entries of a dataset with a manifest only once its marker is written
// (Locate, DatasetsPage): a manifest half indexed, or half held, is
// located nowhere.

// Limits of the file index of a manifest.
const (
	// maxManifestPaths is the most paths an f/ entry of a dataset with a
	// manifest keeps for one digest: the first ones in key order. A
	// publisher may list one digest under any number of paths (a million
	// empty files); the entry, read and rewritten as the paths of each
	// batch join it, stays small.
	maxManifestPaths = 64
	// maxBadManifests bounds the datasets remembered as having a manifest
	// that breaks a rule (badManifests).
	maxBadManifests = 4096
)

// indexBatch is the number of entries whose f/ entries are gathered
// before they are written: a manifest is indexed in memory bounded by it,
// whatever its size, and never in one transaction. Tests lower it.
var indexBatch = 8192

// memo is a bounded memory of verdicts on trees, which never change: a
// dataset's ID covers its root, count and bytes, and a root's hash covers
// its whole tree. When full it starts afresh.
type memo[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]V
	max int
}

func (m *memo[K, V]) get(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	return v, ok
}

func (m *memo[K, V]) add(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= m.max {
		m.m = map[K]V{}
	}
	m.m[k] = v
}

// maxGoodTrees bounds the trees remembered as checked whole.
const maxGoodTrees = 4096

// The store's memories of trees (Store.badManifests, Store.goodTrees): a
// manifest found invalid is invalid for ever, and asking again must not
// cost another walk of a tree that may hold millions of entries; a tree
// found valid stays valid, and indexing a dataset that names it need not
// read it twice more before it writes.
func newManifestMemos() (bad memo[protocol.ID, error], good memo[manifest.Root, bool]) {
	return memo[protocol.ID, error]{max: maxBadManifests}, memo[manifest.Root, bool]{max: maxGoodTrees}
}

// CheckManifest reads the whole tree under root.ID from the chunks held
// here, every chunk checked against its ID and its parent, the root
// against root.Count and root.Bytes (CheckRoot), no path a directory of
// another (Walk), and remembers a tree that passed, so that indexing a
// dataset that names it reads it once more, not twice. A chunk not held is
// an error of kind NotFound that names it; a tree that breaks a rule, an
// error of kind Invalid.
func (s *Store) CheckManifest(root manifest.Root) error {
	if _, ok := s.goodTrees.get(root); ok {
		return nil
	}
	r := manifest.NewReader(root.ID, s.Chunk)
	if err := r.CheckRoot(root); err != nil {
		return err
	}
	if err := r.Walk(func(manifest.Entry) bool { return true }); err != nil {
		return err
	}
	s.goodTrees.add(root, true)
	return nil
}

// manifestOf returns the manifest a stored dataset names, or an error:
// kind NotFound when dataset is not stored, Invalid when it is not a
// dataset with a manifest.
func (s *Store) manifestOf(op string, dataset protocol.ID) (manifest.Root, error) {
	o, err := s.Object(dataset)
	if err != nil {
		return manifest.Root{}, protocol.E(op, protocol.KindOf(err), "%w", err)
	}
	if o.Kind != protocol.KindDataset || o.Dataset.Manifest == nil {
		return manifest.Root{}, protocol.E(op, protocol.Invalid, "%s %s is not a dataset with a manifest", o.Kind, dataset)
	}
	m := o.Dataset.Manifest
	return manifest.Root{ID: manifest.ChunkIDFromDigest(m.Root.Digest()), Count: m.Count, Bytes: m.Bytes}, nil
}

// IndexManifest indexes the files of dataset, a stored dataset with a
// manifest, from the chunks held here, and returns its manifest's root.
// It reads the whole tree with manifest.Reader — every chunk checked
// against its ID and its parent, the root against the record's count and
// bytes (CheckRoot), no path a directory of another (Walk) — and writes
// nothing unless all of it passed: then an f/ entry per digest of the
// entries (the paths that list it, at most maxManifestPaths), in bounded
// transactions, each checked for disk space and synced, and last the
// marker w/<dataset>, after which Locate and DatasetsPage find the
// dataset. A chunk not held is an error of kind NotFound that names it; a
// tree that breaks a rule, or that does not hold what the record says, an
// error of kind Invalid, and the dataset stays unindexed (and the error
// is remembered: asking again reads nothing). Indexing a dataset already
// indexed does nothing; indexing one that an interrupted call left half
// written completes it.
func (s *Store) IndexManifest(dataset protocol.ID) (manifest.Root, error) {
	const op = "index manifest"
	root, err := s.manifestOf(op, dataset)
	if err != nil {
		return manifest.Root{}, err
	}
	whole, err := s.ManifestWhole(dataset)
	if err != nil || whole {
		return root, err
	}
	if err, ok := s.badManifests.get(dataset); ok {
		return manifest.Root{}, err
	}
	fail := func(err error) (manifest.Root, error) {
		return manifest.Root{}, protocol.E(op, protocol.KindOf(err), "dataset %s: %w", dataset, err)
	}
	invalid := func(err error) (manifest.Root, error) {
		err = protocol.E(op, protocol.KindOf(err), "dataset %s: %w", dataset, err)
		if protocol.IsKind(err, protocol.Invalid) {
			s.badManifests.add(dataset, err)
		}
		return manifest.Root{}, err
	}
	// Every chunk is read and checked before anything is written: a tree
	// found wrong in its last chunk leaves no entry behind.
	if err := s.CheckManifest(root); err != nil {
		return invalid(err)
	}
	r := manifest.NewReader(root.ID, s.Chunk)
	ix := fileIndexer{s: s, dataset: dataset, paths: map[protocol.Digest][]string{}}
	err = r.Walk(func(e manifest.Entry) bool {
		ix.add(e)
		if ix.n >= indexBatch {
			ix.err = ix.flush()
		}
		return ix.err == nil
	})
	if err == nil {
		err = ix.err
	}
	if err == nil {
		err = ix.flush()
	}
	if err == nil {
		err = s.markWhole(dataset)
	}
	if err != nil {
		return fail(err)
	}
	return root, nil
}

// ManifestWhole reports whether the manifest of dataset is held whole and
// indexed here: whether IndexManifest completed for it.
func (s *Store) ManifestWhole(dataset protocol.ID) (bool, error) {
	var ok bool
	err := s.view(func(txn *badger.Txn) error {
		var err error
		ok, err = has(txn, wholeKey(dataset))
		return err
	})
	if err != nil {
		return false, protocol.E("manifest whole", protocol.Other, "%s: %w", dataset, err)
	}
	return ok, nil
}

// fileIndexer gathers the f/ entries of a batch of a manifest's entries.
type fileIndexer struct {
	s       *Store
	dataset protocol.ID
	order   []protocol.Digest
	paths   map[protocol.Digest][]string
	n       int
	err     error
}

func (ix *fileIndexer) add(e manifest.Entry) {
	p, seen := ix.paths[e.Digest]
	if !seen {
		ix.order = append(ix.order, e.Digest)
	}
	if len(p) < maxManifestPaths {
		ix.paths[e.Digest] = append(p, e.Path)
	}
	ix.n++
}

// flush writes the f/ entries gathered, each merged with what an earlier
// batch (or an earlier, interrupted call) wrote for its digest, in as few
// transactions as fit.
func (ix *fileIndexer) flush() error {
	const op = "index manifest"
	s := ix.s
	for len(ix.order) > 0 {
		n, err := s.commitFiles(op, ix.dataset, ix.order, ix.paths)
		if err != nil {
			return err
		}
		ix.order = ix.order[n:]
	}
	clear(ix.paths)
	ix.order, ix.n = ix.order[:0], 0
	return nil
}

// commitFiles writes, in one transaction, the f/ entries of dataset for as
// many of digests as fit (at least one), and reports how many.
func (s *Store) commitFiles(op string, dataset protocol.ID, digests []protocol.Digest, paths map[protocol.Digest][]string) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.roomToWrite(op); err != nil {
		return 0, err
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	maxSize := s.db.MaxBatchSize() - txnMarkerSize
	maxCount := s.db.MaxBatchCount() - 1
	threshold := s.db.Opts().ValueThreshold
	var size, count int64
	n := 0
	for ; n < len(digests); n++ {
		d := digests[n]
		key := []byte(fileKey(d, dataset))
		old, ok, err := get(txn, key)
		if err != nil {
			return 0, writeError(op, err)
		}
		merged := paths[d]
		if ok {
			merged = mergePaths(strings.Split(string(old), "\n"), merged)
		}
		val := []byte(strings.Join(merged, "\n"))
		sz := entrySize(len(key), len(val), threshold)
		if (size+sz >= maxSize || count+1 >= maxCount) && n > 0 {
			break
		}
		if err := txn.Set(key, val); err != nil {
			return 0, writeError(op, err)
		}
		size, count = size+sz, count+1
	}
	if err := txn.Commit(); err != nil {
		return 0, writeError(op, err)
	}
	return n, nil
}

// mergePaths returns old followed by the paths of add not in it, at most
// maxManifestPaths in all.
func mergePaths(old, add []string) []string {
	out := slices.Clip(old)
	for _, p := range add {
		if len(out) >= maxManifestPaths {
			break
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// markWhole writes the marker w/<dataset>, once every f/ entry of its
// manifest is committed.
func (s *Store) markWhole(dataset protocol.ID) error {
	const op = "index manifest"
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.roomToWrite(op); err != nil {
		return err
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	if err := txn.Set(wholeKey(dataset), nil); err != nil {
		return writeError(op, err)
	}
	if err := txn.Commit(); err != nil {
		return writeError(op, err)
	}
	return nil
}

// has reports whether key is present.
func has(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return false, nil
	}
	return false, err
}

// located reports whether the f/ entries of dataset id, whose meta record
// is m, are to be read: those of a dataset without a manifest as soon as
// it is stored, those of a dataset with one (its meta record names the
// root) once its manifest is indexed whole.
func located(txn *badger.Txn, id protocol.ID, m meta) (bool, error) {
	if m.Kind != protocol.KindDataset {
		return false, nil
	}
	if m.About.IsZero() {
		return true, nil
	}
	return has(txn, wholeKey(id))
}

// indexStored indexes the manifests of the datasets with one that
// PutBatch stored for the first time: a manifest whose chunks are not all
// held waits, unindexed, for IndexManifest to be called once they are
// (a node calls it when it has fetched them). A copy of a record already
// stored does not index again: a peer that sends the record of a large
// manifest over and over, its chunks held but for the last one, must not
// make the node walk the tree each time. Nothing here refuses a record
// that was stored.
func (s *Store) indexStored(objs []*protocol.Object, results []PutResult) {
	for i, o := range objs {
		if o == nil || results[i].Err != nil || !results[i].New || o.Kind != protocol.KindDataset || o.Dataset.Manifest == nil {
			continue
		}
		_, err := s.IndexManifest(o.ID)
		switch {
		case err == nil:
		case protocol.IsKind(err, protocol.NotFound):
			s.log.Debug("store: manifest not held whole yet, dataset stored unindexed", "dataset", o.ID, "err", err)
		default:
			s.log.Warn("store: dataset stored, its manifest not indexed", "dataset", o.ID, "err", err)
		}
	}
}
