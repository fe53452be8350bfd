package manifest

import (
	"sort"

	"github.com/commons-p2p/commons/protocol"
)

// Fetch returns the bytes of the chunk id names, from a store or a peer.
// Reader checks them against id: Fetch need not.
type Fetch func(id ChunkID) ([]byte, error)

// Reader reads a manifest tree from its root, chunk by chunk, through a
// Fetch. It reads only the chunks on the path from the root to what it is
// asked for, and checks each one before it uses it: its bytes against its
// ID, its encoding (DecodeChunk), and what its parent says of it (checkChunk).
type Reader struct {
	root  ChunkID
	fetch Fetch
}

// NewReader returns a Reader of the tree whose root chunk is root.
func NewReader(root ChunkID, fetch Fetch) *Reader { return &Reader{root: root, fetch: fetch} }

// bound is what a parent says of a child, and what the reader checks the
// child against.
type bound struct {
	level     int    // the child's level; -1 for the root, whose level its bytes say
	after     string // every key of the child is after this one ("" for none)
	last      string // the child's last key ("" for the root)
	count     int64  // entries under the child (0 for the root)
	bytes     int64
	rightmost bool // the last chunk of its level: its last key need not be a boundary
}

func rootBound() bound { return bound{level: -1, rightmost: true} }

// childBound is the bound of the i-th child of c, a chunk under b.
func (b bound) child(c *Chunk, i int) bound {
	after := b.after
	if i > 0 {
		after = c.Children[i-1].Last
	}
	ch := c.Children[i]
	return bound{level: c.Level - 1, after: after, last: ch.Last, count: ch.Count, bytes: ch.Bytes,
		rightmost: b.rightmost && i == len(c.Children)-1}
}

// load fetches the chunk id and checks it against b.
func (r *Reader) load(id ChunkID, b bound) (*Chunk, error) {
	const op = "read manifest"
	raw, err := r.fetch(id)
	if err != nil {
		return nil, protocol.E(op, protocol.KindOf(err), "chunk %s: %w", id, err)
	}
	if got := SumChunk(raw); got != id {
		return nil, protocol.E(op, protocol.Invalid, "chunk %s: the bytes fetched are chunk %s", id, got)
	}
	c, err := DecodeChunk(raw)
	if err != nil {
		return nil, protocol.E(op, protocol.KindOf(err), "chunk %s: %w", id, err)
	}
	if err := checkChunk(c, b); err != nil {
		return nil, protocol.E(op, protocol.Invalid, "chunk %s: %w", id, err)
	}
	return c, nil
}

// checkChunk checks a decoded chunk against what its parent says of it: so
// a tree whose every chunk passed is the one canonical tree of its entries.
func checkChunk(c *Chunk, b bound) error {
	if b.level >= 0 && c.Level != b.level {
		return invalid("chunk of level %d where its parent says %d", c.Level, b.level)
	}
	if b.level < 0 && c.Level > 0 && c.Len() < 2 {
		return invalid("a root of level %d with one child: the child is the root", c.Level)
	}
	var firstKey string
	if c.Level == 0 {
		firstKey = c.Entries[0].Key()
	} else {
		firstKey = c.Children[0].Last
	}
	if b.after != "" && firstKey <= b.after {
		return invalid("key %q is not after %q, where the chunk's range begins", clip(firstKey), clip(b.after))
	}
	last := c.LastKey()
	if b.level >= 0 && last != b.last {
		return invalid("last key %q where its parent says %q", clip(last), clip(b.last))
	}
	if !b.rightmost && c.Len() < maxEntries(c.Level) && !IsBoundary(last, c.Level) {
		return invalid("chunk ends with key %q, which ends no chunk of level %d, and is neither full nor the last of its level", clip(last), c.Level)
	}
	if b.level >= 0 {
		count, size := c.totals()
		if count != b.count || size != b.bytes {
			return invalid("holds %d entries of %d bytes where its parent says %d of %d", count, size, b.count, b.bytes)
		}
	}
	return nil
}

