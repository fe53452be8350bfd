package store

import (
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// pending holds the writes that storing one object makes, on top of a
// transaction that may already hold the writes of the objects before it in
// the same batch. Reads see both. The writes join the transaction only
// once the whole object has been indexed and is known to fit, so that an
// object is never half written into a commit.
type pending struct {
	*txnState
	vals map[string][]byte
	keys []string // in the order first set
}

// txnState is the writing transaction that the objects of one batch
// share.
type txnState struct {
	txn *badger.Txn
	// snap reads at the same version as txn, without txn's writes. Scans
	// use it: an iterator of txn would sort all of txn's pending writes
	// each time it is made.
	snap *badger.Txn
	// claims are the summaries written into txn, by claimsPrefix.
	claims map[string]map[string][]byte
}

func newTxnState(db *badger.DB) *txnState {
	return &txnState{txn: db.NewTransaction(true), snap: db.NewTransaction(false), claims: map[string]map[string][]byte{}}
}

func (ts *txnState) discard() {
	ts.snap.Discard()
	ts.txn.Discard()
}

func newPending(ts *txnState) *pending {
	return &pending{txnState: ts, vals: make(map[string][]byte)}
}

func (p *pending) get(key string) ([]byte, bool, error) {
	if v, ok := p.vals[key]; ok {
		return v, true, nil
	}
	return get(p.txn, key)
}

func (p *pending) set(key string, val []byte) {
	if _, ok := p.vals[key]; !ok {
		p.keys = append(p.keys, key)
	}
	p.vals[key] = val
}

// meta reads the meta record of id; ok is false when id is not stored.
func (p *pending) meta(id protocol.ID) (meta, bool, error) {
	if v, ok := p.vals[metaKey(id)]; ok {
		m, err := decodeMeta(v)
		return m, err == nil, err
	}
	return getMeta(p.txn, id)
}

// summary reads the summary at key; ok is false when there is none.
func (p *pending) summary(key string) (summary, bool, error) {
	b, ok, err := p.get(key)
	if err != nil || !ok {
		return summary{}, false, err
	}
	s, err := decodeSummary(b)
	if err != nil {
		return summary{}, false, corrupt([]byte(key), err)
	}
	return s, true, nil
}

// summariesUnder calls fn with every claim summary under prefix: those in
// the transaction and those pending. The order is unspecified.
func (p *pending) summariesUnder(prefix string, fn func(key string, s summary) error) error {
	visit := func(key string, val []byte) error {
		s, err := decodeSummary(val)
		if err != nil {
			return corrupt([]byte(key), err)
		}
		return fn(key, s)
	}
	inTxn := p.claims[prefix]
	err := scan(p.snap, prefix, true, func(key, val []byte) error {
		if _, shadowed := inTxn[string(key)]; shadowed {
			return nil
		}
		if _, shadowed := p.vals[string(key)]; shadowed {
			return nil
		}
		return visit(string(key), val)
	})
	if err != nil {
		return err
	}
	for k, v := range inTxn {
		if _, shadowed := p.vals[k]; !shadowed {
			if err := visit(k, v); err != nil {
				return err
			}
		}
	}
	for _, k := range p.keys {
		if strings.HasPrefix(k, prefix) {
			if err := visit(k, p.vals[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// estimate returns what the pending writes add to a transaction by
// Badger's own accounting (Txn.checkSize): bytes and entries.
func (p *pending) estimate(threshold int64) (size, count int64) {
	for _, k := range p.keys {
		v := int64(len(p.vals[k]))
		if v >= threshold {
			v = 12 // a value pointer
		}
		size += int64(len(k)) + v + 2 + 10
	}
	return size, int64(len(p.keys))
}

// apply moves the pending writes into the transaction.
func (p *pending) apply() error {
	for _, k := range p.keys {
		v := p.vals[k]
		if err := p.txn.Set([]byte(k), v); err != nil {
			return err
		}
		if strings.HasPrefix(k, famSubject) {
			prefix := k[:strings.LastIndexByte(k, '/')+1]
			if p.claims[prefix] == nil {
				p.claims[prefix] = map[string][]byte{}
			}
			p.claims[prefix][k] = v
		}
	}
	p.vals, p.keys = map[string][]byte{}, nil
	return nil
}

// takeFiles removes the f/ writes from p and returns them, for an object
// whose file index does not fit in one transaction.
func (p *pending) takeFiles() map[string][]byte {
	files := make(map[string][]byte)
	kept := p.keys[:0]
	for _, k := range p.keys {
		if strings.HasPrefix(k, famFile) {
			files[k] = p.vals[k]
			delete(p.vals, k)
		} else {
			kept = append(kept, k)
		}
	}
	p.keys = kept
	return files
}
