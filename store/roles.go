package store

import (
	"slices"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/commons-p2p/commons/protocol"
)

// Which signatures the store keeps (SPEC.md §2.5, §5.5). A signature is
// kept only when its key holds, or may yet hold, a role that gives it
// meaning: anyone can add a valid signature to any object, and a store
// that kept them all would let a stranger grow an envelope past what the
// store can read back.

// roleSource reads what judging a signer's role needs, in the
// transaction of a writer or a reader.
type roleSource interface {
	// metaOf returns the meta record of id; ok is false when id is not
	// stored.
	metaOf(id protocol.ID) (m meta, ok bool, err error)
	// makersOf returns the issuers of the derivations stored here that
	// made an artifact with digest d.
	makersOf(d protocol.Digest) ([]protocol.DID, error)
	// rotationsOf returns the first at most limit rotations stored here
	// that touch key d, in the order of protocol.PartyOf (rotationsIn).
	rotationsOf(d protocol.DID, limit int) ([]protocol.Link, error)
}

// signerRoles are the keys whose signatures on one object carry meaning.
type signerRoles struct {
	// any is set when the roles cannot be judged yet (an attribution
	// whose subject is not stored here): every key may hold one.
	any bool
	// keys are the keys with a role, the issuer first, then the
	// contributor of an attribution, then the publishers of its subject.
	keys []protocol.DID
}

func (r signerRoles) keeps(d protocol.DID) bool { return r.any || slices.Contains(r.keys, d) }

// rolesOf returns the keys whose signatures carry meaning for o: for a
// dataset, derivation, endorsement or revocation its issuer's, for a
// rotation its two keys'; for an attribution any key's, within the limits
// of SPEC.md §2.1, the keys known to hold a role coming first when there
// is no room (makeRoom): its issuer, its contributor and the publisher of
// its subject (the issuer of a stored dataset or derivation; for an
// artifact, the issuers of its stored derivations).
//
// Every key is kept on an attribution because any key may yet hold a role
// or be of a role holder's party: the subject, or a derivation of an
// artifact that a steward endorses, has not reached this node yet; or the
// rotation that makes a co-signer the successor of a role holder (SPEC.md
// §4.6) has not. Dropping those signatures would make trust depend on the
// order in which objects arrive, and would let anyone who published a
// derivation first strip the real publisher's co-signatures.
func rolesOf(src roleSource, o *protocol.Object) (signerRoles, error) {
	r := ownRoles(o)
	if o.Kind != protocol.KindAttribution {
		return r, nil
	}
	r.any = true
	if o.About.IsObject() {
		m, ok, err := src.metaOf(o.About)
		if err != nil {
			return r, err
		}
		if ok && (m.Kind == protocol.KindDataset || m.Kind == protocol.KindDerivation) {
			r.keys = append(r.keys, m.Issuer)
		}
		return r, nil
	}
	makers, err := src.makersOf(o.About.Digest())
	if err != nil {
		return r, err
	}
	r.keys = append(r.keys, makers...)
	return r, nil
}

// overRoles returns r ready to choose among signatures over the limits:
// with the keys of the role holders' parties when any key is kept.
func overRoles(src roleSource, r signerRoles) (signerRoles, error) {
	if !r.any {
		return r, nil
	}
	return withParties(src, r)
}

// withParties adds to the keys known to hold a role those of their
// parties, as the rotations held join them whether or not they count (the
// store judges no policy when it writes): when the limits force a choice,
// a successor's signature weighs as its role holder's. Only an attribution
// whose signatures overflow the limits pays for the walks.
func withParties(src roleSource, r signerRoles) (signerRoles, error) {
	known := slices.Clone(r.keys)
	for _, k := range r.keys {
		party, err := protocol.PartyOf(k, src.rotationsOf, func(protocol.Link) (bool, error) { return true, nil })
		if err != nil {
			return r, err
		}
		for _, d := range party {
			if !slices.Contains(known, d) {
				known = append(known, d)
			}
		}
	}
	r.keys = known
	return r, nil
}

// makeRoom cuts env, the union of the stored signatures (by the keys
// before) and a new copy's, down to MaxSignatures when roles cannot be
// judged yet (r.any) and the copy brings a signature by a key known to
// hold a role (r.keys), so that padding by keys without a known role
// cannot shut out a role holder: first the copy's own signatures by keys
// without a known role go, then the stored ones, last in key order first.
// A copy that brings only signatures by keys without a known role is left
// over the limit, and setEnvelope refuses it: the stored copy stays.
func makeRoom(env *protocol.Envelope, before []protocol.DID, r signerRoles) {
	known := func(d protocol.DID) bool { return slices.Contains(r.keys, d) }
	if !r.any || len(env.Signatures) <= protocol.MaxSignatures {
		return
	}
	bringsRole := false
	for _, s := range env.Signatures {
		bringsRole = bringsRole || known(s.KeyID) && !slices.Contains(before, s.KeyID)
	}
	if !bringsRole {
		return
	}
	drop := func(stored bool) {
		for i := len(env.Signatures) - 1; i >= 0 && len(env.Signatures) > protocol.MaxSignatures; i-- {
			d := env.Signatures[i].KeyID
			if !known(d) && slices.Contains(before, d) == stored {
				env.Signatures = slices.Delete(env.Signatures, i, i+1)
			}
		}
	}
	drop(false)
	drop(true)
}