// Root reads the root chunk and returns the tree's Root: its ID, count of
// entries and total bytes, which a dataset record must state exactly.
func (r *Reader) Root() (Root, error) {
	c, err := r.load(r.root, rootBound())
	if err != nil {
		return Root{}, err
	}
	count, size := c.totals()
	return Root{ID: r.root, Count: count, Bytes: size}, nil
}

// CheckRoot reads the root chunk and refuses (kind invalid) a tree whose
// entries do not add up to what a dataset record says of it (SPEC.md
// §3.8): want.Count entries of want.Bytes bytes under root want.ID.
func (r *Reader) CheckRoot(want Root) error {
	if want.ID != r.root {
		return protocol.E("read manifest", protocol.Invalid, "the record names root %s, the reader reads %s", want.ID, r.root)
	}
	got, err := r.Root()
	if err != nil {
		return err
	}
	if got != want {
		return protocol.E("read manifest", protocol.Invalid, "root %s holds %d entries of %d bytes, the record says %d of %d", r.root, got.Count, got.Bytes, want.Count, want.Bytes)
	}
	return nil
}

// Lookup returns the entry whose key is Key(path), reading one chunk per
// level. ok is false when the tree holds no such entry.
func (r *Reader) Lookup(path string) (e Entry, ok bool, err error) {
	key := Key(path)
	id, b := r.root, rootBound()
	for {
		c, err := r.load(id, b)
		if err != nil {
			return Entry{}, false, err
		}
		if c.Level == 0 {
			i := sort.Search(len(c.Entries), func(i int) bool { return c.Entries[i].Key() >= key })
			if i < len(c.Entries) && c.Entries[i].Key() == key {
				return c.Entries[i], true, nil
			}
			return Entry{}, false, nil
		}
		i := sort.Search(len(c.Children), func(i int) bool { return c.Children[i].Last >= key })
		if i == len(c.Children) {
			return Entry{}, false, nil
		}
		id, b = c.Children[i].ID, b.child(c, i)
	}
}

// Page returns up to limit entries whose keys come after Key(after) (all
// entries from the first when after is ""), in key order, and whether more
// follow. It reads the chunks on the path to the first and the leaves it
// lists, and no others.
func (r *Reader) Page(after string, limit int) (page []Entry, more bool, err error) {
	if limit <= 0 {
		return nil, false, protocol.E("read manifest", protocol.Invalid, "page limit %d, want at least 1", limit)
	}
	key := ""
	if after != "" {
		key = Key(after)
	}
	err = r.walk(r.root, rootBound(), key, func(e Entry) bool {
		if len(page) == limit {
			more = true
			return false
		}
		page = append(page, e)
		return true
	})
	return page, more, err
}

// Walk calls fn for every entry in key order, reading every chunk, and
// checks what no single chunk can show: that no path is a directory of a
// path in another chunk. A node that keeps a whole manifest walks it once.
// fn returns false to stop.
func (r *Reader) Walk(fn func(Entry) bool) error {
	var dirs dirCheck
	var bad error
	err := r.walk(r.root, rootBound(), "", func(e Entry) bool {
		if err := dirs.add(e.Path, e.Key()); err != nil {
			bad = protocol.E("read manifest", protocol.Invalid, "%w", err)
			return false
		}
		return fn(e)
	})
	if err != nil {
		return err
	}
	return bad
}

// walk visits the entries under id with keys after after, in order, until
// fn returns false.
func (r *Reader) walk(id ChunkID, b bound, after string, fn func(Entry) bool) error {
	_, err := r.walkChunk(id, b, after, fn)
	return err
}

func (r *Reader) walkChunk(id ChunkID, b bound, after string, fn func(Entry) bool) (cont bool, err error) {
	c, err := r.load(id, b)
	if err != nil {
		return false, err
	}
	if c.Level == 0 {
		for _, e := range c.Entries {
			if after != "" && e.Key() <= after {
				continue
			}
			if !fn(e) {
				return false, nil
			}
		}
		return true, nil
	}
	for i, ch := range c.Children {
		if after != "" && ch.Last <= after {
			continue
		}
		cont, err := r.walkChunk(ch.ID, b.child(c, i), after, fn)
		if err != nil || !cont {
			return false, err
		}
	}
	return true, nil
}
