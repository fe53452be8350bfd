package protocol

import (
	"crypto/sha256"
	"encoding/json"
)

// NewEnvelope encodes a statement of kind k about subjects with predicate
// pred and returns it as an unsigned envelope. Sign it with Key.Sign, then
// pass it through ParseObject like anything received from elsewhere.
func NewEnvelope(k ObjectKind, subjects []ResourceDescriptor, pred any) (*Envelope, error) {
	if k == KindUnknown || k.PredicateType() == "" {
		return nil, E("new statement", Invalid, "unknown object kind %d", k)
	}
	p, err := json.Marshal(pred)
	if err != nil {
		return nil, E("new statement", Invalid, "encode predicate: %v", err)
	}
	st := Statement{Type: StatementType, Subject: subjects, PredicateType: k.PredicateType(), Predicate: p}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, E("new statement", Invalid, "encode statement: %v", err)
	}
	return &Envelope{PayloadType: PayloadTypeInToto, Payload: payload}, nil
}

// FileSubjects returns the subjects of a dataset or derivation.
func FileSubjects(files []File) []ResourceDescriptor {
	out := make([]ResourceDescriptor, len(files))
	for i, f := range files {
		out[i] = ResourceDescriptor{Name: f.Name, Digest: map[string]string{"sha256": f.Digest.Hex()}}
		if f.Size >= 0 {
			out[i].Annotations = &FileAnnotations{Size: f.Size}
		}
	}
	return out
}

// ReferenceSubject returns the subject of a claim about id.
func ReferenceSubject(id ID) []ResourceDescriptor {
	return []ResourceDescriptor{{Name: id.String(), Digest: map[string]string{"sha256": id.Digest().Hex()}}}
}

// KeySubject returns the subject of a rotation of key d.
func KeySubject(d DID) []ResourceDescriptor {
	return []ResourceDescriptor{{Name: d.String(), Digest: map[string]string{"sha256": KeyDigest(d).Hex()}}}
}

// KeyDigest is the SHA-256 of d's 32-byte Ed25519 public key: the digest
// of a key subject (SPEC.md §3.3).
func KeyDigest(d DID) Digest { return sha256.Sum256(d.PublicKey()) }
