package store

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// claims reads the claims about subject: its contributors, sorted by
// weight (highest first), then DID, then claim ID; and, when endorsements
// is set, its endorsements, oldest first. Trust is computed with publisher
// as the subject's publisher, and the parties of the role holders that the
// rotations held make (SPEC §4.6).
func (q *attributionQuery) claims(subject protocol.ID, publisher protocol.DID, endorsements bool) ([]Contributor, []EndorsementView, error) {
	r := &claimReader{endorsements: endorsements, strs: make(map[string]string)}
	if err := r.read(q.txn, claimsPrefix(subject)); err != nil {
		return nil, nil, err
	}
	if err := q.parties.find(publisher); err != nil {
		return nil, nil, err
	}
	for i := range int32(r.cs.n) {
		c := r.cs.at(i)
		if err := q.parties.find(c.Issuer, c.DID); err != nil {
			return nil, nil, err
		}
	}
	parties := q.parties.Parties()
	cs := r.cs.sorted(r.order, func(c *pendingContributor) protocol.Trust {
		return q.trustOf(c, publisher, parties)
	})
	es := r.es
	if es == nil {
		es = []EndorsementView{}
	}
	for i := range es {
		es[i].Steward = q.steward(es[i].Issuer)
	}
	slices.SortFunc(es, func(a, b EndorsementView) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID.String(), b.ID.String()))
	})
	return cs, es, nil
}

// trustOf is the trust of claim c about a subject whose publisher is
// publisher (SPEC §4.5).
func (q *attributionQuery) trustOf(c *pendingContributor, publisher protocol.DID, parties protocol.Parties) protocol.Trust {
	return protocol.TrustOf(protocol.ClaimFacts{
		Issuer:      c.Issuer,
		Contributor: c.DID,
		Created:     c.Created,
		Signers:     c.Signers,
		Publisher:   publisher,
		Endorsers:   c.endorsers,
		Withdrawn:   c.withdrawn,
		Parties:     parties,
	}, q.policy)
}

// claimReader decodes the summaries under one subject. A subject may have
// tens of thousands of claims: the reading goroutine walks Badger's
// iterator and hands the entries over in batches to a second goroutine
// that decodes them, so the two halves of the work run side by side. The
// reader never calls the Policy (which need not be safe for concurrent
// use): trust is computed afterwards, by the caller.
type claimReader struct {
	endorsements bool

	// Written only by the decoding goroutine until read returns.
	strs    map[string]string
	scratch idScratch
	cs      contributorChunks
	order   []contributorOrder
	es      []EndorsementView
}

// claimBatch is the number of entries handed over at once. A subject with
// fewer claims is decoded by the reading goroutine alone.
const claimBatch = 256

// rawBatch holds copies of entries: the key of entry i is
// buf[ends[i-1].val:ends[i].key] and its value buf[ends[i].key:ends[i].val].
type rawBatch struct {
	buf  []byte
	ends []struct{ key, val int }
}

func (b *rawBatch) add(key, val []byte) {
	b.buf = append(append(b.buf, key...), val...)
	n := len(b.buf)
	b.ends = append(b.ends, struct{ key, val int }{n - len(val), n})
}

func (b *rawBatch) reset() { b.buf, b.ends = b.buf[:0], b.ends[:0] }

func (r *claimReader) wants(k protocol.ObjectKind) bool {
	return k == protocol.KindAttribution || k == protocol.KindEndorsement && r.endorsements
}

func (r *claimReader) read(txn *badger.Txn, prefix string) error {
	var work chan *rawBatch // nil until a second batch is needed
	free := make(chan *rawBatch, 4)
	done := make(chan error, 1)
	batch := new(rawBatch)
	err := scan(txn, prefix, true, func(key, val []byte) error {
		if len(val) < 2 {
			return corrupt(key, errShortSummary)
		}
		if !r.wants(protocol.ObjectKind(val[1])) {
			return nil // skip the decoding
		}
		batch.add(key, val)
		if len(batch.ends) < claimBatch {
			return nil
		}
		if work == nil {
			work = make(chan *rawBatch, 2)
			go r.decodeAll(work, free, done)
		}
		work <- batch
		select {
		case batch = <-free:
			batch.reset()
		default:
			batch = new(rawBatch)
		}
		return nil
	})
	if work == nil {
		if err != nil {
			return err
		}
		return r.decodeBatch(batch)
	}
	if err == nil {
		work <- batch
	}
	close(work)
	if derr := <-done; err == nil {
		err = derr
	}
	return err
}

