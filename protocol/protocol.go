package protocol

import (
	"encoding/json"
	"time"
)

// StatementType is the _type of every commons payload: an in-toto Statement v1.
const StatementType = "https://in-toto.io/Statement/v1"

// Predicate types, one per kind of object. SPEC.md §3 defines each.
const (
	PredicateDataset     = "https://commons.network/dataset/v1"
	PredicateAttribution = "https://commons.network/attribution/v1"
	PredicateDerivation  = "https://commons.network/derivation/v1"
	PredicateEndorsement = "https://commons.network/endorsement/v1"
	PredicateRevocation  = "https://commons.network/revocation/v1"
	PredicateRotation    = "https://commons.network/key-rotation/v1"
)

// ObjectKind says what an object is. The numbers are stored in the index:
// the list only grows at the end.
type ObjectKind uint8

const (
	KindUnknown ObjectKind = iota
	KindDataset
	KindAttribution
	KindDerivation
	KindEndorsement
	KindRevocation
	KindRotation
)

var kindInfo = [...]struct{ name, predicate string }{
	KindUnknown:     {"unknown", ""},
	KindDataset:     {"dataset", PredicateDataset},
	KindAttribution: {"attribution", PredicateAttribution},
	KindDerivation:  {"derivation", PredicateDerivation},
	KindEndorsement: {"endorsement", PredicateEndorsement},
	KindRevocation:  {"revocation", PredicateRevocation},
	KindRotation:    {"rotation", PredicateRotation},
}

func (k ObjectKind) String() string {
	if int(k) < len(kindInfo) {
		return kindInfo[k].name
	}
	return "unknown"
}

// PredicateType returns the predicateType URI of kind k.
func (k ObjectKind) PredicateType() string {
	if int(k) < len(kindInfo) {
		return kindInfo[k].predicate
	}
	return ""
}

// kindOfPredicate maps a predicateType to its kind, or KindUnknown.
func kindOfPredicate(t string) ObjectKind {
	for k, info := range kindInfo {
		if k != 0 && info.predicate == t {
			return ObjectKind(k)
		}
	}
	return KindUnknown
}

// Statement is an in-toto Statement v1 as it appears in a payload.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     json.RawMessage      `json:"predicate"`
}

// ResourceDescriptor is an in-toto v1 resource descriptor, reduced to the
// fields commons reads. Other fields are refused (SPEC.md §3.1).
type ResourceDescriptor struct {
	Name        string            `json:"name"`
	Digest      map[string]string `json:"digest"`
	Annotations *FileAnnotations  `json:"annotations,omitempty"`
}

// FileAnnotations are the annotations commons puts on a file subject.
type FileAnnotations struct {
	Size int64 `json:"size"`
}

// Dataset is the predicate of a dataset record. Its subjects are the
// files; or, when Manifest is set, its one subject is the manifest's root
// (SPEC.md §3.3, §3.8).
type Dataset struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	License     string    `json:"license"` // an SPDX license expression
	Publisher   DID       `json:"publisher"`
	Created     time.Time `json:"created"`
	Parents     []ID      `json:"parents,omitempty"` // datasets this one derives from
	// ParentWeights gives each parent its weight in (0,1], in the order of
	// Parents, for the credit that flows to it (SPEC.md §4.7). Absent, every
	// parent weighs 1; null, empty or of another length is refused.
	ParentWeights []float64       `json:"parent_weights,omitempty" strict:"nonull"`
	Version       string          `json:"version,omitempty"`
	Croissant     json.RawMessage `json:"croissant,omitempty"` // optional Croissant metadata, carried as is
	RAI           json.RawMessage `json:"rai,omitempty"`       // optional Croissant RAI fields, carried as is
	// Manifest names the file list of a dataset of many files, held in
	// chunks outside the record (SPEC.md §3.8). null is refused.
	Manifest *ManifestRef `json:"manifest,omitempty" strict:"nonull"`
}

