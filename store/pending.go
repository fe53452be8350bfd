package store

import (
	"bytes"

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
	// writes are in the order set. Storing one object writes each key
	// once (a claim's summary, the summaries a revocation cascades to,
	// each signer's entry): lookups take the last write of a key all the
	// same.
	writes []write
	// counted is the kind of a new object, added to x/count/<kind> when
	// the object joins the transaction; 0 when nothing is counted.
	counted protocol.ObjectKind
	// object is the object whose envelope the writes store or rewrite,
	// and envelope what o/<object.ID> holds once they join the
	// transaction; both are nil when the object writes no envelope. isNew
	// is set when the object was not stored.
	object   *protocol.Object
	envelope *protocol.Envelope
	isNew    bool
}

// write sets key to val, or deletes key when del is set.
type write struct {
	key, val []byte
	del      bool
}

// txnState is the writing transaction that the objects of one batch
// share, and what it keeps so that each object costs little.
type txnState struct {
	txn *badger.Txn
	// snap reads at the same version as txn, without txn's writes. Scans
	// use it: an iterator of txn would sort all of txn's pending writes
	// each time it is made.
	snap *badger.Txn
	// claimIter walks snap's s/ family. It is made at the first scan and
	// moved with Seek after that: making an iterator costs more than the
	// scan of a claim that nothing was said about.
	claimIter *badger.Iterator
	// said are the endorsements and revocations written into txn (see
	// saidAbout), by claimsPrefix; attributions, the bulk of the
	// summaries, are not kept.
	said  map[string]map[string][]byte
	keys  keyBuf
	known *knownIDs
	// rotated is the store's set of keys that rotations name: a rotation
	// written here adds its keys before the commit (rotated.go).
	rotated *rotatedKeys
	// written are the objects whose envelopes txn writes.
	written map[protocol.ID]written
	// subjects are the meta records that judging signers' roles read
	// (roles.go), by ID.
	subjects map[protocol.ID]meta
	// counts are the objects of each kind stored once txn commits, read
	// from the store at the first object of the kind (read marks those,
	// which flushCounts writes back). One write per kind and transaction
	// instead of one per object.
	counts  [lastKind + 1]int64
	read    [lastKind + 1]bool
	entries []badger.Entry // allocated a slab at a time; Badger keeps each until the commit
}

func newTxnState(db *badger.DB, known *knownIDs, rotated *rotatedKeys) *txnState {
	return &txnState{
		txn:     db.NewTransaction(true),
		snap:    db.NewTransaction(false),
		said:    map[string]map[string][]byte{},
		known:   known,
		rotated: rotated,
		written: map[protocol.ID]written{},
	}
}

func (ts *txnState) discard() {
	if ts.claimIter != nil {
		ts.claimIter.Close()
	}
	ts.snap.Discard()
	ts.txn.Discard()
}

func newPending(ts *txnState) *pending { return &pending{txnState: ts} }

// reset drops the writes of an object refused or already applied.
func (p *pending) reset() {
	clear(p.writes) // let go of the values of a refused object
	p.writes, p.counted = p.writes[:0], 0
	p.object, p.envelope, p.isNew = nil, nil, false
}

// lookup returns the pending write of key, if any.
func (p *pending) lookup(key []byte) (write, bool) {
	for i := len(p.writes) - 1; i >= 0; i-- {
		if bytes.Equal(p.writes[i].key, key) {
			return p.writes[i], true
		}
	}
	return write{}, false
}

func (p *pending) get(key []byte) ([]byte, bool, error) {
	if w, ok := p.lookup(key); ok {
		return w.val, !w.del, nil
	}
	return get(p.txn, key)
}

// written is an object whose envelope a transaction writes.
type written struct {
	// envelope is what o/<id> holds in the transaction, so that another
	// copy of the object in the same batch is merged without decoding what
	// was just encoded. It is never modified.
	envelope *protocol.Envelope
	// heardFirst is set when the store had never heard of the object
	// before the transaction stored it: the snapshot that the transaction
	// reads holds nothing about it, and saidAbout does not scan it.
	heardFirst bool
}

