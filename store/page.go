package store

import (
	"bytes"
	"slices"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// The paged reads of the fetch protocol's lists (SPEC.md §7.3): each page
// seeks to the key after `after` instead of reading the list from its
// start, so that paging through n IDs costs about n, not n²/limit.

// ClaimsPage returns up to limit IDs, after after (from the first when
// after is zero) in ascending order of their text, of the claims stored
// about subject and of the claims stored about each of those; more
// reports that further IDs follow. The claims about subject after after
// are read from one seek; the claims about each claim of subject are read
// by one iterator that moves forward only, since the claims come in key
// order — a step or two from one claim's keys to the next's, where
// another store would seek each time. Keys only are read.
func (s *Store) ClaimsPage(subject, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	const op = "claims page"
	if limit <= 0 {
		return nil, false, protocol.E(op, protocol.Invalid, "limit %d: want at least 1", limit)
	}
	err = s.view(func(txn *badger.Txn) error {
		direct := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(famSubject)})
		defer direct.Close()
		aboutIt := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(famSubject)})
		defer aboutIt.Close()
		about := &forward{it: aboutIt}
		var page idPage
		page.init(after, limit)
		prefix := []byte(claimsPrefix(subject))
		page.collect(&forward{it: direct}, prefix)
		var sub []byte
		for direct.Seek(prefix); direct.ValidForPrefix(prefix); direct.Next() {
			claim := direct.Item().Key()[len(prefix):]
			sub = append(append(append(sub[:0], famSubject...), claim...), '/')
			page.collect(about, sub)
		}
		ids, more, err = page.result()
		return err
	})
	if err != nil {
		return nil, false, protocol.E(op, protocol.KindOf(err), "%s: %w", subject, err)
	}
	return ids, more, nil
}

// DatasetsPage returns up to limit IDs, after after (from the first when
// after is zero) in ascending order of their text, of the datasets stored
// that list a file of digest d, and whether more follow: the IDs of
// Locate(d), paged.
func (s *Store) DatasetsPage(d protocol.Digest, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return s.keptPage("datasets page", d.String(), []byte(filePrefix(d)), after, limit, func(txn *badger.Txn, id protocol.ID) (bool, error) {
		m, ok, err := getMeta(txn, id)
		if err != nil || !ok {
			return false, err
		}
		// As Locate: the rest of a large dataset has not committed, a
		// manifest is not indexed whole.
		return located(txn, id, m)
	})
}

// keptPage returns up to limit of the IDs that end the keys under prefix,
// after after (from the first when after is zero) in ascending order of
// their text, those that keep says to keep, and whether more follow; it
// reads one snapshot. Its errors are op's, about what.
func (s *Store) keptPage(op, what string, prefix []byte, after protocol.ID, limit int, keep func(txn *badger.Txn, id protocol.ID) (bool, error)) (ids []protocol.ID, more bool, err error) {
	if limit <= 0 {
		return nil, false, protocol.E(op, protocol.Invalid, "limit %d: want at least 1", limit)
	}
	err = s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		var scratch idScratch
		for seekAfter(it, prefix, after); it.ValidForPrefix(prefix); it.Next() {
			id, err := idOfKeyScratch(it.Item().Key(), &scratch)
			if err != nil {
				return err
			}
			if ok, err := keep(txn, id); err != nil {
				return err
			} else if !ok {
				continue
			}
			if len(ids) == limit {
				more = true
				return nil
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, false, protocol.E(op, protocol.KindOf(err), "%s: %w", what, err)
	}
	return ids, more, nil
}

// seekAfter moves it to the first key under prefix whose last part sorts
// after after, or to the first key under prefix when after is zero. Keys
// under prefix end in an ID's text, so prefix+after sorts before every key
// with a greater ID and its successor prefix+after+"\x00" after none.
func seekAfter(it *badger.Iterator, prefix []byte, after protocol.ID) {
	if after.IsZero() {
		it.Seek(prefix)
		return
	}
	it.Seek(append(append(slices.Clip(prefix), after.String()...), 0))
}

// forward is an iterator that is only ever moved to keys in ascending
// order: a target a few keys ahead is reached by stepping, which costs far
// less than Badger's Seek from the top of every level.
type forward struct {
	it      *badger.Iterator
	started bool
}

// forwardSteps is how far forward steps before a seek.
const forwardSteps = 8

// to moves f to the first key at or after target, which is not before any
// target of an earlier call.
func (f *forward) to(target []byte) {
	if f.started {
		for range forwardSteps {
			if !f.it.Valid() || bytes.Compare(f.it.Item().Key(), target) >= 0 {
				return
			}
			f.it.Next()
		}
		if !f.it.Valid() || bytes.Compare(f.it.Item().Key(), target) >= 0 {
			return
		}
	}
	f.started = true
	f.it.Seek(target)
}

// idPage gathers the first limit+1 IDs after a bound from several sorted
// runs of keys, keeping no more than it needs.
type idPage struct {
	after []byte
	limit int
	texts [][]byte // the last parts of keys, each after after
}

func (p *idPage) init(after protocol.ID, limit int) {
	if !after.IsZero() {
		p.after = []byte(after.String())
	}
	p.limit = limit
}

// collect adds the first limit+1 IDs under prefix that sort after the
// bound, moving it there. Calls on one iterator must come in ascending
// order of prefix.
func (p *idPage) collect(f *forward, prefix []byte) {
	var start []byte
	if p.after == nil {
		start = prefix
	} else {
		start = append(append(slices.Clip(prefix), p.after...), 0)
	}
	n := 0
	it := f.it
	for f.to(start); it.ValidForPrefix(prefix) && n <= p.limit; it.Next() {
		p.texts = append(p.texts, bytes.Clone(it.Item().Key()[len(prefix):]))
		n++
	}
	if len(p.texts) > 4*(p.limit+1) {
		p.trim()
	}
}

// trim keeps the first limit+1 texts, sorted, each once.
func (p *idPage) trim() {
	slices.SortFunc(p.texts, bytes.Compare)
	p.texts = slices.CompactFunc(p.texts, bytes.Equal)
	if len(p.texts) > p.limit+1 {
		p.texts = p.texts[:p.limit+1]
	}
}

// result returns the page and whether more follow it.
func (p *idPage) result() ([]protocol.ID, bool, error) {
	p.trim()
	more := len(p.texts) > p.limit
	if more {
		p.texts = p.texts[:p.limit]
	}
	ids := make([]protocol.ID, len(p.texts))
	var scratch idScratch
	for i, t := range p.texts {
		id, err := idOfKeyScratch(t, &scratch)
		if err != nil {
			return nil, false, err
		}
		ids[i] = id
	}
	return ids, more, nil
}

// ContributorPage returns up to limit IDs, after after in ascending order
// of their text, of the attributions stored that name d as contributor
// (the c/ family), and whether more follow.
func (s *Store) ContributorPage(d protocol.DID, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return s.keptPage("contributor page", d.String(), []byte(famContributor+d.String()+"/"), after, limit, keepEvery)
}

// SignerPage returns up to limit IDs, after after in ascending order of
// their text, of the objects whose stored envelope carries d's signature
// (the i/ family), and whether more follow.
func (s *Store) SignerPage(d protocol.DID, after protocol.ID, limit int) (ids []protocol.ID, more bool, err error) {
	return s.keptPage("signer page", d.String(), []byte(famSigner+d.String()+"/"), after, limit, keepEvery)
}

func keepEvery(*badger.Txn, protocol.ID) (bool, error) { return true, nil }
