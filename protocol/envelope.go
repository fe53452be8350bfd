package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
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
	return decodeEnvelope(b, true)
}

// DecodeEnvelopeOverLimits decodes like DecodeEnvelope but without the two
// limits of SPEC §2.1 (size and signature count). It is for a store reading
// back what an earlier version of it wrote over those limits, to trim it;
// bytes from anywhere else go through DecodeEnvelope.
func DecodeEnvelopeOverLimits(b []byte) (*Envelope, error) {
	return decodeEnvelope(b, false)
}

func decodeEnvelope(b []byte, limited bool) (*Envelope, error) {
	const op = "decode envelope"
	if limited && len(b) > MaxEnvelopeSize {
		return nil, E(op, TooLarge, "envelope is %d bytes, over the limit of %d", len(b), MaxEnvelopeSize)
	}
	w, err := readEnvelope(b)
	if err != nil {
		return nil, E(op, Invalid, "malformed JSON: %v", err)
	}
	if len(w.payloadType) == 0 {
		return nil, E(op, Invalid, "missing payloadType")
	}
	if len(w.payload) == 0 {
		return nil, E(op, Invalid, "missing payload")
	}
	payload, err := decodeBase64(w.payload)
	if err != nil {
		return nil, E(op, Invalid, "payload is not base64: %v", err)
	}
	if len(w.signatures) == 0 {
		return nil, E(op, Invalid, "no signatures")
	}
	if limited && len(w.signatures) > MaxSignatures {
		return nil, E(op, TooLarge, "%d signatures, over the limit of %d", len(w.signatures), MaxSignatures)
	}
	env := &Envelope{PayloadType: payloadTypeString(w.payloadType), Payload: payload}
	if env.Signatures, err = decodeSignatures(op, w.signatures); err != nil {
		return nil, err
	}
	return env, nil
}

// payloadTypeString returns t as a string, without a copy for the one
// payload type of commons.
func payloadTypeString(t []byte) string {
	if string(t) == PayloadTypeInToto {
		return PayloadTypeInToto
	}
	return string(t)
}

// decodeSignatures decodes the key IDs and signatures of an envelope. The
// signatures share one array, each slice capped at the end of its room.
func decodeSignatures(op string, ws []signatureText) ([]Signature, error) {
	// room is what the padded base64 of one signature decodes into
	// before its length is known.
	const room = (ed25519.SignatureSize + 2) / 3 * 3
	sigs := make([]Signature, len(ws))
	buf := make([]byte, len(ws)*room)
	for i, s := range ws {
		d, err := parseDIDText(s.keyID)
		if err != nil {
			return nil, E(op, Invalid, "signature %d: keyid: %w", i, err)
		}
		sig, err := decodeBase64Into(buf[i*room:(i+1)*room:(i+1)*room], s.sig)
		if err != nil {
			return nil, E(op, Invalid, "signature %d by %s: sig is not base64: %v", i, d, err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, E(op, Invalid, "signature %d by %s: %d bytes, want %d", i, d, len(sig), ed25519.SignatureSize)
		}
		sigs[i] = Signature{KeyID: d, Sig: sig}
	}
	return sigs, nil
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
		if !verifySig(s, msg) {
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
// Merge takes the whole union and checks no limit: a store keeps only the
// signatures that carry meaning for the object (Keep) and checks the
// limits of §2.1 on what it writes.
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

// Keep removes from e the signatures by keys that keep rejects and reports
// how many it removed. The order of the others is unchanged.
func (e *Envelope) Keep(keep func(DID) bool) int {
	n := len(e.Signatures)
	e.Signatures = slices.DeleteFunc(e.Signatures, func(s Signature) bool { return !keep(s.KeyID) })
	return n - len(e.Signatures)
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
