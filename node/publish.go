package node

import (
	"context"
	"fmt"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// Ingest is the one door through which objects enter the store, whether the
// node made them or received them: decode, verify, check the time, store.
func (n *Node) Ingest(raw []byte) (store.PutResult, *protocol.Object, error) {
	o, err := protocol.VerifyObject(raw)
	if err == nil {
		err = protocol.CheckTime(o, n.now())
	}
	if err != nil {
		n.metrics.Refused(err)
		return store.PutResult{}, nil, err
	}
	res, err := n.store.Put(o)
	if err != nil {
		n.metrics.Refused(err)
		return store.PutResult{}, nil, err
	}
	n.metrics.ObservePut(res)
	n.net.Stored(o, res, swarm.FromAPI)
	return res, o, nil
}

// sign seals a statement of kind k with the key named as, and ingests it.
func (n *Node) sign(as string, k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any) (api.Published, error) {
	key, err := n.repo.Keys.Get(as)
	if err != nil {
		return api.Published{}, err
	}
	return n.signWith(key, k, subjects, pred)
}

// signWith seals a statement of kind k with key, and ingests it.
func (n *Node) signWith(key *protocol.Key, k protocol.ObjectKind, subjects []protocol.ResourceDescriptor, pred any) (api.Published, error) {
	if err := n.refuseRevoked("publish "+k.String(), key.DID()); err != nil {
		return api.Published{}, err
	}
	env, err := protocol.NewEnvelope(k, subjects, pred)
	if err != nil {
		return api.Published{}, err
	}
	key.Sign(env)
	raw := env.Encode()
	if len(raw) > protocol.MaxEnvelopeSize {
		return api.Published{}, protocol.E("publish "+k.String(), protocol.TooLarge, "the signed record is %d bytes, over the limit of %d", len(raw), protocol.MaxEnvelopeSize)
	}
	res, _, err := n.Ingest(raw)
	if err != nil {
		return api.Published{}, err
	}
	return api.Published{ID: res.ID, Kind: k.String(), Signer: key.DID(), New: res.New, Signers: res.Signers}, nil
}

// refuseRevoked refuses (forbidden) to sign with d when this node's
// governance state revokes it, from whatever effective time, past or
// future (SPEC §8.9): its co-signatures and endorsements count for nothing,
// and its claims count only when someone else witnessed them, so from the
// moment the node knows, the key signs nothing.
func (n *Node) refuseRevoked(op string, d protocol.DID) error {
	at, revoked := n.policy().KeyRevokedAt(d)
	if !revoked {
		return nil
	}
	why := ""
	if s := n.govState(); s != nil {
		for _, r := range s.Revoked() {
			if r.DID == d {
				why = fmt.Sprintf(" by proposal %s (%q)", r.Proposal, r.Reason)
				break
			}
		}
	}
	return protocol.E(op, protocol.Forbidden,
		"%s was revoked by this commons' governance from %s%s: a revoked key signs nothing, so nothing was signed",
		d, at.UTC().Format(time.RFC3339), why)
}

// signerDID returns the DID of the key named as, for predicates that name
// their issuer.
func (n *Node) signerDID(as string) (protocol.DID, error) {
	k, err := n.repo.Keys.Get(as)
	if err != nil {
		return protocol.DID{}, err
	}
	return k.DID(), nil
}

// created is the time a new statement is stamped with: now, in UTC, to the
// second, so that records read well.
func (n *Node) created() time.Time { return n.now().UTC().Truncate(time.Second) }

// AddDataset publishes a dataset record for files the client has hashed:
// listed in the request, or named by the manifest whose chunks it uploaded.
func (n *Node) AddDataset(ctx context.Context, req api.AddDatasetRequest) (api.Published, error) {
	const op = "add dataset"
	subjects, count, bytes, err := n.datasetFiles(ctx, op, req)
	if err != nil {
		return api.Published{}, err
	}
	parents := idsOrNil(req.Parents)
	if err := n.refuseUnknown(op, "parent", "allow_unknown_parents", parents, req.AllowUnknownParents); err != nil {
		return api.Published{}, err
	}
	publisher, err := n.signerDID(req.As)
	if err != nil {
		return api.Published{}, err
	}
	pred := protocol.Dataset{
		Name: req.Name, Description: req.Description, License: req.License, Version: req.Version,
		Publisher: publisher, Created: n.created(), Parents: parents, ParentWeights: req.ParentWeights, Manifest: req.Manifest,
	}
	p, err := n.sign(req.As, protocol.KindDataset, subjects, pred)
	if err != nil {
		return api.Published{}, err
	}
	p.Files, p.Bytes = int(count), bytes
	return p, nil
}

// datasetFiles checks the files of a dataset request and returns the
// record's subjects: a subject per file listed, or the root of the manifest
// named (SPEC.md §3.8), whose whole tree the node must hold, holding what
// the request says of it, before anything is signed, so that what it
// publishes it can serve.
func (n *Node) datasetFiles(ctx context.Context, op string, req api.AddDatasetRequest) (subjects []protocol.ResourceDescriptor, count, bytes int64, err error) {
	if m := req.Manifest; m != nil {
		if len(req.Files) > 0 {
			return nil, 0, 0, protocol.E(op, protocol.Invalid, "the request lists %d files and names a manifest: a dataset does one or the other", len(req.Files))
		}
		if m.Root.IsObject() || m.Root.IsZero() {
			return nil, 0, 0, protocol.E(op, protocol.Invalid, "manifest root %s is not a chunk ID (a raw CID, bafkrei…)", m.Root)
		}
		switch err := n.store.CheckManifest(manifestRoot(m)); {
		case protocol.IsKind(err, protocol.NotFound):
			return nil, 0, 0, protocol.E(op, protocol.NotFound, "manifest %s: %w; upload every chunk first (POST /v1/chunks)", m.Root, err)
		case err != nil:
			return nil, 0, 0, protocol.E(op, protocol.KindOf(err), "manifest %s: %w", m.Root, err)
		}
		return protocol.ReferenceSubject(m.Root), m.Count, m.Bytes, nil
	}
	files := make([]protocol.File, len(req.Files))
	for i, f := range req.Files {
		d, err := protocol.ParseDigest(f.SHA256)
		if err != nil {
			return nil, 0, 0, protocol.E(op, protocol.Invalid, "file %q: %w", f.Name, err)
		}
		if f.Size < 0 {
			return nil, 0, 0, protocol.E(op, protocol.Invalid, "file %q: negative size %d", f.Name, f.Size)
		}
		files[i] = protocol.File{Name: f.Name, Digest: d, Size: f.Size}
	}
	total, ok := protocol.TotalSize(files)
	if !ok {
		return nil, 0, 0, protocol.E(op, protocol.Invalid, "the sizes of the files add up to more than %d bytes", int64(protocol.MaxSize))
	}
	return protocol.FileSubjects(files), int64(len(files)), total, nil
}

// AddClaim publishes an attribution claim.
func (n *Node) AddClaim(_ context.Context, req api.AddClaimRequest) (api.Published, error) {
	const op = "add claim"
	subject := req.Subject
	if subject.IsZero() {
		return api.Published{}, protocol.E(op, protocol.Invalid, "missing subject")
	}
	issuer, err := n.signerDID(req.As)
	if err != nil {
		return api.Published{}, err
	}
	contributor := issuer
	if req.Contributor != "" {
		if contributor, err = n.resolveDID(req.Contributor); err != nil {
			return api.Published{}, protocol.E(op, protocol.KindOf(err), "contributor: %w", err)
		}
	}
	if err := protocol.CheckWeight(req.Weight); err != nil {
		return api.Published{}, protocol.E(op, protocol.Invalid, "%w", err)
	}
	pred := protocol.Attribution{
		Issuer: issuer, Contributor: contributor, Role: req.Role, Weight: req.Weight,
		Note: req.Note, Created: n.created(),
	}
	p, err := n.sign(req.As, protocol.KindAttribution, protocol.ReferenceSubject(subject), pred)
	return p, err
}

// resolveDID reads a did:key, or the name of a key in the keystore.
func (n *Node) resolveDID(s string) (protocol.DID, error) {
	if len(s) > 4 && s[:4] == "did:" {
		return protocol.ParseDID(s)
	}
	return n.signerDID(s)
}

// Cosign adds the signature of the key named as to a stored attribution
// claim. The object keeps its ID. Only an attribution takes co-signatures,
// and only by a key with a role in it (its contributor, the publisher of
// its subject, SPEC.md §2.5): the store keeps no other, so Cosign refuses
// the others rather than sign what would not be kept.
func (n *Node) Cosign(ctx context.Context, id protocol.ID, as string) (api.Published, error) {
	const op = "cosign"
	key, err := n.repo.Keys.Get(as)
	if err != nil {
		return api.Published{}, err
	}
	if err := n.refuseRevoked("cosign", key.DID()); err != nil {
		return api.Published{}, err
	}
	// A claim made elsewhere is fetched first, as a read would (SPEC.md
	// §7.5): co-signing is how its publisher acknowledges it.
	if err := n.fetchIfMissing(ctx, op, id, api.QueryOptions{}); err != nil {
		return api.Published{}, err
	}
	o, err := n.store.Object(id)
	if err != nil {
		return api.Published{}, err
	}
	if o.Kind != protocol.KindAttribution {
		return api.Published{}, protocol.E(op, protocol.Invalid, "%s is a %s; only attribution claims take co-signatures: on a %s the issuer's signature is the only one that means anything", id, o.Kind, o.Kind)
	}
	env := o.Envelope
	already := env.SignedBy(key.DID())
	if !already {
		holds, err := n.store.HoldsRole(id, key.DID())
		if err != nil {
			return api.Published{}, err
		}
		if !holds {
			return api.Published{}, protocol.E(op, protocol.Invalid, "%s is neither the issuer, the contributor nor the publisher of the subject of %s, nor a key of their parties: its signature would mean nothing, and was not stored", key.DID(), id)
		}
		key.Sign(env)
	}
	res, _, err := n.Ingest(env.Encode())
	if err != nil {
		return api.Published{}, err
	}
	return api.Published{ID: id, Kind: o.Kind.String(), Signer: key.DID(), New: res.Added > 0, Signers: res.Signers}, nil
}

// Revoke withdraws a claim. Only the claim's issuer may: the store refuses
// anyone else, and so does this check, with a message that says why. A
// claim issued by a key that a rotation retired is withdrawn with that
// key, which the keystore keeps for this (SPEC.md §3.6, §6.1), when no
// --as names another.
func (n *Node) Revoke(ctx context.Context, id protocol.ID, req api.RevokeRequest) (api.Published, error) {
	const op = "revoke"
	key, err := n.repo.Keys.Get(req.As)
	if err != nil {
		return api.Published{}, err
	}
	if err := n.fetchIfMissing(ctx, op, id, api.QueryOptions{}); err != nil {
		return api.Published{}, err
	}
	target, err := n.store.Object(id)
	if err != nil {
		return api.Published{}, err
	}
	if target.Kind != protocol.KindAttribution && target.Kind != protocol.KindEndorsement && target.Kind != protocol.KindDerivation {
		return api.Published{}, protocol.E(op, protocol.Invalid, "%s is a %s; only claims (attributions, endorsements, derivations) can be revoked", id, target.Kind)
	}
	if target.Issuer() != key.DID() && req.As == "" {
		retired, ok, err := n.repo.Keys.RetiredByDID(target.Issuer())
		if err != nil {
			return api.Published{}, err
		}
		if ok {
			key = retired
		}
	}
	if target.Issuer() != key.DID() {
		return api.Published{}, protocol.E(op, protocol.Forbidden, "%s was issued by %s; %s may not revoke it", id, target.Issuer(), key.DID())
	}
	pred := protocol.Revocation{Issuer: key.DID(), Reason: req.Reason, Created: n.created()}
	return n.signWith(key, protocol.KindRevocation, protocol.ReferenceSubject(id), pred)
}

// Endorse publishes an endorsement of a dataset or a claim.
func (n *Node) Endorse(_ context.Context, req api.EndorseRequest) (api.Published, error) {
	const op = "endorse"
	subject := req.Subject
	if subject.IsZero() {
		return api.Published{}, protocol.E(op, protocol.Invalid, "missing subject")
	}
	issuer, err := n.signerDID(req.As)
	if err != nil {
		return api.Published{}, err
	}
	pred := protocol.Endorsement{Issuer: issuer, Standard: req.Standard, Level: req.Level, Note: req.Note, Created: n.created()}
	p, err := n.sign(req.As, protocol.KindEndorsement, protocol.ReferenceSubject(subject), pred)
	return p, err
}

// Derive publishes a derivation: an artifact (a model) made from inputs.
func (n *Node) Derive(_ context.Context, req api.DeriveRequest) (api.Published, error) {
	const op = "derive"
	d := req.Digest
	if d == (protocol.Digest{}) {
		return api.Published{}, protocol.E(op, protocol.Invalid, "missing digest")
	}
	inputs := idsOrNil(req.Inputs)
	if err := n.refuseUnknown(op, "input", "allow_unknown_inputs", inputs, req.AllowUnknownInputs); err != nil {
		return api.Published{}, err
	}
	publisher, err := n.signerDID(req.As)
	if err != nil {
		return api.Published{}, err
	}
	name := req.Name
	if name == "" {
		name = ArtifactName(req.Activity, d)
	}
	size := req.Size
	if size == 0 {
		size = -1
	}
	pred := protocol.Derivation{Publisher: publisher, Inputs: inputs, InputWeights: req.InputWeights, Activity: req.Activity, Note: req.Note, Created: n.created()}
	files := []protocol.File{{Name: name, Digest: d, Size: size}}
	p, err := n.sign(req.As, protocol.KindDerivation, protocol.FileSubjects(files), pred)
	return p, err
}

// refuseUnknown refuses, unless allow, an ID of ids that the store does
// not hold: a mistyped parent or input signed into a record is there for
// good (SPEC.md §6.2). A client that wants one found on the network reads
// it first (GET /v1/objects/{id} searches and stores what it finds).
func (n *Node) refuseUnknown(op, what, flag string, ids []protocol.ID, allow bool) error {
	if allow {
		return nil
	}
	for _, id := range ids {
		if !id.IsObject() {
			continue // an artifact is no parent or input at all: the record's check says so
		}
		held, err := n.store.Has(id)
		if err != nil {
			return err
		}
		if !held {
			return protocol.E(op, protocol.NotFound, "%s %s is not held by this node: fetch or publish it first, or set %s to name it anyway", what, id, flag)
		}
	}
	return nil
}

// idsOrNil returns ids, or nil when it is empty: a record without parents
// or inputs names none.
func idsOrNil(ids []protocol.ID) []protocol.ID {
	if len(ids) == 0 {
		return nil
	}
	return ids
}
