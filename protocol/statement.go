package protocol

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Limits on statements. SPEC.md §3.
const (
	MaxParents    = 256  // parents of a dataset, inputs of a derivation
	MaxNameLen    = 256  // dataset name, license, standard
	MaxTextLen    = 4096 // descriptions, notes, reasons
	MaxPathLen    = 1024 // a file's path inside a dataset
	MaxTokenLen   = 64   // roles, activities, levels
	MaxClockSkew  = 10 * time.Minute
	minCreatedUTC = 2000 // a created time before this year is refused
)

// VerifyObject is the door every object passes: it decodes the envelope,
// verifies its signatures, decodes and validates the statement, and checks
// that the issuer signed it. The result can be stored.
func VerifyObject(b []byte) (*Object, error) {
	env, err := DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	if err := env.Verify(); err != nil {
		return nil, err
	}
	return ParseObject(env)
}

// ParseObject gives meaning to a verified envelope. It refuses a payload
// that is not a valid commons statement, and one whose issuer or publisher
// is not among the signers.
func ParseObject(env *Envelope) (*Object, error) {
	const op = "parse statement"
	if env.PayloadType != PayloadTypeInToto {
		return nil, E(op, Invalid, "payloadType %q, want %q", clip(env.PayloadType), PayloadTypeInToto)
	}
	var st Statement
	if err := decodeStrict("statement", env.Payload, &st); err != nil {
		return nil, E(op, Invalid, "malformed statement JSON: %v", err)
	}
	if st.Type != StatementType {
		return nil, E(op, Invalid, "_type %q, want %q", clip(st.Type), StatementType)
	}
	kind := kindOfPredicate(st.PredicateType)
	if kind == KindUnknown {
		return nil, E(op, Invalid, "unknown predicateType %q", clip(st.PredicateType))
	}
	if len(st.Predicate) == 0 || string(st.Predicate) == "null" {
		return nil, E(op, Invalid, "%s: missing predicate", kind)
	}
	o := &Object{ID: env.ID(), Envelope: env, Kind: kind}
	if err := o.parse(&st); err != nil {
		return nil, E(op, Invalid, "%s: %w", kind, err)
	}
	if iss := o.Issuer(); !env.SignedBy(iss) {
		return nil, E(op, Invalid, "%s: issuer %s did not sign it", kind, iss)
	}
	if kind == KindRotation && !env.SignedBy(o.Rotation.To) {
		return nil, E(op, Invalid, "%s: new key %s did not sign it", kind, o.Rotation.To)
	}
	return o, nil
}

func (o *Object) parse(st *Statement) error {
	var err error
	switch o.Kind {
	case KindDataset:
		o.Dataset = new(Dataset)
		if err = decodeStrict("predicate", st.Predicate, o.Dataset); err == nil {
			err = o.Dataset.validate()
		}
		switch {
		case err != nil:
		case o.Dataset.Manifest != nil:
			err = parseManifestSubject(st.Subject, o.Dataset.Manifest.Root)
		default:
			o.Files, err = parseFiles(st.Subject)
		}
	case KindAttribution:
		o.Attribution = new(Attribution)
		if err = decodeStrict("predicate", st.Predicate, o.Attribution); err == nil {
			err = o.Attribution.validate()
		}
		if err == nil {
			o.About, err = parseReference(st.Subject, false)
		}
	case KindDerivation:
		o.Derivation = new(Derivation)
		if err = decodeStrict("predicate", st.Predicate, o.Derivation); err == nil {
			err = o.Derivation.validate()
		}
		if err == nil {
			o.Files, err = parseFiles(st.Subject)
		}
		if err == nil && len(o.Files) != 1 {
			err = E("", Invalid, "a derivation has exactly one subject, the artifact made; got %d", len(o.Files))
		}
	case KindEndorsement:
		o.Endorsement = new(Endorsement)
		if err = decodeStrict("predicate", st.Predicate, o.Endorsement); err == nil {
			err = o.Endorsement.validate()
		}
		if err == nil {
			o.About, err = parseReference(st.Subject, true)
		}
	case KindRevocation:
		o.Revocation = new(Revocation)
		if err = decodeStrict("predicate", st.Predicate, o.Revocation); err == nil {
			err = o.Revocation.validate()
		}
		if err == nil {
			o.About, err = parseReference(st.Subject, true)
		}
	case KindRotation:
		o.Rotation = new(Rotation)
		if err = decodeStrict("predicate", st.Predicate, o.Rotation); err == nil {
			err = o.Rotation.validate()
		}
		if err == nil {
			err = parseKeySubject(st.Subject, o.Rotation.From)
		}
	}
	return err
}