// ManifestRef is what a dataset record says of its manifest (SPEC.md
// §3.8): the ID of its root chunk (an artifact ID: codec raw, the SHA-256
// of the chunk's bytes), the number of its entries (at least 1) and the
// sum of their sizes.
type ManifestRef struct {
	Root  ID    `json:"root"`
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// ManifestThreshold is the number of files beyond which a producer names a
// manifest instead of listing the files as subjects (SPEC.md §3.8).
// Readers accept both forms whatever the number.
const ManifestThreshold = 1000

// Attribution is the predicate of an attribution claim: Contributor did
// Role on the subject (a dataset, a model or any artifact), with Weight in
// (0,1]. Issuer signed it.
type Attribution struct {
	Issuer      DID       `json:"issuer"`
	Contributor DID       `json:"contributor"`
	Role        string    `json:"role"`
	Weight      float64   `json:"weight"`
	Note        string    `json:"note,omitempty"`
	Created     time.Time `json:"created"`
}

// Derivation is the predicate of a derivation record: the subject (a model
// or other artifact, by digest) was made from Inputs by Activity.
type Derivation struct {
	Publisher DID  `json:"publisher"`
	Inputs    []ID `json:"inputs"`
	// InputWeights gives each input its weight in (0,1], in the order of
	// Inputs (SPEC.md §4.7). Absent, every input weighs 1.
	InputWeights []float64 `json:"input_weights,omitempty" strict:"nonull"`
	Activity     string    `json:"activity"` // trained-on, fine-tuned-on, filtered-from, …
	Note         string    `json:"note,omitempty"`
	Created      time.Time `json:"created"`
}

// Endorsement is the predicate of an endorsement: Issuer vouches that the
// subject (a dataset or a claim) meets Standard.
type Endorsement struct {
	Issuer   DID       `json:"issuer"`
	Standard string    `json:"standard"`
	Level    string    `json:"level,omitempty"`
	Note     string    `json:"note,omitempty"`
	Created  time.Time `json:"created"`
}

// Revocation is the predicate of a revocation: Issuer withdraws the claim
// named by the subject. Only the claim's own issuer may revoke it.
type Revocation struct {
	Issuer  DID       `json:"issuer"`
	Reason  string    `json:"reason"`
	Created time.Time `json:"created"`
}

// Rotation is the predicate of a key rotation: the holder of key From
// hands its identity on to key To. Both keys sign it, so neither can be
// named by the other against its will (SPEC.md §3.4, §4.6). The subject is
// the key From.
type Rotation struct {
	From    DID       `json:"from"`
	To      DID       `json:"to"`
	Note    string    `json:"note,omitempty"`
	Created time.Time `json:"created"`
}

// File is a file of a dataset (or an artifact of a derivation): its path
// inside the dataset, its digest and its size (-1 when not given).
type File struct {
	Name   string
	Digest Digest
	Size   int64
}

// Object is a verified envelope together with the meaning of its payload.
// Exactly one of the predicate fields is set, the one Kind names.
type Object struct {
	ID       ID
	Envelope *Envelope
	Kind     ObjectKind

	// Files are the subjects of a dataset or derivation; none for a
	// dataset with a manifest, whose files are its manifest's entries
	// (Dataset.Manifest).
	Files []File
	// About is the subject of an attribution, endorsement or revocation.
	About ID

	Dataset     *Dataset
	Attribution *Attribution
	Derivation  *Derivation
	Endorsement *Endorsement
	Revocation  *Revocation
	Rotation    *Rotation
}

// Issuer returns the identity responsible for o: the publisher of a dataset
// or derivation, the issuer of a claim, the old key of a rotation.
func (o *Object) Issuer() DID {
	switch o.Kind {
	case KindDataset:
		return o.Dataset.Publisher
	case KindAttribution:
		return o.Attribution.Issuer
	case KindDerivation:
		return o.Derivation.Publisher
	case KindEndorsement:
		return o.Endorsement.Issuer
	case KindRevocation:
		return o.Revocation.Issuer
	case KindRotation:
		return o.Rotation.From
	}
	return DID{}
}

// Signers returns the keys that must have signed o: its issuer, and for a
// rotation also the new key.
func (o *Object) Signers() []DID {
	if o.Kind == KindRotation {
		return []DID{o.Rotation.From, o.Rotation.To}
	}
	return []DID{o.Issuer()}
}

// Created returns the time o says it was made.
func (o *Object) Created() time.Time {
	switch o.Kind {
	case KindDataset:
		return o.Dataset.Created
	case KindAttribution:
		return o.Attribution.Created
	case KindDerivation:
		return o.Derivation.Created
	case KindEndorsement:
		return o.Endorsement.Created
	case KindRevocation:
		return o.Revocation.Created
	case KindRotation:
		return o.Rotation.Created
	}
	return time.Time{}
}

// Parents returns the objects o derives from: a dataset's parents, a
// derivation's inputs.
func (o *Object) Parents() []ID {
	switch o.Kind {
	case KindDataset:
		return o.Dataset.Parents
	case KindDerivation:
		return o.Derivation.Inputs
	}
	return nil
}
