package protocol

import (
	"bytes"
	"encoding/base64"
	"errors"
	"unicode/utf8"
)

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

// envelopeText is the JSON form of an envelope as read: the text of each
// member, before base64 and did:key decoding.
type envelopeText struct {
	payloadType []byte
	payload     []byte
	signatures  []signatureText
}

type signatureText struct{ keyID, sig []byte }

// readEnvelope reads the JSON form of an envelope under the rules of
// decodeStrict (SPEC.md §2.1, rules 2–6). Most envelopes are written
// plainly, and scanEnvelope reads those in one pass; anything else goes
// through decodeStrict, which words the refusals.
func readEnvelope(b []byte) (envelopeText, error) {
	if w, ok := scanEnvelope(b); ok {
		return w, nil
	}
	var w wireEnvelope
	if err := decodeStrict("envelope", b, &w); err != nil {
		return envelopeText{}, err
	}
	t := envelopeText{payloadType: []byte(w.PayloadType), payload: []byte(w.Payload)}
	for _, s := range w.Signatures {
		t.signatures = append(t.signatures, signatureText{keyID: []byte(s.KeyID), sig: []byte(s.Sig)})
	}
	return t, nil
}

// scanEnvelope reads an envelope written plainly, as Encode and DSSE
// libraries write it: UTF-8, each member once, strings without escapes,
// no nulls. The texts it returns are views of b. It reports false for
// anything else, valid or not, and leaves that to decodeStrict.
func scanEnvelope(b []byte) (w envelopeText, ok bool) {
	if !utf8.Valid(b) {
		return w, false
	}
	r := jsonReader{b: b}
	var seen uint8
	ok = r.members(func(key []byte) bool {
		var bit uint8
		var ok bool
		switch string(key) {
		case "payloadType":
			bit, ok = 1, r.plainString(&w.payloadType)
		case "payload":
			bit, ok = 2, r.plainString(&w.payload)
		case "signatures":
			bit, ok = 4, r.signatures(&w.signatures)
		}
		if bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return w, ok && seen == 7 && r.atEnd()
}

// plainString reads a string without escapes into *text.
func (r *jsonReader) plainString(text *[]byte) bool {
	t, escaped, ok := r.str()
	*text = t
	return ok && !escaped
}

// signatures reads the signatures member of an envelope.
func (r *jsonReader) signatures(sigs *[]signatureText) bool {
	return r.elements(func() bool {
		var s signatureText
		var seen uint8
		ok := r.members(func(key []byte) bool {
			var bit uint8
			var ok bool
			switch string(key) {
			case "keyid":
				bit, ok = 1, r.plainString(&s.keyID)
			case "sig":
				bit, ok = 2, r.plainString(&s.sig)
			}
			if bit == 0 || seen&bit != 0 {
				return false
			}
			seen |= bit
			return ok
		})
		*sigs = append(*sigs, s)
		return ok && seen == 3
	})
}

// The four base64 encodings that DSSE allows, strict: no non-zero bits
// after the last byte. Made once, as Strict and WithPadding copy.
var (
	base64Std    = base64.StdEncoding.Strict()
	base64RawStd = base64.RawStdEncoding.Strict()
	base64URL    = base64.URLEncoding.Strict()
	base64RawURL = base64.RawURLEncoding.Strict()
)

// decodeBase64 accepts standard and URL-safe base64, padded or not. It
// refuses line breaks, which encoding/base64 would skip, so that one value
// has few spellings (RFC 4648 §3.3).
func decodeBase64(s []byte) ([]byte, error) { return decodeBase64Into(nil, s) }

// decodeBase64Into is decodeBase64 into dst when it has room, else into a
// new slice.
func decodeBase64Into(dst, s []byte) ([]byte, error) {
	enc, err := base64EncodingOf(s)
	if err != nil {
		return nil, err
	}
	if n := enc.DecodedLen(len(s)); n > len(dst) {
		dst = make([]byte, n)
	}
	n, err := enc.Decode(dst, s)
	return dst[:n], err
}

// base64EncodingOf picks the encoding that s is written in: URL-safe if it
// holds - or _, unpadded if it does not end in = and is not a whole number
// of quanta.
func base64EncodingOf(s []byte) (*base64.Encoding, error) {
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		return nil, errors.New("line break in base64")
	}
	url := bytes.IndexByte(s, '-') >= 0 || bytes.IndexByte(s, '_') >= 0
	padded := bytes.HasSuffix(s, []byte("=")) || len(s)%4 == 0
	switch {
	case url && padded:
		return base64URL, nil
	case url:
		return base64RawURL, nil
	case padded:
		return base64Std, nil
	}
	return base64RawStd, nil
}
