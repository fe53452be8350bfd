package storetest

import (
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// NewDataset makes a dataset called name, published and signed by
// publisher, holding files (one file, "data.txt", when none are given).
func NewDataset(tb testing.TB, publisher *protocol.Key, name string, files ...protocol.File) *protocol.Object {
	tb.Helper()
	return NewDatasetWith(tb, publisher, protocol.Dataset{Name: name}, files...)
}

// NewDatasetWith makes the dataset d, signed by publisher. Zero fields
// default: Name "dataset", License "CC-BY-4.0", Publisher the publisher's
// DID, Created Now(); no files means one file "data.txt".
func NewDatasetWith(tb testing.TB, publisher *protocol.Key, d protocol.Dataset, files ...protocol.File) *protocol.Object {
	tb.Helper()
	if d.Name == "" {
		d.Name = "dataset"
	}
	if d.License == "" {
		d.License = "CC-BY-4.0"
	}
	if d.Publisher.IsZero() {
		d.Publisher = publisher.DID()
	}
	if d.Created.IsZero() {
		d.Created = Now()
	}
	if len(files) == 0 {
		files = []protocol.File{FileOf("data.txt", "contents of "+d.Name)}
	}
	return Sign(tb, protocol.KindDataset, protocol.FileSubjects(files), d, publisher)
}

// NewManifestDataset makes a dataset called name whose files are the
// manifest m (SPEC.md §3.8): its one subject is the root. Published and
// signed by publisher, created Now().
func NewManifestDataset(tb testing.TB, publisher *protocol.Key, name string, m protocol.ManifestRef) *protocol.Object {
	tb.Helper()
	d := protocol.Dataset{Name: name, License: "CC-BY-4.0", Publisher: publisher.DID(), Created: Now(), Manifest: &m}
	return Sign(tb, protocol.KindDataset, protocol.ReferenceSubject(m.Root), d, publisher)
}

// NewClaim makes an attribution claim, issued and signed by issuer, that
// contributor did role on subject with weight.
func NewClaim(tb testing.TB, issuer *protocol.Key, subject protocol.ID, contributor protocol.DID, role string, weight float64) *protocol.Object {
	tb.Helper()
	return NewClaimWith(tb, issuer, subject, protocol.Attribution{Contributor: contributor, Role: role, Weight: weight})
}

// NewClaimWith makes the attribution a about subject, signed by issuer.
// Zero fields default: Issuer the issuer's DID, Contributor the issuer's
// DID, Role "author", Weight 1, Created Now().
func NewClaimWith(tb testing.TB, issuer *protocol.Key, subject protocol.ID, a protocol.Attribution) *protocol.Object {
	tb.Helper()
	if a.Issuer.IsZero() {
		a.Issuer = issuer.DID()
	}
	if a.Contributor.IsZero() {
		a.Contributor = issuer.DID()
	}
	if a.Role == "" {
		a.Role = "author"
	}
	if a.Weight == 0 {
		a.Weight = 1
	}
	if a.Created.IsZero() {
		a.Created = Now()
	}
	return Sign(tb, protocol.KindAttribution, protocol.ReferenceSubject(subject), a, issuer)
}

// NewEndorsement makes an endorsement by issuer that subject (a dataset or
// a claim) meets standard.
func NewEndorsement(tb testing.TB, issuer *protocol.Key, subject protocol.ID, standard string) *protocol.Object {
	tb.Helper()
	return NewEndorsementWith(tb, issuer, subject, protocol.Endorsement{Standard: standard})
}

// NewEndorsementWith makes the endorsement e of subject, signed by issuer.
// Zero fields default: Issuer the issuer's DID, Standard "reviewed",
// Created Now().
func NewEndorsementWith(tb testing.TB, issuer *protocol.Key, subject protocol.ID, e protocol.Endorsement) *protocol.Object {
	tb.Helper()
	if e.Issuer.IsZero() {
		e.Issuer = issuer.DID()
	}
	if e.Standard == "" {
		e.Standard = "reviewed"
	}
	if e.Created.IsZero() {
		e.Created = Now()
	}
	return Sign(tb, protocol.KindEndorsement, protocol.ReferenceSubject(subject), e, issuer)
}

// NewRevocation makes a revocation by issuer of target, for reason.
func NewRevocation(tb testing.TB, issuer *protocol.Key, target protocol.ID, reason string) *protocol.Object {
	tb.Helper()
	return NewRevocationWith(tb, issuer, target, protocol.Revocation{Reason: reason})
}

// NewRevocationWith makes the revocation r of target, signed by issuer.
// Zero fields default: Issuer the issuer's DID, Reason "withdrawn",
// Created Now().
func NewRevocationWith(tb testing.TB, issuer *protocol.Key, target protocol.ID, r protocol.Revocation) *protocol.Object {
	tb.Helper()
	if r.Issuer.IsZero() {
		r.Issuer = issuer.DID()
	}
	if r.Reason == "" {
		r.Reason = "withdrawn"
	}
	if r.Created.IsZero() {
		r.Created = Now()
	}
	return Sign(tb, protocol.KindRevocation, protocol.ReferenceSubject(target), r, issuer)
}

// NewDerivation makes a derivation by publisher: artifact was made from
// inputs by activity.
func NewDerivation(tb testing.TB, publisher *protocol.Key, artifact protocol.File, activity string, inputs ...protocol.ID) *protocol.Object {
	tb.Helper()
	return NewDerivationWith(tb, publisher, artifact, protocol.Derivation{Activity: activity, Inputs: inputs})
}

// NewDerivationWith makes the derivation d of artifact, signed by
// publisher. Zero fields default: Publisher the publisher's DID, Activity
// "trained-on", Created Now(). Inputs are required.
func NewDerivationWith(tb testing.TB, publisher *protocol.Key, artifact protocol.File, d protocol.Derivation) *protocol.Object {
	tb.Helper()
	if d.Publisher.IsZero() {
		d.Publisher = publisher.DID()
	}
	if d.Activity == "" {
		d.Activity = "trained-on"
	}
	if d.Created.IsZero() {
		d.Created = Now()
	}
	return Sign(tb, protocol.KindDerivation, protocol.FileSubjects([]protocol.File{artifact}), d, publisher)
}

// NewRotation makes a rotation by which from hands its identity on to to,
// signed by both keys (SPEC.md §3.4).
func NewRotation(tb testing.TB, from, to *protocol.Key, note string) *protocol.Object {
	tb.Helper()
	r := protocol.Rotation{From: from.DID(), To: to.DID(), Note: note, Created: Now()}
	return Sign(tb, protocol.KindRotation, protocol.KeySubject(from.DID()), r, from, to)
}
