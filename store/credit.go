package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/credit"
)

// CreditGraph reads, from one snapshot, the whole lineage of subject as
// credit.Compute takes it (SPEC.md §4.7): every ancestor to any depth,
// through the parents of datasets, the inputs of derivations and, for an
// artifact, the derivations that made it and count at min; each node with
// the attribution claims about it and their trust under policy p (nil
// means no stewards and no revoked keys), computed as Attribution computes
// it. delisted, when given, reports the datasets governance delisted.
//
// An ancestor named but not stored here is in the graph as not held. An
// artifact (a raw ID) is a node of its own: its publisher and its
// derivations are those of SPEC.md §4.5, as Attribution finds them.
func (s *Store) CreditGraph(subject protocol.ID, p protocol.Policy, min protocol.Trust, delisted func(protocol.ID) bool) (*credit.Graph, error) {
	if p == nil {
		p = protocol.Stewards(nil)
	}
	if delisted == nil {
		delisted = func(protocol.ID) bool { return false }
	}
	g := credit.NewGraph(subject)
	err := s.view(func(txn *badger.Txn) error {
		q := attributionQuery{txn: txn, policy: p, parties: newPartyReader(txn, p, &s.rotated)}
		defer q.parties.close()
		sc := newSeeker(txn, 0)
		defer sc.close()
		artifacts, err := q.creditNodes(sc, g, min)
		if err != nil {
			return err
		}
		// What the index knows of the nodes, then the claims about them,
		// each in key order: the reads move forward through the tables
		// rather than back and forth between them.
		type node struct {
			id  protocol.ID
			key string
		}
		nodes := make([]node, 0, len(g.Nodes))
		for id := range g.Nodes {
			nodes = append(nodes, node{id, id.String()})
		}
		slices.SortFunc(nodes, func(a, b node) int { return strings.Compare(a.key, b.key) })
		ids, keys := make([]protocol.ID, len(nodes)), make([]string, len(nodes))
		for i, n := range nodes {
			ids[i], keys[i] = n.id, n.key
		}
		// Each half of the nodes is read on a core of its own, through
		// iterators of its own on the one snapshot; trust is decided
		// after, from the claims read.
		publishers := make([]protocol.DID, len(ids))
		for i, id := range ids {
			publishers[i] = artifacts[id]
		}
		half := len(ids) / 2
		var second *creditRead
		errs := make(chan error, 1)
		go func() {
			var err error
			second, err = readCreditNodes(txn, g, ids[half:], keys[half:], publishers[half:])
			errs <- err
		}()
		first, err := readCreditNodes(txn, g, ids[:half], keys[:half], publishers[:half])
		if err2 := <-errs; err == nil {
			err = err2
		}
		if err != nil {
			return err
		}
		for i, id := range ids {
			n := g.Nodes[id]
			if !n.Held {
				continue
			}
			r, j := first, i
			if i >= half {
				r, j = second, i-half
			}
			n.Delisted = delisted(id)
			if n.Claims, err = q.creditClaims(r, j, publishers[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("credit", protocol.KindOf(err), "%s: %w", subject, err)
	}
	return g, nil
}

// creditNodes fills g with the nodes of the lineage of g.Subject, breadth
// first over their edges, and returns the publishers it learnt: an
// artifact's (SPEC.md §4.5). An object node is marked held later, from
// its meta record; an artifact is always held.
func (q *attributionQuery) creditNodes(sc *seeker, g *credit.Graph, min protocol.Trust) (map[protocol.ID]protocol.DID, error) {
	publishers := map[protocol.ID]protocol.DID{}
	queue := []protocol.ID{g.Subject}
	seen := map[protocol.ID]bool{g.Subject: true}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		n := &credit.Node{ID: id}
		if id.IsObject() {
			var err error
			if n.Inputs, err = weightedParents(sc, id); err != nil {
				return nil, err
			}
		} else {
			a := &Attribution{Subject: id, Kind: protocol.KindUnknown.String()}
			roots, err := q.describe(a)
			if err != nil {
				return nil, err
			}
			n.Held, publishers[id] = true, a.Publisher
			// Anyone may publish a derivation naming any digest: the edges
			// are the publisher's derivations (describe); without a
			// publisher, every derivation not withdrawn at asserted, and
			// none above (SPEC.md §4.7).
			if min > protocol.Asserted && a.Publisher.IsZero() {
				roots = nil
			}
			for _, r := range roots {
				n.Inputs = append(n.Inputs, credit.Input{ID: r, Weight: 1})
			}
		}
		g.Add(n)
		for _, in := range n.Inputs {
			if !seen[in.ID] {
				seen[in.ID] = true
				queue = append(queue, in.ID)
			}
		}
	}
	return publishers, nil
}

// creditRead is what readCreditNodes reads of a part of the nodes: the
// claims about node i of the part, and the facts that decide their trust
// at the same places.
type creditRead struct {
	claims [][]credit.Claim
	facts  [][]creditFacts
}

// creditFacts are the facts of a claim that decide its trust, but for its
// contributor, which is in its credit.Claim.
type creditFacts struct {
	issuer    protocol.DID
	created   time.Time
	signers   []protocol.DID
	endorsers []protocol.DID
	withdrawn bool
}

// creditChunk is the least number of claims, and of their facts, the
// reader allocates at once: the nodes' slices are cut from chunks rather
// than grown one by one.
const creditChunk = 4096

// cut returns a copy of src in the free part of *chunk, allocating a new
// chunk when src does not fit.
func cut[T any](chunk *[]T, src []T) []T {
	if cap(*chunk)-len(*chunk) < len(src) {
		*chunk = make([]T, 0, max(creditChunk, len(src)))
	}
	n := len(*chunk)
	*chunk = append(*chunk, src...)
	return (*chunk)[n : n+len(src) : n+len(src)]
}

// readCreditNodes reads, for each of ids (whose keys are keys), whether
// the store holds it and its publisher (an artifact's is given), then the
// attribution claims about those held, in key order, from their
// summaries. It touches nothing of g but the Held of the nodes of ids.
func readCreditNodes(txn *badger.Txn, g *credit.Graph, ids []protocol.ID, keys []string, publishers []protocol.DID) (*creditRead, error) {
	metas, claims := newSeeker(txn, seekSteps), newSeeker(txn, seekSteps)
	defer metas.close()
	defer claims.close()
	strs := make(map[string]string)
	var scratch idScratch
	var cs, cchunk []credit.Claim
	var fs, fchunk []creditFacts
	var key []byte
	r := &creditRead{claims: make([][]credit.Claim, len(ids)), facts: make([][]creditFacts, len(ids))}
	for i, id := range ids {
		n := g.Nodes[id]
		if !n.Held {
			m, ok, err := metas.meta(append(append(key[:0], famMeta...), keys[i]...))
			if err != nil {
				return nil, err
			}
			n.Held, publishers[i] = ok, publisherOf(m)
		}
		if !n.Held {
			continue
		}
		cs, fs = cs[:0], fs[:0]
		key = append(append(append(key[:0], famSubject...), keys[i]...), '/')
		err := claims.each(key, func(key, val []byte) error {
			if len(val) < 2 {
				return corrupt(key, errShortSummary)
			}
			if protocol.ObjectKind(val[1]) != protocol.KindAttribution {
				return nil
			}
			s, err := decodeSummaryInterning(val, strs)
			if err != nil {
				return corrupt(key, err)
			}
			cid, err := idOfKeyScratch(key, &scratch)
			if err != nil {
				return err
			}
			cs = append(cs, credit.Claim{ID: cid, Contributor: s.Contributor, Role: s.Role, Weight: s.Weight})
			fs = append(fs, creditFacts{issuer: s.Issuer, created: s.Created, signers: s.Signers, endorsers: s.Endorsers, withdrawn: s.Withdrawn})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			r.claims[i], r.facts[i] = cut(&cchunk, cs), cut(&fchunk, fs)
		}
	}
	return r, nil
}

// creditClaims gives the claims read about node i of r their trust, as
// claims computes it, and returns them in key order: the order of
// credit's input does not matter, so they are not sorted.
func (q *attributionQuery) creditClaims(r *creditRead, i int, publisher protocol.DID) ([]credit.Claim, error) {
	cs, fs := r.claims[i], r.facts[i]
	if len(cs) == 0 {
		return nil, nil
	}
	if err := q.parties.find(publisher); err != nil {
		return nil, err
	}
	for j := range cs {
		if err := q.parties.find(fs[j].issuer, cs[j].Contributor); err != nil {
			return nil, err
		}
	}
	parties := q.parties.Parties()
	for j := range cs {
		f := &fs[j]
		cs[j].Trust = protocol.TrustOf(protocol.ClaimFacts{
			Issuer:      f.issuer,
			Contributor: cs[j].Contributor,
			Created:     f.created,
			Signers:     f.signers,
			Publisher:   publisher,
			Endorsers:   f.endorsers,
			Withdrawn:   f.withdrawn,
			Parties:     parties,
		}, q.policy)
	}
	return cs, nil
}

// seeker reads the keys under many prefixes through one iterator: a
// lineage of thousands of nodes would otherwise open two iterators for
// each. Read in key order, the prefixes are mostly reached by stepping
// forward from where the last read left the iterator rather than by a
// seek, which decompresses a block of every level of the tree again.
type seeker struct {
	it    *badger.Iterator
	steps int    // how many keys seek steps over before it seeks
	last  []byte // the last target; the iterator is at the first key past it and past the keys under it
}

// seekSteps is how many keys a seeker reading in key order steps over
// before it seeks: a step costs a small part of a seek.
const seekSteps = 32

// newSeeker returns a seeker that steps over up to steps keys before it
// seeks: seekSteps when the prefixes are read in key order, 0 otherwise.
func newSeeker(txn *badger.Txn, steps int) *seeker {
	return &seeker{it: txn.NewIterator(badger.IteratorOptions{}), steps: steps}
}

func (s *seeker) close() { s.it.Close() }

// seek puts the iterator at the first key not below target, as
// Iterator.Seek does. When target follows the last one and the keys
// under it, every key between that place and the iterator's is at or past
// target, so a few steps forward find the same key.
func (s *seeker) seek(target []byte) {
	if s.steps > 0 && s.last != nil && bytes.Compare(target, s.last) > 0 && !bytes.HasPrefix(target, s.last) {
		for range s.steps {
			if !s.it.Valid() || bytes.Compare(s.it.Item().Key(), target) >= 0 {
				s.last = append(s.last[:0], target...)
				return
			}
			s.it.Next()
		}
	}
	s.it.Seek(target)
	s.last = append(s.last[:0], target...)
}

// each calls fn with every key under prefix and its value, in key order;
// both are valid only during the call.
func (s *seeker) each(p []byte, fn func(key, val []byte) error) error {
	for s.seek(p); s.it.ValidForPrefix(p); s.it.Next() {
		item := s.it.Item()
		if err := item.Value(func(val []byte) error { return fn(item.Key(), val) }); err != nil {
			return err
		}
	}
	return nil
}

// meta reads the meta record under key (metaKey), as getMeta does.
func (s *seeker) meta(key []byte) (m meta, ok bool, err error) {
	s.seek(key)
	if !s.it.Valid() || !bytes.Equal(s.it.Item().Key(), key) {
		return meta{}, false, nil
	}
	b, err := s.it.Item().ValueCopy(nil)
	if err != nil {
		return meta{}, false, err
	}
	if m, err = decodeMeta(b); err != nil {
		return meta{}, false, corrupt(key, err)
	}
	return m, true, nil
}

// weightedParents returns the parents (inputs) of id with their weights,
// in key order.
func weightedParents(sc *seeker, id protocol.ID) ([]credit.Input, error) {
	var out []credit.Input
	err := sc.each([]byte(famLineage+id.String()+"/"), func(key, val []byte) error {
		pid, err := idOfKey(key)
		if err != nil {
			return err
		}
		w, err := decodeEdgeWeight(val)
		if err != nil {
			return corrupt(key, err)
		}
		out = append(out, credit.Input{ID: pid, Weight: w})
		return nil
	})
	return out, err
}

// encodeEdgeWeight is the value of l/<child>/<parent>: empty for weight 1,
// the weight's IEEE 754 bits, big-endian, otherwise.
func encodeEdgeWeight(w float64) []byte {
	if w == 1 {
		return nil
	}
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(w))
}

func decodeEdgeWeight(b []byte) (float64, error) {
	if len(b) == 0 {
		return 1, nil
	}
	if len(b) != 8 {
		return 0, protocol.E("decode edge weight", protocol.Invalid, "%d bytes, want 0 or 8", len(b))
	}
	w := math.Float64frombits(binary.BigEndian.Uint64(b))
	if err := protocol.CheckWeight(w); err != nil {
		return 0, protocol.E("decode edge weight", protocol.Invalid, "%w", err)
	}
	return w, nil
}

// CreditSigners returns the keys that signed a claim about a node of the
// lineage of subject (as CreditGraph reads it at asserted, its widest)
// without being the claim's issuer, its contributor or the publisher of
// its subject: the only signatures that a rotation the store lacks could
// make count (SPEC.md §4.6), so the keys whose rotations a search for the
// lineage asks for. They are in did:key order, each once.
func (s *Store) CreditSigners(subject protocol.ID) ([]protocol.DID, error) {
	g := credit.NewGraph(subject)
	var out []protocol.DID
	err := s.view(func(txn *badger.Txn) error {
		q := attributionQuery{txn: txn, policy: protocol.Stewards(nil), parties: newPartyReader(txn, protocol.Stewards(nil), &s.rotated)}
		defer q.parties.close()
		sc := newSeeker(txn, 0)
		defer sc.close()
		artifacts, err := q.creditNodes(sc, g, protocol.Asserted)
		if err != nil {
			return err
		}
		ids := make([]protocol.ID, 0, len(g.Nodes))
		for id := range g.Nodes {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
		keys, publishers := make([]string, len(ids)), make([]protocol.DID, len(ids))
		for i, id := range ids {
			keys[i], publishers[i] = id.String(), artifacts[id]
		}
		r, err := readCreditNodes(txn, g, ids, keys, publishers)
		if err != nil {
			return err
		}
		seen := map[protocol.DID]bool{}
		for i := range ids {
			for j, c := range r.claims[i] {
				f := &r.facts[i][j]
				for _, d := range f.signers {
					if !seen[d] && d != f.issuer && d != c.Contributor && d != publishers[i] {
						seen[d] = true
						out = append(out, d)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, protocol.E("credit signers", protocol.KindOf(err), "%s: %w", subject, err)
	}
	slices.SortFunc(out, protocol.CompareDIDs)
	return out, nil
}