// decodeAll decodes the batches from work until it is closed, and reports
// the first error on done.
func (r *claimReader) decodeAll(work <-chan *rawBatch, free chan<- *rawBatch, done chan<- error) {
	var err error
	for b := range work {
		if err == nil {
			err = r.decodeBatch(b)
		}
		select {
		case free <- b:
		default:
		}
	}
	done <- err
}

func (r *claimReader) decodeBatch(b *rawBatch) error {
	start := 0
	for _, e := range b.ends {
		if err := r.decode(b.buf[start:e.key], b.buf[e.key:e.val]); err != nil {
			return err
		}
		start = e.val
	}
	return nil
}

func (r *claimReader) decode(key, val []byte) error {
	s, err := decodeSummaryInterning(val, r.strs)
	if err != nil {
		return corrupt(key, err)
	}
	id, err := idOfKeyScratch(key, &r.scratch)
	if err != nil {
		return err
	}
	if s.Kind == protocol.KindEndorsement {
		r.es = append(r.es, EndorsementView{
			ID: id, Issuer: s.Issuer, Standard: s.Standard, Level: s.Level, Withdrawn: s.Withdrawn, Created: s.Created,
		})
		return nil
	}
	r.order = append(r.order, orderOf(r.cs.n, s.Weight, val))
	r.cs.add(pendingContributor{
		Contributor: Contributor{
			DID: s.Contributor, Role: s.Role, Weight: s.Weight, Claim: id,
			Issuer: s.Issuer, Signers: s.Signers, Created: s.Created, Note: s.Note,
		},
		endorsers: s.Endorsers,
		withdrawn: s.Withdrawn,
	})
	return nil
}

var errShortSummary = protocol.E("", protocol.Invalid, "summary shorter than its header")

// pendingContributor is a contributor whose trust is not yet computed,
// with the facts that decide it.
type pendingContributor struct {
	Contributor
	endorsers []protocol.DID
	withdrawn bool
}

// contributorOrder is the sort key of contributor i: its weight, made to
// sort highest first, then its DID's public key. Every Ed25519 did:key is
// "did:key:z" and 47 base58 digits, and the base58 alphabet is in ASCII
// order, so public-key byte order is did:key string order (TestDIDOrder
// checks it). The first 8 bytes of the key sit in head, so that most
// comparisons are of two integers.
type contributorOrder struct {
	weight uint64 // ^bits of the weight: weights are positive, so bit order is value order
	head   uint64 // the first 8 bytes of the public key, big-endian
	i      int32
}

func orderOf(i int, weight float64, summary []byte) contributorOrder {
	return contributorOrder{
		weight: ^math.Float64bits(weight),
		head:   binary.BigEndian.Uint64(summary[summaryContributorAt:]),
		i:      int32(i),
	}
}

// contributorChunks collects contributors in fixed-size chunks: a subject
// may have tens of thousands, and a growing slice would copy them over and
// over before the sort copies them once more.
type contributorChunks struct {
	chunks [][]pendingContributor
	n      int
}

const contributorChunk = 1024

func (c *contributorChunks) add(p pendingContributor) {
	if c.n%contributorChunk == 0 {
		// Most subjects have a few claims: the first chunk grows as a
		// slice does, up to contributorChunk, the others are made whole.
		size := contributorChunk
		if c.n == 0 {
			size = 8
		}
		c.chunks = append(c.chunks, make([]pendingContributor, 0, size))
	}
	last := len(c.chunks) - 1
	c.chunks[last] = append(c.chunks[last], p)
	c.n++
}

func (c *contributorChunks) at(i int32) *pendingContributor {
	return &c.chunks[i/contributorChunk][i%contributorChunk]
}

// sorted returns the contributors sorted by order (see contributorOrder),
// then by claim ID, each with the trust that trust computes.
func (c *contributorChunks) sorted(order []contributorOrder, trust func(*pendingContributor) protocol.Trust) []Contributor {
	slices.SortFunc(order, func(a, b contributorOrder) int {
		if d := cmp.Or(cmp.Compare(a.weight, b.weight), cmp.Compare(a.head, b.head)); d != 0 {
			return d
		}
		// Rare: the same weight and public keys alike in their first 8 bytes.
		x, y := c.at(a.i), c.at(b.i)
		return cmp.Or(compareDIDs(x.DID, y.DID), strings.Compare(x.Claim.String(), y.Claim.String()))
	})
	out := make([]Contributor, len(order))
	for n, o := range order {
		p := c.at(o.i)
		out[n] = p.Contributor
		out[n].Trust = trust(p)
	}
	return out
}