// CheckDatasetText refuses, as a dataset record would, the members of a
// dataset that a person types: its name, description, licence and
// version. A tool checks them before it hashes a tree of files, so that a
// mistyped licence is refused at once rather than after the hashing.
func CheckDatasetText(name, description, license, version string) error {
	if err := checkText("name", name, nameText); err != nil {
		return err
	}
	if err := checkText("description", description, proseText); err != nil {
		return err
	}
	if err := checkLicense(license); err != nil {
		return err
	}
	return checkText("version", version, optLineText)
}

func (d *Dataset) validate() error {
	if err := CheckDatasetText(d.Name, d.Description, d.License, d.Version); err != nil {
		return err
	}
	if err := checkDID("publisher", d.Publisher); err != nil {
		return err
	}
	if err := checkCreated(d.Created); err != nil {
		return err
	}
	if err := checkObjectJSON("croissant", d.Croissant); err != nil {
		return err
	}
	if err := checkObjectJSON("rai", d.RAI); err != nil {
		return err
	}
	if d.Manifest != nil {
		if err := d.Manifest.validate(); err != nil {
			return err
		}
	}
	if err := checkRefs("parents", d.Parents, false); err != nil {
		return err
	}
	return checkWeights("parent_weights", d.ParentWeights, "parents", len(d.Parents))
}

// validate checks the manifest member of a dataset (SPEC.md §3.4, §3.8):
// a root that is a chunk ID (codec raw), at least one entry, and bytes a
// Size.
func (m *ManifestRef) validate() error {
	switch {
	case m.Root.IsZero():
		return E("", Invalid, "manifest: missing root")
	case m.Root.IsObject():
		return E("", Invalid, "manifest: root %s is an object ID (codec json), want the ID of a chunk (codec raw)", m.Root)
	case m.Count < 1:
		return E("", Invalid, "manifest: count %d, want at least 1 entry", m.Count)
	case m.Bytes < 0:
		return E("", Invalid, "manifest: bytes %d is negative", m.Bytes)
	}
	return nil
}

func (a *Attribution) validate() error {
	if err := checkDID("issuer", a.Issuer); err != nil {
		return err
	}
	if err := checkDID("contributor", a.Contributor); err != nil {
		return err
	}
	if err := checkToken("role", a.Role); err != nil {
		return err
	}
	if err := CheckWeight(a.Weight); err != nil {
		return err
	}
	if err := checkText("note", a.Note, proseText); err != nil {
		return err
	}
	return checkCreated(a.Created)
}

func (d *Derivation) validate() error {
	if err := checkDID("publisher", d.Publisher); err != nil {
		return err
	}
	if err := checkToken("activity", d.Activity); err != nil {
		return err
	}
	if err := checkText("note", d.Note, proseText); err != nil {
		return err
	}
	if err := checkCreated(d.Created); err != nil {
		return err
	}
	if err := checkRefs("inputs", d.Inputs, true); err != nil {
		return err
	}
	return checkWeights("input_weights", d.InputWeights, "inputs", len(d.Inputs))
}

func (e *Endorsement) validate() error {
	if err := checkDID("issuer", e.Issuer); err != nil {
		return err
	}
	if err := checkText("standard", e.Standard, nameText); err != nil {
		return err
	}
	if e.Level != "" {
		if err := checkToken("level", e.Level); err != nil {
			return err
		}
	}
	if err := checkText("note", e.Note, proseText); err != nil {
		return err
	}
	return checkCreated(e.Created)
}

func (r *Revocation) validate() error {
	if err := checkDID("issuer", r.Issuer); err != nil {
		return err
	}
	if err := checkText("reason", r.Reason, reasonText); err != nil {
		return err
	}
	return checkCreated(r.Created)
}

func (r *Rotation) validate() error {
	if err := checkDID("from", r.From); err != nil {
		return err
	}
	if err := checkDID("to", r.To); err != nil {
		return err
	}
	if r.From == r.To {
		return E("", Invalid, "from and to are the same key %s", r.From)
	}
	if err := checkText("note", r.Note, proseText); err != nil {
		return err
	}
	return checkCreated(r.Created)
}

// CheckWeight refuses a weight outside (0,1].
func CheckWeight(w float64) error {
	if math.IsNaN(w) || w <= 0 || w > 1 {
		return E("", Invalid, "weight %v is outside (0,1]", w)
	}
	return nil
}