// mayBeStored reports whether the snapshot that txn reads may hold
// anything about id.
func (ts *txnState) mayBeStored(id protocol.ID) bool {
	if w, ok := ts.written[id]; ok && w.heardFirst {
		return false
	}
	return !ts.known.unheardOf(ts.keys.id(id))
}

// getOwn reads key, one of the keys of object id (o/<id>, m/<id>), which
// an object that the store has never heard of does not have.
func (p *pending) getOwn(id protocol.ID, key []byte) ([]byte, bool, error) {
	if w, ok := p.lookup(key); ok {
		return w.val, !w.del, nil
	}
	if p.known.unheardOf(p.keys.id(id)) {
		return nil, false, nil
	}
	return get(p.txn, key)
}

func (p *pending) set(key, val []byte) {
	p.writes = append(p.writes, write{key: key, val: val})
}

func (p *pending) delete(key []byte) {
	p.writes = append(p.writes, write{key: key, del: true})
}

// meta reads the meta record of id; ok is false when id is not stored.
func (p *pending) meta(id protocol.ID) (meta, bool, error) {
	key := p.keys.meta(id)
	b, ok, err := p.getOwn(id, key)
	if err != nil || !ok {
		return meta{}, false, err
	}
	m, err := decodeMeta(b)
	if err != nil {
		return meta{}, false, corrupt(key, err)
	}
	return m, true, nil
}

// summary reads the summary at key; ok is false when there is none.
func (p *pending) summary(key []byte) (summary, bool, error) {
	b, ok, err := p.get(key)
	if err != nil || !ok {
		return summary{}, false, err
	}
	s, err := decodeSummary(b)
	if err != nil {
		return summary{}, false, corrupt(key, err)
	}
	return s, true, nil
}

// saidAbout calls fn with every endorsement and revocation of id (under
// claimsPrefix(id)): those stored, those in the transaction and those
// pending. These are all that fold counts; attributions of id are
// skipped. The order is unspecified.
func (p *pending) saidAbout(id protocol.ID, fn func(s summary)) error {
	prefix := p.keys.claimsPrefix(id)
	visit := func(key, val []byte) error {
		if !saysAboutClaim(val) {
			return nil
		}
		s, err := decodeSummary(val)
		if err != nil {
			return corrupt(key, err)
		}
		fn(s)
		return nil
	}
	inTxn := p.said[string(prefix)]
	if p.mayBeStored(id) {
		err := p.scanStored(prefix, func(key, val []byte) error {
			if _, shadowed := inTxn[string(key)]; shadowed {
				return nil
			}
			if _, shadowed := p.lookup(key); shadowed {
				return nil
			}
			return visit(key, val)
		})
		if err != nil {
			return err
		}
	}
	for k, v := range inTxn {
		if _, shadowed := p.lookup([]byte(k)); !shadowed {
			if err := visit([]byte(k), v); err != nil {
				return err
			}
		}
	}
	for _, w := range p.writes {
		if bytes.HasPrefix(w.key, prefix) {
			if err := visit(w.key, w.val); err != nil {
				return err
			}
		}
	}
	return nil
}

// saysAboutClaim reports whether an encoded summary is of an endorsement
// or a revocation, by its kind byte; a value too short to tell is left to
// decodeSummary to refuse.
func saysAboutClaim(val []byte) bool {
	if len(val) < 2 {
		return true
	}
	k := protocol.ObjectKind(val[1])
	return k == protocol.KindEndorsement || k == protocol.KindRevocation
}

// scanStored calls fn with every summary under prefix (in s/) in the
// snapshot, in key order; both are valid only during the call.
func (ts *txnState) scanStored(prefix []byte, fn func(key, val []byte) error) error {
	if ts.claimIter == nil {
		ts.claimIter = ts.snap.NewIterator(badger.IteratorOptions{Prefix: []byte(famSubject)})
	}
	it := ts.claimIter
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		if err := item.Value(func(val []byte) error { return fn(item.Key(), val) }); err != nil {
			return err
		}
	}
	return nil
}

