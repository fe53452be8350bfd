package store

import (
	"bytes"
	"errors"
	"hash/maphash"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// knownIDs spares the writer two reads per object that the store has
// never heard of: the read of o/<id> that tells a new object from another
// copy of a stored one, and the scan of s/<id>/ for what was said about
// it before it arrived. In a bulk ingest both find nothing for nearly
// every object, and together they cost as much as the rest of indexing a
// claim.
//
// It holds a filter of the IDs the store has heard of: every object
// stored, and every subject of a stored claim. The filter never forgets
// an ID; it may claim to know one it was never given (about 1 in 100),
// which costs the reads and nothing else. It lives in memory only: Open
// builds it from the m/ and s/ keys in the background (buildKnown) and,
// until it is ready, the writer reads as before and notes the IDs it
// stores, which are added when the filter is handed over.
//
// Only the writer uses it, under Store.writeMu.
type knownIDs struct {
	filter   *idFilter // nil until built
	building bool      // Open's build is under way: note what is stored
	noted    []string  // IDs stored while building
}

// unheardOf reports whether the store has certainly never heard of id (in
// its CID string form).
func (k *knownIDs) unheardOf(id string) bool {
	return k.filter != nil && !k.filter.mayHave(id)
}

// learn records an ID that the transaction being built stores, and
// reports whether the store had certainly never heard of it before. A
// transaction that then fails to commit leaves its IDs known, which is
// harmless.
func (k *knownIDs) learn(id string) (unheardOf bool) {
	switch {
	case k.filter != nil:
		return k.filter.add(id)
	case k.building:
		k.noted = append(k.noted, id)
	}
	return false
}

// handOver installs the filter built from a snapshot taken before any
// write, with the IDs stored since. A failed build leaves the writer
// reading as it would without a filter.
func (k *knownIDs) handOver(f *idFilter) {
	if f != nil {
		for _, id := range k.noted {
			f.add(id)
		}
		k.filter = f
	}
	k.building, k.noted = false, nil
}

// buildKnown builds the filter of known IDs from snap, a read transaction
// made before any write, and hands it to the writer. It gives up when the
// store closes.
func (s *Store) buildKnown(snap *badger.Txn) {
	defer close(s.knownBuilt)
	f, err := scanKnown(snap, s.stop)
	snap.Discard()
	if err != nil && !errors.Is(err, errStopped) {
		s.log.Warn("store: building the filter of known IDs failed; writes read the index instead", "err", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.known.handOver(f)
}

var errStopped = errors.New("store closing")

// scanKnown returns a filter of every ID in m/ (every object stored) and
// every subject in s/ (one seek per subject past its claims).
func scanKnown(snap *badger.Txn, stop <-chan struct{}) (*idFilter, error) {
	objects, claims, err := countsIn(snap)
	if err != nil {
		return nil, err
	}
	f := newIDFilter(2 * (objects + claims))
	it := snap.NewIterator(badger.IteratorOptions{})
	defer it.Close()
	n := 0
	stopped := func() bool {
		n++
		if n%1024 != 0 {
			return false
		}
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	meta := []byte(famMeta)
	for it.Seek(meta); it.ValidForPrefix(meta); it.Next() {
		if stopped() {
			return nil, errStopped
		}
		f.addBytes(it.Item().Key()[len(meta):])
	}
	subjects := []byte(famSubject)
	var past []byte
	for it.Seek(subjects); it.ValidForPrefix(subjects); it.Seek(past) {
		if stopped() {
			return nil, errStopped
		}
		key := it.Item().Key()
		end := len(subjects) + bytes.IndexByte(key[len(subjects):], '/')
		if end < len(subjects) {
			return nil, corrupt(key, errors.New("no claim ID after the subject"))
		}
		f.addBytes(key[len(subjects):end])
		past = append(append(past[:0], key[:end]...), '/'+1) // the first key after s/<subject>/…
	}
	return f, nil
}

// countsIn returns the objects stored and, among them, the claims, by the
// counts of x/count/<kind>.
func countsIn(txn *badger.Txn) (objects, claims int, err error) {
	for k := protocol.KindDataset; k <= lastKind; k++ {
		key := []byte(countKey(k))
		b, ok, err := get(txn, key)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			continue
		}
		n, err := decodeCount(b)
		if err != nil {
			return 0, 0, corrupt(key, err)
		}
		objects += int(n)
		if isClaim(k) {
			claims += int(n)
		}
	}
	return objects, claims, nil
}

// idFilter is a blocked Bloom filter of strings: an ID sets filterProbes
// bits of one 512-bit block, so that a lookup reads one cache line. At
// filterBits bits per ID it reports about 1 in 100 of the IDs never added
// as maybe added, and never the other way round. When it holds as many
// IDs as it was made for, a part twice as large takes the next ones, and
// lookups check every part.
type idFilter struct {
	seed  maphash.Seed
	parts []filterPart
}

type filterPart struct {
	blocks   [][8]uint64
	n, limit int
}

const (
	filterBits        = 10
	filterProbes      = 7
	minFilterCapacity = 1 << 16
)

func newIDFilter(capacity int) *idFilter {
	f := &idFilter{seed: maphash.MakeSeed()}
	f.grow(max(capacity, minFilterCapacity))
	return f
}

func (f *idFilter) grow(capacity int) {
	blocks := (capacity*filterBits + 511) / 512
	f.parts = append(f.parts, filterPart{blocks: make([][8]uint64, blocks), limit: capacity})
}

// add adds id and reports whether the filter certainly did not hold it.
func (f *idFilter) add(id string) bool { return f.set(maphash.String(f.seed, id)) }

func (f *idFilter) addBytes(id []byte) { f.set(maphash.Bytes(f.seed, id)) }

func (f *idFilter) set(h uint64) (wasAbsent bool) {
	wasAbsent = !f.has(h)
	p := &f.parts[len(f.parts)-1]
	if p.n == p.limit {
		f.grow(2 * p.limit)
		p = &f.parts[len(f.parts)-1]
	}
	block, probes := p.block(h), probeBits(h)
	for range filterProbes {
		bit := probes & 511
		block[bit/64] |= 1 << (bit % 64)
		probes >>= 9
	}
	p.n++
	return wasAbsent
}

func (f *idFilter) mayHave(id string) bool { return f.has(maphash.String(f.seed, id)) }

func (f *idFilter) has(h uint64) bool {
	for i := range f.parts {
		if f.parts[i].mayHave(h) {
			return true
		}
	}
	return false
}

func (p *filterPart) mayHave(h uint64) bool {
	block, probes := p.block(h), probeBits(h)
	for range filterProbes {
		bit := probes & 511
		if block[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
		probes >>= 9
	}
	return true
}

// block picks the block of hash h by its high 32 bits.
func (p *filterPart) block(h uint64) *[8]uint64 {
	return &p.blocks[(h>>32)*uint64(len(p.blocks))>>32]
}

// probeBits returns the bits to set or test in the block of h, 9 bits
// (0 to 511) for each probe, from a remix of h so that they do not follow
// the choice of block.
func probeBits(h uint64) uint64 {
	h ^= h >> 31
	h *= 0x7fb5d329728ea185
	h ^= h >> 27
	return h
}