// checkWeights checks the weights of n references (parents or inputs):
// absent (nil), or one Weight per reference. The decoder refuses null; an
// empty array, weights without references, a count that differs or a
// weight outside (0,1] is refused here, naming the member.
func checkWeights(field string, ws []float64, refs string, n int) error {
	switch {
	case ws == nil:
		return nil
	case len(ws) == 0:
		return E("", Invalid, "%s: empty array; leave it out for every weight 1", field)
	case len(ws) != n:
		return E("", Invalid, "%s: %d weights for %d %s, want one weight per entry of %s", field, len(ws), n, refs, refs)
	}
	for i, w := range ws {
		if err := CheckWeight(w); err != nil {
			return E("", Invalid, "%s[%d]: %w", field, i, err)
		}
	}
	return nil
}

// Weights returns the weights of o's parents (a dataset) or inputs (a
// derivation), in the order of Parents, each 1 when the record gives none.
func (o *Object) Weights() []float64 {
	var ws []float64
	switch o.Kind {
	case KindDataset:
		ws = o.Dataset.ParentWeights
	case KindDerivation:
		ws = o.Derivation.InputWeights
	}
	if ws != nil {
		return ws
	}
	ws = make([]float64, len(o.Parents()))
	for i := range ws {
		ws[i] = 1
	}
	return ws
}

// parseFiles reads the subjects of a dataset or derivation: artifacts,
// each with a path and a sha256 digest. Paths are distinct files of one
// tree (checkPathSet), and the sizes add up to at most MaxSize.
func parseFiles(subjects []ResourceDescriptor) ([]File, error) {
	if len(subjects) == 0 {
		return nil, E("", Invalid, "no subject: at least one file is required")
	}
	files := make([]File, len(subjects))
	paths := make([]string, len(subjects))
	for i, s := range subjects {
		if err := CheckPath(s.Name); err != nil {
			return nil, E("", Invalid, "subject %d: %w", i, err)
		}
		d, err := sha256Of(s)
		if err != nil {
			return nil, E("", Invalid, "subject %d (%q): %w", i, clip(s.Name), err)
		}
		files[i] = File{Name: s.Name, Digest: d, Size: -1}
		paths[i] = s.Name
		if s.Annotations != nil {
			if s.Annotations.Size < 0 {
				return nil, E("", Invalid, "subject %d (%q): negative size %d", i, clip(s.Name), s.Annotations.Size)
			}
			files[i].Size = s.Annotations.Size
		}
	}
	if _, j, err := checkPathSet(paths); err != nil {
		return nil, E("", Invalid, "subject %d: %w", j, err)
	}
	if _, ok := TotalSize(files); !ok {
		return nil, E("", Invalid, "the sizes of the files add up to more than %d bytes", int64(MaxSize))
	}
	return files, nil
}

// MaxSize is the largest size of a file, and of all the files of a
// record together: 2^63 − 1 bytes. SPEC.md §3.2.
const MaxSize = math.MaxInt64

// TotalSize returns the sum of the sizes of files, an unknown size (-1)
// counting 0. The sum saturates at MaxSize, and ok is false when it did:
// a valid record never does, but one stored before the rule may.
func TotalSize(files []File) (total int64, ok bool) {
	for _, f := range files {
		if f.Size <= 0 {
			continue
		}
		if f.Size > MaxSize-total {
			return MaxSize, false
		}
		total += f.Size
	}
	return total, true
}

// parseManifestSubject checks the subjects of a dataset with a manifest:
// exactly one, a reference subject naming the manifest's root, so that an
// in-toto tool matches the statement by the root's digest (SPEC.md §3.3).
func parseManifestSubject(subjects []ResourceDescriptor, root ID) error {
	if len(subjects) != 1 {
		return E("", Invalid, "a dataset with a manifest has exactly one subject, the manifest's root %s; got %d", root, len(subjects))
	}
	s := subjects[0]
	if s.Name != root.String() {
		return E("", Invalid, "subject %q is not the manifest's root %s", clip(s.Name), root)
	}
	if s.Annotations != nil {
		return E("", Invalid, "subject %s: annotations are not allowed on the manifest's root", root)
	}
	d, err := sha256Of(s)
	if err != nil {
		return E("", Invalid, "subject %s: %w", root, err)
	}
	if d != root.Digest() {
		return E("", Invalid, "subject %s: digest.sha256 %s is not the root's digest", root, d.Hex())
	}
	return nil
}