// estimate returns what the pending writes add to a transaction by
// Badger's own accounting (Txn.checkSize): bytes and entries.
func (p *pending) estimate(threshold int64) (size, count int64) {
	for _, w := range p.writes {
		size += entrySize(len(w.key), len(w.val), threshold)
	}
	return size, int64(len(p.writes))
}

// entrySize is what Badger counts for an entry in a transaction.
func entrySize(key, val int, threshold int64) int64 {
	v := int64(val)
	if v >= threshold {
		v = 12 // a value pointer
	}
	return int64(key) + v + 2 + 10
}

// apply moves the pending writes into the transaction.
func (p *pending) apply() error {
	for _, w := range p.writes {
		if w.del {
			if err := p.txn.Delete(w.key); err != nil {
				return err
			}
			continue
		}
		if err := p.txn.SetEntry(p.entry(w.key, w.val)); err != nil {
			return err
		}
		if bytes.HasPrefix(w.key, []byte(famSubject)) && saysAboutClaim(w.val) {
			prefix := w.key[:bytes.LastIndexByte(w.key, '/')+1]
			inTxn := p.said[string(prefix)]
			if inTxn == nil {
				inTxn = map[string][]byte{}
				p.said[string(prefix)] = inTxn
			}
			inTxn[string(w.key)] = w.val
		}
	}
	if p.counted != protocol.KindUnknown {
		if err := p.count(p.counted); err != nil {
			return err
		}
	}
	if p.envelope != nil {
		p.remember()
	}
	p.reset()
	return nil
}

// remember records, as the object joins the transaction, the envelope it
// writes and, for a new object, its ID and its subject as heard of.
func (p *pending) remember() {
	id := p.object.ID
	w := written{envelope: p.envelope, heardFirst: p.written[id].heardFirst}
	if p.isNew {
		w.heardFirst = p.known.learn(p.keys.id(id))
		if isClaim(p.object.Kind) {
			p.known.learn(p.keys.id(p.object.About))
		}
	}
	p.written[id] = w
}

// entrySlab is how many entries are allocated at once.
const entrySlab = 256

func (ts *txnState) entry(key, val []byte) *badger.Entry {
	if len(ts.entries) == cap(ts.entries) {
		ts.entries = make([]badger.Entry, 0, entrySlab)
	}
	ts.entries = append(ts.entries, badger.Entry{Key: key, Value: val})
	return &ts.entries[len(ts.entries)-1]
}

// count adds one object of kind k.
func (ts *txnState) count(k protocol.ObjectKind) error {
	if !ts.read[k] {
		key := []byte(countKey(k))
		b, ok, err := get(ts.txn, key)
		if err != nil {
			return err
		}
		if ok {
			if ts.counts[k], err = decodeCount(b); err != nil {
				return corrupt(key, err)
			}
		}
		ts.read[k] = true
	}
	ts.counts[k]++
	return nil
}

// flushCounts writes the counts of the kinds stored in the transaction.
func (ts *txnState) flushCounts() error {
	for k := protocol.KindDataset; k <= lastKind; k++ {
		if ts.read[k] {
			if err := ts.txn.Set([]byte(countKey(k)), encodeCount(ts.counts[k])); err != nil {
				return err
			}
		}
	}
	return nil
}

// countsSize is what flushCounts may add to a transaction, by Badger's
// accounting: bytes and entries.
func countsSize() (size, count int64) {
	for k := protocol.KindDataset; k <= lastKind; k++ {
		size += entrySize(len(countKey(k)), 8, valueThreshold)
	}
	return size, int64(lastKind)
}

// takeFiles removes the f/ writes from p and returns them, for an object
// whose file index does not fit in one transaction.
func (p *pending) takeFiles() []write {
	var files []write
	kept := p.writes[:0]
	for _, w := range p.writes {
		if bytes.HasPrefix(w.key, []byte(famFile)) {
			files = append(files, w)
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.writes[len(kept):])
	p.writes = kept
	return files
}
