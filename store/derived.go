package store

import (
	"slices"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// What was made from a subject (SPEC.md §7.5): the datasets that name it
// among their parents and the derivations that name it among their
// inputs, read from the p/ family, and theirs in turn.

// The bounds of Descendants, those of the lineage read the other way.
const (
	MaxDerivedDepth = MaxLineageDepth
	MaxDerived      = MaxLineageAncestors
)

// Descendant is a dataset or derivation made, directly or not, from the
// subject of Descendants.
type Descendant struct {
	ID        protocol.ID
	Kind      protocol.ObjectKind // dataset or derivation
	Name      string              // a dataset's name; the path of a derivation's artifact
	Activity  string              // a derivation's activity (trained-on, …)
	Artifact  protocol.ID         // the artifact a derivation made
	Publisher protocol.DID
	Created   time.Time
	Depth     int         // 1 for what names the subject itself, 2 for what names one of those, …
	Via       protocol.ID // the parent or input it names, through which it was found
}

// Derived returns the IDs of the datasets stored that name id among their
// parents and of the derivations stored that name it among their inputs,
// in ascending order of their text, without the derivations their
// publisher withdrew.
func (s *Store) Derived(id protocol.ID) ([]protocol.ID, error) {
	ids := []protocol.ID{}
	err := s.view(func(txn *badger.Txn) error {
		var err error
		ids, err = derivedIn(txn, id, ids)
		return err
	})
	if err != nil {
		return nil, protocol.E("derived", protocol.KindOf(err), "%s: %w", id, err)
	}
	return ids, nil
}

// derivedIn appends to ids the children of id that are not withdrawn.
func derivedIn(txn *badger.Txn, id protocol.ID, ids []protocol.ID) ([]protocol.ID, error) {
	err := scan(txn, famChild+id.String()+"/", false, func(key, _ []byte) error {
		child, err := idOfKey(key)
		if err != nil {
			return err
		}
		if ok, err := standsIn(txn, child); err != nil || !ok {
			return err
		}
		ids = append(ids, child)
		return nil
	})
	return ids, err
}

// standsIn reports whether child, named by a p/ key, is stored and not a
// derivation its publisher withdrew.
func standsIn(txn *badger.Txn, child protocol.ID) (bool, error) {
	m, ok, err := getMeta(txn, child)
	if err != nil || !ok {
		return false, err
	}
	if m.Kind != protocol.KindDerivation {
		return true, nil
	}
	withdrawn := false
	err = scan(txn, claimsPrefix(child), true, func(key, val []byte) error {
		s, err := decodeSummary(val)
		if err != nil {
			return corrupt(key, err)
		}
		withdrawn = withdrawn || s.Kind == protocol.KindRevocation && s.Issuer == m.Issuer
		return nil
	})
	return !withdrawn, err
}

// DerivedPage returns up to limit IDs of Derived(subject), after after
// (from the first when after is zero), and whether more follow: the list
// the fetch protocol pages through (SPEC.md §7.3).
func (s *Store) DerivedPage(subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return s.keptPage("derived page", subject.String(), []byte(famChild+subject.String()+"/"), after, limit, standsIn)
}

// EachDerivedFrom calls f once with each ID that a stored dataset names
// among its parents or a stored derivation among its inputs, in key
// order, until f returns false: the subjects of the derived-from keys a
// node announces (SPEC.md §7.2).
func (s *Store) EachDerivedFrom(f func(protocol.ID) bool) error {
	return s.walk("each derived from", famChild, firstPart, func(part []byte) bool {
		id, err := protocol.ParseID(string(part))
		return err != nil || f(id)
	})
}

// DerivedRoots returns where a walk of what was made from id starts: id
// itself when it is an object ID; for an artifact, which nothing names
// as a parent or input, the derivations stored that made it and that
// their publisher has not withdrawn, in ascending order of their text.
func (s *Store) DerivedRoots(id protocol.ID) ([]protocol.ID, error) {
	if id.IsObject() {
		return []protocol.ID{id}, nil
	}
	var roots []protocol.ID
	err := s.view(func(txn *badger.Txn) error {
		var err error
		roots, err = derivationsOf(txn, id)
		return err
	})
	if err != nil {
		return nil, protocol.E("derived", protocol.KindOf(err), "%s: %w", id, err)
	}
	return roots, nil
}

func derivationsOf(txn *badger.Txn, artifact protocol.ID) ([]protocol.ID, error) {
	var roots []protocol.ID
	err := scan(txn, filePrefix(artifact.Digest()), false, func(key, _ []byte) error {
		id, err := idOfKey(key)
		if err != nil {
			return err
		}
		m, ok, err := getMeta(txn, id)
		if err != nil || !ok || m.Kind != protocol.KindDerivation {
			return err
		}
		if ok, err := standsIn(txn, id); err != nil || !ok {
			return err
		}
		roots = append(roots, id)
		return nil
	})
	return roots, err
}

// Descendants returns what was made from subject, as far as this store
// knows, in one snapshot: breadth first from DerivedRoots(subject), to
// maxDepth levels (at most MaxDerivedDepth) and at most MaxDerived
// descendants, sorted by depth, then by the text of their IDs. Each level
// is walked in that order, so the same objects give the same answer, Via
// included, on every node.
func (s *Store) Descendants(subject protocol.ID, maxDepth int) ([]Descendant, error) {
	maxDepth = min(maxDepth, MaxDerivedDepth)
	out := []Descendant{}
	err := s.view(func(txn *badger.Txn) error {
		level := []protocol.ID{subject}
		if !subject.IsObject() {
			var err error
			if level, err = derivationsOf(txn, subject); err != nil {
				return err
			}
		}
		seen := map[protocol.ID]bool{subject: true}
		for _, id := range level {
			seen[id] = true
		}
		for depth := 1; depth <= maxDepth && len(level) > 0 && len(out) < MaxDerived; depth++ {
			var next []protocol.ID
			for _, parent := range level {
				children, err := derivedIn(txn, parent, nil)
				if err != nil {
					return err
				}
				for _, c := range children {
					if seen[c] || len(out) >= MaxDerived {
						continue
					}
					seen[c] = true
					next = append(next, c)
					d, err := s.descendant(txn, c, parent, depth)
					if err != nil {
						return err
					}
					out = append(out, d)
				}
			}
			slices.SortFunc(next, compareIDText)
			level = next
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("descendants", protocol.KindOf(err), "%s: %w", subject, err)
	}
	slices.SortStableFunc(out, func(a, b Descendant) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return compareIDText(a.ID, b.ID)
	})
	return out, nil
}

func compareIDText(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) }

// descendant describes child, found through parent at depth.
func (s *Store) descendant(txn *badger.Txn, child, parent protocol.ID, depth int) (Descendant, error) {
	o, err := s.loadObject(txn, child)
	if err != nil {
		return Descendant{}, err
	}
	d := Descendant{ID: child, Kind: o.Kind, Depth: depth, Via: parent, Publisher: o.Issuer()}
	switch o.Kind {
	case protocol.KindDataset:
		d.Name, d.Created = o.Dataset.Name, o.Dataset.Created
	case protocol.KindDerivation:
		d.Activity, d.Created = o.Derivation.Activity, o.Derivation.Created
		if len(o.Files) > 0 {
			d.Name, d.Artifact = o.Files[0].Name, protocol.ArtifactID(o.Files[0].Digest)
		}
	}
	return d, nil
}