// parseReference reads the single subject of a claim: another object or an
// artifact, named by its ID with the digest the ID contains.
func parseReference(subjects []ResourceDescriptor, objectOnly bool) (ID, error) {
	if len(subjects) != 1 {
		return ID{}, E("", Invalid, "want exactly one subject, got %d", len(subjects))
	}
	s := subjects[0]
	if s.Annotations != nil {
		return ID{}, E("", Invalid, "subject: annotations are not allowed on a reference")
	}
	id, err := parseCanonicalID(s.Name)
	if err != nil { // then ParseID or the canonical form refuses it, and says why
		if id, err = ParseID(s.Name); err != nil {
			return ID{}, E("", Invalid, "subject name: %w", err)
		}
		if c := id.String(); c != s.Name {
			return ID{}, E("", Invalid, "subject name %q is not in canonical form %s", clip(s.Name), c)
		}
	}
	if objectOnly && !id.IsObject() {
		return ID{}, E("", Invalid, "subject %s is an artifact, want an object ID", id)
	}
	d, err := sha256Of(s)
	if err != nil {
		return ID{}, E("", Invalid, "subject %s: %w", id, err)
	}
	if d != id.Digest() {
		return ID{}, E("", Invalid, "subject %s: digest.sha256 %s does not match the ID", id, d.Hex())
	}
	return id, nil
}

// parseKeySubject checks the single subject of a rotation: the key from,
// named by its did:key, with the SHA-256 of its 32-byte public key.
func parseKeySubject(subjects []ResourceDescriptor, from DID) error {
	if len(subjects) != 1 {
		return E("", Invalid, "want exactly one subject, the key from; got %d", len(subjects))
	}
	s := subjects[0]
	if s.Annotations != nil {
		return E("", Invalid, "subject: annotations are not allowed on a key")
	}
	if s.Name != from.String() {
		return E("", Invalid, "subject name %q is not the key from, %s", clip(s.Name), from)
	}
	d, err := sha256Of(s)
	if err != nil {
		return E("", Invalid, "subject %s: %w", from, err)
	}
	if d != KeyDigest(from) {
		return E("", Invalid, "subject %s: digest.sha256 %s is not the SHA-256 of its public key", from, d.Hex())
	}
	return nil
}

func sha256Of(s ResourceDescriptor) (Digest, error) {
	h, ok := s.Digest["sha256"]
	if !ok {
		return Digest{}, E("", Invalid, "missing digest.sha256")
	}
	if len(h) != 2*len(Digest{}) || strings.ToLower(h) != h {
		return Digest{}, E("", Invalid, "digest.sha256 %q is not 64 lowercase hex digits", clip(h))
	}
	return ParseDigest(h)
}

// checkToken accepts lowercase words joined by hyphens: "annotator",
// "trained-on".
func checkToken(field, s string) error {
	if s == "" {
		return E("", Invalid, "missing %s", field)
	}
	if len(s) > MaxTokenLen {
		return E("", Invalid, "%s is %d bytes, over %d", field, len(s), MaxTokenLen)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(s)-1
		if !ok {
			return E("", Invalid, "%s %q: want lowercase letters, digits and inner hyphens", field, clip(s))
		}
	}
	return nil
}

// checkLicense accepts the characters of an SPDX license expression:
// identifiers, LicenseRef-…, WITH/AND/OR and parentheses.
func checkLicense(s string) error {
	if err := checkText("license", s, licenseText); err != nil {
		return err
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-+:() ", r)
		if !ok {
			return E("", Invalid, "license %q is not an SPDX license expression", clip(s))
		}
	}
	return nil
}

func checkDID(field string, d DID) error {
	if d.IsZero() {
		return E("", Invalid, "missing %s", field)
	}
	return nil
}

func checkCreated(t time.Time) error {
	if t.IsZero() {
		return E("", Invalid, "missing created")
	}
	if t.UTC().Year() < minCreatedUTC {
		return E("", Invalid, "created %s is before %d", t.Format(time.RFC3339), minCreatedUTC)
	}
	return nil
}

func checkObjectJSON(field string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return E("", Invalid, "%s must be a JSON object", field)
	}
	return nil
}

func checkRefs(field string, ids []ID, required bool) error {
	if required && len(ids) == 0 {
		return E("", Invalid, "missing %s", field)
	}
	if len(ids) > MaxParents {
		return E("", Invalid, "%d %s, over %d", len(ids), field, MaxParents)
	}
	seen := make(map[ID]struct{}, len(ids))
	for _, id := range ids {
		if id.IsZero() {
			return E("", Invalid, "%s: empty ID", field)
		}
		if !id.IsObject() {
			return E("", Invalid, "%s: %s is an artifact, want an object ID", field, id)
		}
		if _, dup := seen[id]; dup {
			return E("", Invalid, "%s: %s appears twice", field, id)
		}
		seen[id] = struct{}{}
	}
	return nil
}

// CheckTime refuses an object dated more than MaxClockSkew after now. It is
// a check at the door, not a property of the object: what is too early now
// may be accepted later.
func CheckTime(o *Object, now time.Time) error {
	if c := o.Created(); c.After(now.Add(MaxClockSkew)) {
		return E("check time", Invalid, "%s %s is dated %s, in the future (now %s)", o.Kind, o.ID, c.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