// ownRoles returns the keys with a role in o that o itself names: the keys
// that must sign it (its issuer; both keys of a rotation) and an
// attribution's contributor. When every signature to keep is
// by one of these, rolesOf's lookups of the subject decide nothing.
func ownRoles(o *protocol.Object) signerRoles {
	r := signerRoles{keys: o.Signers()}
	if o.Kind == protocol.KindAttribution {
		r.keys = append(r.keys, o.Attribution.Contributor)
	}
	return r
}

// fitLimits removes signatures from env until it satisfies the limits of
// SPEC.md §2.1, keeping those by the keys of r first, then the others in
// key order; env keeps its order. It is for envelopes that an earlier
// version of the store wrote over the limits: what the store writes now
// never needs it.
func fitLimits(env *protocol.Envelope, r signerRoles, n *names) {
	byRole := func(s protocol.Signature) bool { return slices.Contains(r.keys, s.KeyID) }
	if extra := len(env.Signatures) - protocol.MaxSignatures; extra > 0 {
		for i := len(env.Signatures) - 1; i >= 0 && extra > 0; i-- {
			if !byRole(env.Signatures[i]) {
				env.Signatures = slices.Delete(env.Signatures, i, i+1)
				extra--
			}
		}
		for i := len(env.Signatures) - 1; i >= 0 && extra > 0; i-- { // more keys with a role than the limit
			if env.Signatures[i].KeyID != r.keys[0] {
				env.Signatures = slices.Delete(env.Signatures, i, i+1)
				extra--
			}
		}
	}
	for len(env.Signatures) > 1 && len(encodeEnvelope(env, n)) > protocol.MaxEnvelopeSize {
		drop := len(env.Signatures) - 1
		for drop > 0 && byRole(env.Signatures[drop]) {
			drop--
		}
		env.Signatures = slices.Delete(env.Signatures, drop, drop+1)
	}
}

// makersIn returns the issuers of the derivations that made an artifact
// with digest d, as the scan of f/ in txn and metaOf see them.
func makersIn(txn *badger.Txn, d protocol.Digest, metaOf func(protocol.ID) (meta, bool, error)) ([]protocol.DID, error) {
	var ids []protocol.ID
	err := scan(txn, filePrefix(d), false, func(key, _ []byte) error {
		id, err := idOfKey(key)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []protocol.DID
	for _, id := range ids {
		m, ok, err := metaOf(id)
		if err != nil {
			return nil, err
		}
		if ok && m.Kind == protocol.KindDerivation && !slices.Contains(out, m.Issuer) {
			out = append(out, m.Issuer)
		}
	}
	return out, nil
}

// readRoles judges roles in a reading transaction.
type readRoles struct{ txn *badger.Txn }

func (r readRoles) metaOf(id protocol.ID) (meta, bool, error) { return getMeta(r.txn, id) }

func (r readRoles) makersOf(d protocol.Digest) ([]protocol.DID, error) {
	return makersIn(r.txn, d, r.metaOf)
}

func (r readRoles) rotationsOf(d protocol.DID, limit int) ([]protocol.Link, error) {
	return rotationsIn(r.txn, d, limit)
}

// The writer judges roles with what its transaction holds, the objects
// before this one in the batch included. A meta record never changes once
// written, so the subjects found are remembered for the batch: the
// co-signed copies of many claims name the same few subjects.
func (p *pending) metaOf(id protocol.ID) (meta, bool, error) {
	if m, ok := p.subjects[id]; ok {
		return m, true, nil
	}
	m, ok, err := p.meta(id)
	if ok && err == nil {
		if p.subjects == nil {
			p.subjects = map[protocol.ID]meta{}
		}
		p.subjects[id] = m
	}
	return m, ok, err
}

func (p *pending) makersOf(d protocol.Digest) ([]protocol.DID, error) {
	// An iterator of txn sees the writes of the batch so far; it sorts
	// them each time it is made, which only attributions of artifacts
	// pay.
	return makersIn(p.txn, d, p.meta)
}

func (p *pending) rotationsOf(d protocol.DID, limit int) ([]protocol.Link, error) {
	return rotationsIn(p.txn, d, limit)
}

// HoldsRole reports whether key d may vouch for attribution claim: it is
// the claim's issuer or contributor, the publisher of its subject held
// here, or a key of one of their parties as the rotations held join them
// (SPEC.md §4.5, §4.6); or the subject is an artifact or not held here, so
// that any key may yet be its publisher. The store keeps any key's
// signature on an attribution, within the limits; a caller that signs
// for a user asks this first, so that no one signs what means nothing.
func (s *Store) HoldsRole(claim protocol.ID, d protocol.DID) (bool, error) {
	const op = "holds role"
	var holds bool
	err := s.view(func(txn *badger.Txn) error {
		o, err := s.loadObject(txn, claim)
		if err != nil {
			return err
		}
		if o.Kind != protocol.KindAttribution {
			holds = slices.Contains(ownRoles(o).keys, d)
			return nil
		}
		src := readRoles{txn}
		if o.About.IsObject() {
			if _, ok, err := src.metaOf(o.About); err != nil || !ok {
				holds = err == nil
				return err
			}
		} else {
			holds = true
			return nil
		}
		r, err := rolesOf(src, o)
		if err == nil {
			r, err = withParties(src, r)
		}
		holds = err == nil && slices.Contains(r.keys, d)
		return err
	})
	if err != nil {
		return false, protocol.E(op, protocol.KindOf(err), "%s: %w", claim, err)
	}
	return holds, nil
}
