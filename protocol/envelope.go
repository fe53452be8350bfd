package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Limits on envelopes. Changing one changes the protocol: SPEC.md §2.
const (
	MaxEnvelopeSize = 4 << 20 // bytes of an encoded envelope
	MaxSignatures   = 32      // signatures on one envelope
)

// PayloadTypeInToto is the DSSE payload type of every commons statement.
const PayloadTypeInToto = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope. Payload holds the decoded payload bytes.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signatures  []Signature // sorted by KeyID, one per key, once verified or merged
}

// Signature is one DSSE signature: an Ed25519 signature over the PAE of the
// envelope, by the key that KeyID names.
type Signature struct {
	KeyID DID
	Sig   []byte
}

// wireEnvelope is the JSON form of Envelope (DSSE, payload in base64).
type wireEnvelope struct {
	PayloadType string          `json:"payloadType"`
	Payload     string          `json:"payload"`
	Signatures  []wireSignature `json:"signatures"`
}

type wireSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is the DSSE v1 pre-authentication encoding that every signature covers:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// ID returns the object ID of the envelope: the CID of its payload.
func (e *Envelope) ID() ID { return ObjectID(e.Payload) }

// Signers returns the DIDs that signed e, in KeyID order.
func (e *Envelope) Signers() []DID {
	out := make([]DID, len(e.Signatures))
	for i, s := range e.Signatures {
		out[i] = s.KeyID
	}
	return out
}

// SignedBy reports whether d is among e's signers.
func (e *Envelope) SignedBy(d DID) bool {
	for _, s := range e.Signatures {
		if s.KeyID == d {
			return true
		}
	}
	return false
}

// DecodeEnvelope parses the JSON form of a DSSE envelope. It checks the
// shape (sizes, base64, did:key key IDs) but not the signatures: call
// Verify for that. Payload base64 may be standard or URL-safe, padded or
// not, as DSSE allows.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	const op = "decode envelope"
	if len(b) > MaxEnvelopeSize {
		return nil, E(op, TooLarge, "envelope is %d bytes, over the limit of %d", len(b), MaxEnvelopeSize)
	}
	var w wireEnvelope
	if err := decodeStrict("envelope", b, &w); err != nil {
		return nil, E(op, Invalid, "malformed JSON: %v", err)
	}
	if w.PayloadType == "" {
		return nil, E(op, Invalid, "missing payloadType")
	}
	if w.Payload == "" {
		return nil, E(op, Invalid, "missing payload")
	}
	payload, err := decodeBase64(w.Payload)
	if err != nil {
		return nil, E(op, Invalid, "payload is not base64: %v", err)
	}
	if len(w.Signatures) == 0 {
		return nil, E(op, Invalid, "no signatures")
	}
	if len(w.Signatures) > MaxSignatures {
		return nil, E(op, TooLarge, "%d signatures, over the limit of %d", len(w.Signatures), MaxSignatures)
	}
	env := &Envelope{PayloadType: w.PayloadType, Payload: payload}
	for i, ws := range w.Signatures {
		d, err := ParseDID(ws.KeyID)
		if err != nil {
			return nil, E(op, Invalid, "signature %d: keyid: %w", i, err)
		}
		sig, err := decodeBase64(ws.Sig)
		if err != nil {
			return nil, E(op, Invalid, "signature %d by %s: sig is not base64: %v", i, d, err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, E(op, Invalid, "signature %d by %s: %d bytes, want %d", i, d, len(sig), ed25519.SignatureSize)
		}
		env.Signatures = append(env.Signatures, Signature{KeyID: d, Sig: sig})
	}
	return env, nil
}

// Verify checks every signature of e against the key its KeyID names and
// leaves e.Signatures sorted, one per key. An envelope with any signature
// that does not verify is refused whole: a signature set is never trimmed
// to what happens to verify.
func (e *Envelope) Verify() error {
	const op = "verify envelope"
	if len(e.Signatures) == 0 {
		return E(op, Invalid, "no signatures")
	}
	msg := PAE(e.PayloadType, e.Payload)
	for _, s := range e.Signatures {
		if !ed25519.Verify(s.KeyID.pub[:], msg, s.Sig) {
			return E(op, Invalid, "signature by %s does not verify over the payload", s.KeyID)
		}
	}
	e.normalize()
	return nil
}

// normalize sorts signatures by key and keeps one per key.
func (e *Envelope) normalize() {
	slices.SortStableFunc(e.Signatures, func(a, b Signature) int { return bytes.Compare(a.KeyID.pub[:], b.KeyID.pub[:]) })
	e.Signatures = slices.CompactFunc(e.Signatures, func(a, b Signature) bool { return a.KeyID == b.KeyID })
}

// Merge adds to e the signatures of o by keys that e lacks and reports
// whether any were added. Both must be verified envelopes of one payload.
func (e *Envelope) Merge(o *Envelope) (bool, error) {
	if e.PayloadType != o.PayloadType || !bytes.Equal(e.Payload, o.Payload) {
		return false, E("merge envelopes", Invalid, "envelopes carry different payloads (%s and %s)", e.ID(), o.ID())
	}
	added := false
	for _, s := range o.Signatures {
		if !e.SignedBy(s.KeyID) {
			e.Signatures = append(e.Signatures, s)
			added = true
		}
	}
	e.normalize()
	return added, nil
}

// Encode returns the JSON form of e: payload and signatures in standard
// padded base64, signatures in KeyID order.
func (e *Envelope) Encode() []byte {
	w := wireEnvelope{
		PayloadType: e.PayloadType,
		Payload:     base64.StdEncoding.EncodeToString(e.Payload),
		Signatures:  make([]wireSignature, len(e.Signatures)),
	}
	for i, s := range e.Signatures {
		w.Signatures[i] = wireSignature{KeyID: s.KeyID.String(), Sig: base64.StdEncoding.EncodeToString(s.Sig)}
	}
	b, err := json.Marshal(w)
	if err != nil {
		panic(err) // unreachable: strings only
	}
	return b
}

// decodeBase64 accepts standard and URL-safe base64, padded or not. It
// refuses line breaks, which encoding/base64 would skip, so that one value
// has few spellings (RFC 4648 §3.3).
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	return enc.Strict().DecodeString(s)
}
