package manifest

// ChangeKind says how an entry differs between two trees.
type ChangeKind uint8

const (
	Added   ChangeKind = iota + 1 // in the new tree only
	Removed                       // in the old tree only
	Changed                       // in both, with another path spelling, size or digest
)

func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Changed:
		return "changed"
	}
	return "unknown"
}

// Change is one difference between two trees: Old is set for Removed and
// Changed, New for Added and Changed.
type Change struct {
	Kind     ChangeKind
	Old, New Entry
}

// item is what a side of a diff has still to compare: an entry, or a
// subtree not yet read.
type item struct {
	entry *Entry
	id    ChunkID
	b     bound // the subtree's bound, as its parent says
}

func (it item) key() string {
	if it.entry != nil {
		return it.entry.Key()
	}
	return it.b.last
}

// side is the frontier of one tree, in key order, the next item last.
type side struct {
	r     *Reader
	items []item
}

func (s *side) next() *item {
	if len(s.items) == 0 {
		return nil
	}
	return &s.items[len(s.items)-1]
}

func (s *side) pop() { s.items = s.items[:len(s.items)-1] }

// expand replaces the next item, a subtree, by its entries or children.
func (s *side) expand() error {
	it := s.items[len(s.items)-1]
	s.pop()
	c, err := s.r.load(it.id, it.b)
	if err != nil {
		return err
	}
	if c.Level == 0 {
		for i := len(c.Entries) - 1; i >= 0; i-- {
			s.items = append(s.items, item{entry: &c.Entries[i]})
		}
		return nil
	}
	for i := len(c.Children) - 1; i >= 0; i-- {
		s.items = append(s.items, item{id: c.Children[i].ID, b: it.b.child(c, i)})
	}
	return nil
}

// Diff calls fn with every entry added, removed or changed from the tree
// old to the tree new, in key order, reading both through fetch. Subtrees
// that the two trees share (the same chunk ID) are skipped unread: since
// chunk boundaries depend on keys alone, a few changed entries leave every
// other chunk of the tree as it was, and Diff reads only the chunks on the
// paths from the changes to the roots, and their neighbours. fn returns
// false to stop.
func Diff(old, new ChunkID, fetch Fetch, fn func(Change) bool) error {
	if old == new {
		return nil
	}
	a := &side{r: NewReader(old, fetch), items: []item{{id: old, b: rootBound()}}}
	b := &side{r: NewReader(new, fetch), items: []item{{id: new, b: rootBound()}}}
	if err := a.expand(); err != nil { // the roots' levels are known once read
		return err
	}
	if err := b.expand(); err != nil {
		return err
	}
	for {
		x, y := a.next(), b.next()
		switch {
		case x == nil && y == nil:
			return nil
		case x != nil && y != nil && x.entry == nil && y.entry != nil && y.entry.Key() <= x.b.after:
			// y comes before everything under x: no need to read x yet.
			e := *y.entry
			b.pop()
			if !fn(Change{Kind: Added, New: e}) {
				return nil
			}
			continue
		case x != nil && y != nil && y.entry == nil && x.entry != nil && x.entry.Key() <= y.b.after:
			e := *x.entry
			a.pop()
			if !fn(Change{Kind: Removed, Old: e}) {
				return nil
			}
			continue
		case x != nil && x.entry == nil && (y == nil || y.entry != nil || x.b.level > y.b.level && y.entry == nil):
			if err := a.expand(); err != nil {
				return err
			}
			continue
		case y != nil && y.entry == nil && (x == nil || x.entry != nil || y.b.level > x.b.level):
			if err := b.expand(); err != nil {
				return err
			}
			continue
		case x == nil:
			e := *y.entry
			b.pop()
			if !fn(Change{Kind: Added, New: e}) {
				return nil
			}
			continue
		case y == nil:
			e := *x.entry
			a.pop()
			if !fn(Change{Kind: Removed, Old: e}) {
				return nil
			}
			continue
		}
		if x.entry == nil { // two subtrees of one level
			switch {
			case x.id == y.id:
				a.pop()
				b.pop()
				continue
			case x.b.last < y.b.last:
				if err := a.expand(); err != nil {
					return err
				}
			case y.b.last < x.b.last:
				if err := b.expand(); err != nil {
					return err
				}
			default:
				if err := a.expand(); err != nil {
					return err
				}
				if err := b.expand(); err != nil {
					return err
				}
			}
			continue
		}
		// two entries
		ex, ey := *x.entry, *y.entry
		kx, ky := ex.Key(), ey.Key()
		switch {
		case kx < ky:
			a.pop()
			if !fn(Change{Kind: Removed, Old: ex}) {
				return nil
			}
		case ky < kx:
			b.pop()
			if !fn(Change{Kind: Added, New: ey}) {
				return nil
			}
		default:
			a.pop()
			b.pop()
			if ex != ey && !fn(Change{Kind: Changed, Old: ex, New: ey}) {
				return nil
			}
		}
	}
}
