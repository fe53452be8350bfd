package store

import (
	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Limits of the lineage walk. Cycles cannot be built (an object names its
// parents by hash, so a parent is older than its child), but the walk
// guards against them anyway.
const (
	MaxLineageDepth     = 16
	MaxLineageAncestors = 1000
)

// Attribution answers from the local index alone: the subject as far as it
// is known here, the attribution claims about it with their trust under
// policy p (nil means no stewards and no revoked keys), the endorsements of
// it, and its ancestors with their own contributors.
//
// The subject may be an object or an artifact (a raw ID). An artifact takes
// its publisher from the derivations stored here that made it, are not
// withdrawn and that a current steward endorsed, when they all have one
// issuer (SPEC §4.5); and its lineage from the inputs of every derivation
// of it that is not withdrawn (at depth 1, Via the derivation).
func (s *Store) Attribution(subject protocol.ID, p protocol.Policy) (*Attribution, error) {
	if p == nil {
		p = protocol.Stewards(nil)
	}
	a := &Attribution{
		Subject:      subject,
		Kind:         protocol.KindUnknown.String(),
		Contributors: []Contributor{},
		Endorsements: []EndorsementView{},
		Lineage:      []Ancestor{},
	}
	err := s.view(func(txn *badger.Txn) error {
		q := attributionQuery{txn: txn, policy: p, parties: newPartyReader(txn, p, &s.rotated)}
		defer q.parties.close()
		roots, err := q.describe(a)
		if err != nil {
			return err
		}
		a.Contributors, a.Endorsements, err = q.claims(subject, a.Publisher, true)
		if err != nil {
			return err
		}
		a.Lineage, err = q.lineage(subject, roots)
		return err
	})
	if err != nil {
		return nil, protocol.E("attribution", protocol.Other, "%s: %w", subject, err)
	}
	return a, nil
}

// attributionQuery reads within one snapshot.
type attributionQuery struct {
	txn     *badger.Txn
	policy  protocol.Policy
	parties *partyReader
}

// describe fills in what the index knows of a.Subject and returns the
// nodes whose parents are the subject's ancestors at depth 1. For an
// artifact with a publisher these are the publisher's derivations alone:
// anyone can publish a derivation naming any digest and any inputs, and
// once a steward has said whose model it is, no one else adds ancestors
// to it. Without a publisher every derivation is its issuer's word, and
// all are shown, each ancestor with the derivation it came through (Via).
func (q *attributionQuery) describe(a *Attribution) ([]protocol.ID, error) {
	m, ok, err := getMeta(q.txn, a.Subject)
	if err != nil {
		return nil, err
	}
	if ok {
		a.Kind, a.Name = m.Kind.String(), m.Name
		a.Publisher = publisherOf(m)
		return []protocol.ID{a.Subject}, nil
	}
	if a.Subject.IsObject() {
		return nil, nil // unknown here
	}
	a.Kind = "artifact"
	makers, err := q.makers(a.Subject.Digest())
	if err != nil {
		return nil, err
	}
	for _, mk := range makers {
		if mk.endorsed {
			if err := q.parties.find(mk.Issuer); err != nil {
				return nil, err
			}
		}
	}
	same := func(a, b protocol.DID) bool { return protocol.SameParty(q.parties.Parties(), a, b) }
	a.Publisher = artifactPublisher(makers, same)
	a.Name = artifactName(makers, a.Publisher, same)
	roots := make([]protocol.ID, 0, len(makers))
	for _, mk := range makers {
		if a.Publisher.IsZero() || same(mk.Issuer, a.Publisher) {
			roots = append(roots, mk.id)
		}
	}
	return roots, nil
}

// artifactPublisher returns the publisher of an artifact (SPEC §4.5): the
// issuer of the derivations of it that a current steward endorsed, when
// their issuers are one party (§4.6), the first of those keys by did:key
// text; otherwise no one. Anyone may publish a derivation naming any
// digest, so one that no steward endorsed neither gives the publisher nor
// takes it away.
func artifactPublisher(makers []maker, same func(a, b protocol.DID) bool) protocol.DID {
	var publisher protocol.DID
	for _, mk := range makers {
		switch {
		case !mk.endorsed:
		case publisher.IsZero():
			publisher = mk.Issuer
		case !same(publisher, mk.Issuer):
			return protocol.DID{}
		case mk.Issuer.String() < publisher.String():
			publisher = mk.Issuer
		}
	}
	return publisher
}

// artifactName returns the name the makers give the artifact, when they
// agree: only the publisher's party's derivations, when it has one, so
// that no one else can clear it.
func artifactName(makers []maker, publisher protocol.DID, same func(a, b protocol.DID) bool) string {
	name, first := "", true
	for _, mk := range makers {
		if !publisher.IsZero() && !same(mk.Issuer, publisher) {
			continue
		}
		if first {
			name, first = mk.Name, false
		} else if mk.Name != name {
			return ""
		}
	}
	return name
}

// publisherOf returns the publisher of a dataset or derivation, and no one
// for a claim: the party whose co-signature acknowledges a claim about it.
func publisherOf(m meta) protocol.DID {
	if m.Kind == protocol.KindDataset || m.Kind == protocol.KindDerivation {
		return m.Issuer
	}
	return protocol.DID{}
}

type maker struct {
	id protocol.ID
	meta
	endorsed bool // a current steward endorsed it, and has not withdrawn the endorsement
}

// makers returns the derivations stored here that made an artifact with
// digest d and that their publisher has not withdrawn.
func (q *attributionQuery) makers(d protocol.Digest) ([]maker, error) {
	var ids []protocol.ID
	err := scan(q.txn, filePrefix(d), false, func(key, _ []byte) error {
		id, err := idOfKey(key)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []maker
	for _, id := range ids {
		m, ok, err := getMeta(q.txn, id)
		if err != nil {
			return nil, err
		}
		if !ok || m.Kind != protocol.KindDerivation {
			continue
		}
		st, err := q.standing(id, m.Issuer)
		if err != nil {
			return nil, err
		}
		if !st.withdrawn {
			out = append(out, maker{id, m, st.endorsed})
		}
	}
	return out, nil
}

// objectStanding is what the claims about an object say of it.
type objectStanding struct {
	withdrawn bool // a revocation by its issuer is stored
	endorsed  bool // a current steward endorsed it and has not withdrawn the endorsement
}

// standing reads the claims about id, an object whose issuer is issuer.
// A revoked key is never a steward (SPEC §8.5), whatever the policy says.
func (q *attributionQuery) standing(id protocol.ID, issuer protocol.DID) (objectStanding, error) {
	var st objectStanding
	err := scan(q.txn, claimsPrefix(id), true, func(key, val []byte) error {
		s, err := decodeSummary(val)
		if err != nil {
			return corrupt(key, err)
		}
		switch s.Kind {
		case protocol.KindRevocation:
			st.withdrawn = st.withdrawn || s.Issuer == issuer
		case protocol.KindEndorsement:
			st.endorsed = st.endorsed || !s.Withdrawn && q.steward(s.Issuer)
		}
		return nil
	})
	return st, err
}

// steward reports whether d is a current steward under the query's policy
// and no key that governance revoked.
func (q *attributionQuery) steward(d protocol.DID) bool {
	if _, revoked := q.policy.KeyRevokedAt(d); revoked {
		return false
	}
	return q.policy.IsSteward(d)
}

// lineage walks the parent edges breadth-first from roots (the subject, or
// the derivations that made an artifact), to MaxLineageDepth and at most
// MaxLineageAncestors ancestors, each with its own contributors.
func (q *attributionQuery) lineage(subject protocol.ID, roots []protocol.ID) ([]Ancestor, error) {
	type node struct {
		id    protocol.ID
		depth int
	}
	out := []Ancestor{}
	seen := map[protocol.ID]bool{subject: true}
	queue := make([]node, 0, len(roots))
	for _, r := range roots {
		seen[r] = true
		queue = append(queue, node{r, 0})
	}
	for len(queue) > 0 && len(out) < MaxLineageAncestors {
		n := queue[0]
		queue = queue[1:]
		if n.depth >= MaxLineageDepth {
			continue
		}
		parents, err := q.parents(n.id)
		if err != nil {
			return nil, err
		}
		for _, pid := range parents {
			if seen[pid] || len(out) >= MaxLineageAncestors {
				continue
			}
			seen[pid] = true
			anc, err := q.ancestor(pid, n.id, n.depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, anc)
			queue = append(queue, node{pid, n.depth + 1})
		}
	}
	return out, nil
}

func (q *attributionQuery) parents(id protocol.ID) ([]protocol.ID, error) {
	var out []protocol.ID
	err := scan(q.txn, famLineage+id.String()+"/", false, func(key, _ []byte) error {
		pid, err := idOfKey(key)
		out = append(out, pid)
		return err
	})
	return out, err
}

func (q *attributionQuery) ancestor(id, via protocol.ID, depth int) (Ancestor, error) {
	a := Ancestor{ID: id, Kind: protocol.KindUnknown.String(), Depth: depth, Via: via}
	m, ok, err := getMeta(q.txn, id)
	if err != nil {
		return a, err
	}
	var publisher protocol.DID
	if ok {
		a.Kind, a.Name, publisher = m.Kind.String(), m.Name, publisherOf(m)
	}
	a.Contributors, _, err = q.claims(id, publisher, false)
	return a, err
}
