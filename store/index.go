package store

import (
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// put indexes o into p. refused is set, and nothing is pending, when o
// breaks a rule of the store; err is a failure of the store itself.
func (p *pending) put(o *protocol.Object) (res PutResult, refused, err error) {
	p.reset()
	if refused = checkShape(o); refused != nil {
		if o != nil {
			res.ID, res.Kind = o.ID, o.Kind
		}
		return res, refused, nil
	}
	res = PutResult{ID: o.ID, Kind: o.Kind}
	stored, over, err := p.storedCopy(o.ID)
	if err != nil {
		return res, nil, err
	}
	roles := ownRoles(o)
	if !all(o.Envelope.Signatures, roles.keeps) || stored != nil && !all(stored.Signatures, roles.keeps) {
		if roles, err = rolesOf(p, o); err != nil {
			return res, nil, err
		}
	}
	if stored == nil {
		if refused, err = p.checkRevocation(o); refused != nil || err != nil {
			return res, refused, err
		}
		refused, err = p.add(o, roles, &res)
		return res, refused, err
	}
	before := stored.Signers()
	if over {
		if roles, err = overRoles(p, roles); err != nil {
			return res, nil, err
		}
		if _, err := trimStored(stored, over, roles, p.keys.object(o.ID), &p.keys.names); err != nil {
			return res, nil, err
		}
	}
	refused, err = p.merge(o, roles, stored, before, &res)
	return res, refused, err
}

// storedCopy returns the envelope of id as the transaction holds it, or
// nil when id is not stored. over reports one over the limits of SPEC.md
// §2.1, which an earlier version of the store wrote; it is decoded anew
// for the caller to trim. Any other may be shared with the transaction's
// record of what it wrote, and must not be modified.
func (p *pending) storedCopy(id protocol.ID) (env *protocol.Envelope, over bool, err error) {
	if w, ok := p.written[id]; ok {
		return w.envelope, false, nil
	}
	key := p.keys.object(id)
	b, ok, err := p.getOwn(id, key)
	if err != nil || !ok {
		return nil, false, err
	}
	return decodeRaw(key, b)
}

// checkShape refuses an object that did not come out of
// protocol.ParseObject whole: the store would otherwise index nonsense.
func checkShape(o *protocol.Object) error {
	const op = "put object"
	if o == nil || o.Envelope == nil || len(o.Envelope.Signatures) == 0 {
		return protocol.E(op, protocol.Invalid, "not a verified object: no envelope or no signatures")
	}
	// Every ID is a CIDv1 over a sha2-256 digest (protocol.ID), so an
	// object ID whose digest is the payload's is the payload's ID; this
	// spares building the CID for each object.
	if !o.ID.IsObject() || o.ID.Digest() != protocol.SumDigest(o.Envelope.Payload) {
		return protocol.E(op, protocol.Invalid, "object ID %s is not the ID of its payload %s", o.ID, o.Envelope.ID())
	}
	ok := false
	switch o.Kind {
	case protocol.KindDataset:
		ok = o.Dataset != nil
	case protocol.KindAttribution:
		ok = o.Attribution != nil && !o.About.IsZero()
	case protocol.KindDerivation:
		ok = o.Derivation != nil && len(o.Files) == 1
	case protocol.KindEndorsement:
		ok = o.Endorsement != nil && !o.About.IsZero()
	case protocol.KindRevocation:
		ok = o.Revocation != nil && !o.About.IsZero()
	case protocol.KindRotation:
		ok = o.Rotation != nil
	}
	if !ok {
		return protocol.E(op, protocol.Invalid, "%s %s: predicate or subject missing; parse it with protocol.ParseObject", o.Kind, o.ID)
	}
	return nil
}

// checkRevocation refuses a revocation of a stored object that cannot be
// revoked, or of a stored claim by someone other than its issuer (see
// judgeRevocation).
func (p *pending) checkRevocation(o *protocol.Object) (refused, err error) {
	if o.Kind != protocol.KindRevocation {
		return nil, nil
	}
	target, ok, err := p.meta(o.About)
	if err != nil {
		return nil, err
	}
	return judgeRevocation(o, target, ok), nil
}

// judgeRevocation is the store's rule for revocation o, whose target has
// meta record target when stored is set (SPEC.md §3.6, §5.6): the target
// must be a claim that can be revoked, issued by the revocation's issuer.
// A revocation of an object not stored here is accepted: the object may
// arrive later, and then the revocation counts only if its issuer matches.
// Put and CheckPut both judge by it.
func judgeRevocation(o *protocol.Object, target meta, stored bool) error {
	const op = "put revocation"
	if !stored {
		return nil
	}
	if !revocable(target.Kind) {
		return protocol.E(op, protocol.Invalid, "revocation %s targets %s %s, which cannot be revoked (only attributions, endorsements and derivations can)", o.ID, target.Kind, o.About)
	}
	if target.Issuer != o.Revocation.Issuer {
		return protocol.E(op, protocol.Forbidden, "revocation %s by %s targets %s %s issued by %s: only its issuer may revoke it", o.ID, o.Revocation.Issuer, target.Kind, o.About, target.Issuer)
	}
	return nil
}

// merge stores the union of the signatures of stored, the stored copy
// (which it leaves as it is), and of o, reduced to those of roles, the
// keys with a role in o (rolesOf). before are the signers as stored. A union over the
// limits of SPEC.md §2.1 is refused, and the stored copy stays.
func (p *pending) merge(o *protocol.Object, roles signerRoles, stored *protocol.Envelope, before []protocol.DID, res *PutResult) (refused, err error) {
	key := p.keys.object(o.ID)
	env := &protocol.Envelope{PayloadType: stored.PayloadType, Payload: stored.Payload, Signatures: slices.Clone(stored.Signatures)}
	if _, err := env.Merge(o.Envelope); err != nil {
		return nil, corrupt(key, err)
	}
	env.Keep(roles.keeps)
	if len(env.Signatures) > protocol.MaxSignatures {
		if roles, err = overRoles(p, roles); err != nil {
			return nil, err
		}
	}
	makeRoom(env, before, roles)
	after := env.Signers()
	if slices.Equal(after, before) {
		res.Signers = len(after)
		return nil, nil
	}
	if refused := p.setEnvelope(o, env); refused != nil {
		return refused, nil
	}
	for _, d := range after {
		if !slices.Contains(before, d) {
			p.set(p.keys.signer(d, o.ID), nil)
			res.Added++
		}
	}
	for _, d := range before {
		if !slices.Contains(after, d) {
			p.delete(p.keys.signer(d, o.ID))
		}
	}
	res.Signers = len(after)
	if !isClaim(o.Kind) {
		return nil, nil
	}
	key = p.keys.claim(o.About, o.ID)
	s, ok, err := p.summary(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, corrupt(key, errMissingSummary)
	}
	s.Signers = after
	p.set(key, encodeSummary(s))
	return nil, nil
}

// setEnvelope writes env as the stored envelope of o. It is the one place
// that writes o/<id>, and it refuses (too large) an envelope that breaks a
// limit of SPEC.md §2.1: the store never writes what it could not read
// back.
func (p *pending) setEnvelope(o *protocol.Object, env *protocol.Envelope) (refused error) {
	const op = "put object"
	switch n := len(env.Signatures); {
	case n == 0:
		return protocol.E(op, protocol.Invalid, "%s %s: no signature with a role for it", o.Kind, o.ID)
	case n > protocol.MaxSignatures:
		return protocol.E(op, protocol.TooLarge, "%s %s: storing it would leave %d signatures, over the limit of %d (SPEC §2.1); the stored copy is kept", o.Kind, o.ID, n, protocol.MaxSignatures)
	}
	b := encodeEnvelope(env, &p.keys.names)
	if len(b) > protocol.MaxEnvelopeSize {
		return protocol.E(op, protocol.TooLarge, "%s %s: storing it would make a %d-byte envelope, over the limit of %d (SPEC §2.1); the stored copy is kept", o.Kind, o.ID, len(b), protocol.MaxEnvelopeSize)
	}
	p.set(p.keys.object(o.ID), b)
	p.object, p.envelope = o, env
	return nil
}

var errMissingSummary = protocol.E("", protocol.Other, "the claim is stored but its summary is missing")

// add indexes an object stored for the first time, with the signatures
// of o by the keys of roles (rolesOf). res gets the signatures stored.
func (p *pending) add(o *protocol.Object, roles signerRoles, res *PutResult) (refused, err error) {
	if !all(o.Envelope.Signatures, roles.keeps) {
		env := &protocol.Envelope{PayloadType: o.Envelope.PayloadType, Payload: o.Envelope.Payload, Signatures: slices.Clone(o.Envelope.Signatures)}
		env.Keep(roles.keeps)
		kept := *o
		kept.Envelope = env
		o = &kept
	}
	if refused := p.setEnvelope(o, o.Envelope); refused != nil {
		return refused, nil
	}
	p.isNew = true
	res.New, res.Added, res.Signers = true, len(o.Envelope.Signatures), len(o.Envelope.Signatures)
	return nil, p.index(o)
}

func all(sigs []protocol.Signature, keep func(protocol.DID) bool) bool {
	for _, s := range sigs {
		if !keep(s.KeyID) {
			return false
		}
	}
	return true
}

// index writes the index entries of an object stored for the first time.
func (p *pending) index(o *protocol.Object) error {
	p.set(p.keys.meta(o.ID), encodeMeta(metaOf(o)))
	for _, sig := range o.Envelope.Signatures {
		p.set(p.keys.signer(sig.KeyID, o.ID), nil)
	}
	p.counted = o.Kind
	switch o.Kind {
	case protocol.KindDataset:
		p.set(p.keys.dataset(o.ID), nil)
		p.addFiles(o)
		p.addParents(o)
	case protocol.KindDerivation:
		p.addFiles(o)
		p.addParents(o)
	case protocol.KindAttribution:
		p.set(p.keys.contributor(o.Attribution.Contributor, o.ID), nil)
		return p.addClaim(o)
	case protocol.KindEndorsement, protocol.KindRevocation:
		if err := p.addClaim(o); err != nil {
			return err
		}
		return p.refresh(o.About, 0)
	case protocol.KindRotation:
		p.addRotation(o)
	}
	return nil
}

// addFiles indexes the files of a dataset or the artifact of a
// derivation by digest. One digest may appear under several paths.
func (p *pending) addFiles(o *protocol.Object) {
	paths := make(map[protocol.Digest][]string, len(o.Files))
	var order []protocol.Digest
	for _, f := range o.Files {
		if _, seen := paths[f.Digest]; !seen {
			order = append(order, f.Digest)
		}
		paths[f.Digest] = append(paths[f.Digest], f.Name)
	}
	for _, d := range order {
		p.set(p.keys.file(d, o.ID), []byte(strings.Join(paths[d], "\n")))
	}
}

func (p *pending) addParents(o *protocol.Object) {
	weights := o.Weights()
	for i, parent := range o.Parents() {
		p.set(p.keys.child(parent, o.ID), nil)
		p.set(p.keys.lineage(o.ID, parent), encodeEdgeWeight(weights[i]))
	}
}

// addClaim writes the summary of a new claim, with what was said about it
// before it arrived folded in.
func (p *pending) addClaim(o *protocol.Object) error {
	s := summaryOf(o)
	if _, err := p.fold(o.ID, &s); err != nil {
		return err
	}
	p.set(p.keys.claim(o.About, o.ID), encodeSummary(s))
	return nil
}

// maxRefreshDepth bounds the cascade of refresh: a revocation changes an
// endorsement, which changes the attribution it endorses.
const maxRefreshDepth = 4

// refresh recomputes the summary of claim id after a claim about it was
// stored. Only attributions and endorsements have anything to recompute;
// an id not stored here has nothing yet.
func (p *pending) refresh(id protocol.ID, depth int) error {
	m, ok, err := p.meta(id)
	if err != nil || !ok || depth > maxRefreshDepth {
		return err
	}
	if m.Kind != protocol.KindAttribution && m.Kind != protocol.KindEndorsement {
		return nil
	}
	key := p.keys.claim(m.About, id)
	s, ok, err := p.summary(key)
	if err != nil {
		return err
	}
	if !ok {
		return corrupt(key, errMissingSummary)
	}
	changed, err := p.fold(id, &s)
	if err != nil || !changed {
		return err
	}
	p.set(key, encodeSummary(s))
	if m.Kind == protocol.KindEndorsement {
		return p.refresh(m.About, depth+1) // its endorsement of m.About counts no more
	}
	return nil
}

// fold sets s.Withdrawn and s.Endorsers of claim id from the claims about
// it: a revocation counts only when its issuer is the claim's issuer, an
// endorsement only while it is not withdrawn. It reports a change.
func (p *pending) fold(id protocol.ID, s *summary) (bool, error) {
	if s.Kind != protocol.KindAttribution && s.Kind != protocol.KindEndorsement {
		return false, nil
	}
	withdrawn := false
	var endorsers []protocol.DID
	err := p.saidAbout(id, func(c summary) {
		switch {
		case c.Kind == protocol.KindRevocation && c.Issuer == s.Issuer:
			withdrawn = true
		case c.Kind == protocol.KindEndorsement && !c.Withdrawn && s.Kind == protocol.KindAttribution:
			endorsers = append(endorsers, c.Issuer)
		}
	})
	if err != nil {
		return false, err
	}
	endorsers = sortDIDs(endorsers)
	if endorsers == nil {
		endorsers = []protocol.DID{}
	}
	changed := withdrawn != s.Withdrawn || !slices.Equal(endorsers, s.Endorsers)
	s.Withdrawn, s.Endorsers = withdrawn, endorsers
	return changed, nil
}
