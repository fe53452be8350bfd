package manifest

import "github.com/commons-p2p/commons/protocol"

// Put receives each chunk a Builder makes, once, children before parents.
type Put func(id ChunkID, chunk []byte) error

// Builder builds the tree of a stream of entries given in ascending key
// order, in memory bounded by the limits of a chunk times the levels of
// the tree, whatever the number of entries: each chunk leaves through Put
// as soon as it is closed.
type Builder struct {
	put    Put
	levels []*level
	dirs   dirCheck
	last   string // key of the last entry added
	count  int64
	bytes  int64
	done   bool
	err    error
}

// level holds the open chunk of one level of the tree.
type level struct {
	chunk   Chunk
	emitted int    // chunks of this level closed so far
	first   *Child // the first chunk closed, held until a second one shows the level has a parent
}

// NewBuilder returns a Builder that hands its chunks to put.
func NewBuilder(put Put) *Builder { return &Builder{put: put} }

// Add adds the next entry. It refuses (kind invalid) an entry whose path
// breaks SPEC.md §3.3, whose key is not after the key of the entry before
// it, whose path is a file and a directory of another, or that takes the
// total size over protocol.MaxSize; the Builder is then unusable.
func (b *Builder) Add(e Entry) error {
	if b.err != nil {
		return b.err
	}
	if b.done {
		return protocol.E("build manifest", protocol.Other, "entry %q added after Root", clip(e.Path))
	}
	b.err = b.add(e)
	return b.err
}

func (b *Builder) add(e Entry) error {
	const op = "build manifest"
	if err := protocol.CheckPath(e.Path); err != nil {
		return protocol.E(op, protocol.Invalid, "entry %d: %w", b.count, err)
	}
	if e.Size < 0 {
		return protocol.E(op, protocol.Invalid, "entry %d: path %q has size %d", b.count, clip(e.Path), e.Size)
	}
	key := e.Key()
	if b.count > 0 && key <= b.last {
		if key == b.last {
			return protocol.E(op, protocol.Invalid, "entry %d: path %q is the file of the entry before it (same path after NFC)", b.count, clip(e.Path))
		}
		return protocol.E(op, protocol.Invalid, "entry %d: path %q is not after the path before it in NFC byte order: sort the entries", b.count, clip(e.Path))
	}
	if err := b.dirs.add(e.Path, key); err != nil {
		return protocol.E(op, protocol.Invalid, "entry %d: %w", b.count, err)
	}
	total, err := addSize(b.bytes, e.Size)
	if err != nil {
		return protocol.E(op, protocol.Invalid, "entry %d: %w", b.count, err)
	}
	b.last, b.count, b.bytes = key, b.count+1, total
	return b.push(0, key, func(c *Chunk) { c.Entries = append(c.Entries, e) })
}

// push appends an item with key to the open chunk of level lv, and closes
// the chunk when key ends one or the chunk is full.
func (b *Builder) push(lv int, key string, appendItem func(*Chunk)) error {
	if lv > MaxLevel {
		return protocol.E("build manifest", protocol.TooLarge, "the tree needs more than %d levels", MaxLevel+1)
	}
	for len(b.levels) <= lv {
		b.levels = append(b.levels, &level{chunk: Chunk{Level: len(b.levels)}})
	}
	l := b.levels[lv]
	appendItem(&l.chunk)
	if IsBoundary(key, lv) || l.chunk.Len() == maxEntries(lv) {
		return b.close(lv)
	}
	return nil
}

// close writes the open chunk of level lv and hands a reference to it to
// the level above. The first chunk of a level is held back: if it stays
// the only one, it is the root, and the level above is never made.
func (b *Builder) close(lv int) error {
	l := b.levels[lv]
	if l.chunk.Len() == 0 {
		return nil
	}
	raw := l.chunk.Encode()
	id := SumChunk(raw)
	if err := b.put(id, raw); err != nil {
		return protocol.E("build manifest", protocol.KindOf(err), "put chunk %s: %w", id, err)
	}
	count, size := l.chunk.totals()
	ref := Child{Last: l.chunk.LastKey(), Count: count, Bytes: size, ID: id}
	l.chunk = Chunk{Level: lv}
	l.emitted++
	switch l.emitted {
	case 1:
		l.first = &ref
		return nil
	case 2:
		first := *l.first
		l.first = nil
		if err := b.pushChild(lv+1, first); err != nil {
			return err
		}
	}
	return b.pushChild(lv+1, ref)
}

func (b *Builder) pushChild(lv int, ref Child) error {
	return b.push(lv, ref.Last, func(c *Chunk) { c.Children = append(c.Children, ref) })
}

// Root closes the tree and returns its root. A tree has at least one entry.
func (b *Builder) Root() (Root, error) {
	if b.err != nil {
		return Root{}, b.err
	}
	if b.done {
		return Root{}, protocol.E("build manifest", protocol.Other, "Root called twice")
	}
	b.done = true
	if b.count == 0 {
		b.err = protocol.E("build manifest", protocol.Invalid, "a manifest holds at least one entry")
		return Root{}, b.err
	}
	for lv := 0; lv < len(b.levels); lv++ {
		if err := b.close(lv); err != nil {
			b.err = err
			return Root{}, err
		}
		if l := b.levels[lv]; l.emitted == 1 {
			return Root{ID: l.first.ID, Count: b.count, Bytes: b.bytes}, nil
		}
	}
	panic("manifest: unreachable: every level above one of two chunks or more gets a chunk")
}
