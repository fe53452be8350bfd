package store

import (
	"encoding/base64"

	"github.com/commons-p2p/commons/protocol"
)

// encodeEnvelope returns the bytes of env.Encode(), the value of o/<id>,
// spelled out directly: Encode goes through encoding/json's reflection,
// which costs as much as all the rest of indexing a claim. The envelope
// JSON has a fixed shape, and every string in it but the payload type is
// base64 or a did:key, which JSON writes as is. A payload type that JSON
// would escape goes through env.Encode(). TestEncodeEnvelope and
// FuzzEncodeEnvelope check that the bytes are the same.
func encodeEnvelope(env *protocol.Envelope, n *names) []byte {
	if !plainJSON(env.PayloadType) {
		return env.Encode()
	}
	const (
		head      = `{"payloadType":"`
		payload   = `","payload":"`
		sigsOpen  = `","signatures":[`
		keyid     = `{"keyid":"`
		sig       = `","sig":"`
		sigClose  = `"}`
		sigsClose = `]}`
	)
	b64 := base64.StdEncoding
	size := len(head) + len(env.PayloadType) + len(payload) + b64.EncodedLen(len(env.Payload)) + len(sigsOpen) + len(sigsClose)
	for _, s := range env.Signatures {
		size += len(keyid) + len(n.did(s.KeyID)) + len(sig) + b64.EncodedLen(len(s.Sig)) + len(sigClose) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, head...)
	b = append(b, env.PayloadType...)
	b = append(b, payload...)
	b = b64.AppendEncode(b, env.Payload)
	b = append(b, sigsOpen...)
	for i, s := range env.Signatures {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, keyid...)
		b = append(b, n.did(s.KeyID)...)
		b = append(b, sig...)
		b = b64.AppendEncode(b, s.Sig)
		b = append(b, sigClose...)
	}
	return append(b, sigsClose...)
}

// plainJSON reports whether encoding/json writes s between quotes as is:
// printable ASCII without '"', '\\' and the characters it escapes for
// HTML ('<', '>', '&').
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// decodeStored decodes b, the value of o/<id> at key, keeping only the
// signatures that carry meaning now (rolesOf): a claim stored before its
// subject keeps every co-signature until the subject's publisher is known.
// An envelope over the limits of SPEC.md §2.1, which earlier versions of
// the store wrote when they merged every signature of every copy, is
// decoded all the same, trimmed to the limits (fitLimits) and verified
// again. trimmed reports a signature removed: the caller rewrites the
// envelope so. Any other envelope was verified when it was stored.
func decodeStored(src roleSource, key, b []byte, n *names) (env *protocol.Envelope, trimmed bool, err error) {
	env, err = protocol.DecodeEnvelope(b)
	over := err != nil && protocol.KindOf(err) == protocol.TooLarge
	if over {
		env, err = protocol.DecodeEnvelopeOverLimits(b)
	}
	if err != nil {
		return nil, false, corrupt(key, err)
	}
	if len(env.Signatures) == 1 {
		return env, false, nil // the issuer's, which ParseObject required
	}
	o, err := protocol.ParseObject(env)
	if err != nil {
		return nil, false, corrupt(key, err)
	}
	roles, err := rolesOf(src, o)
	if err != nil {
		return nil, false, err
	}
	trimmed = env.Keep(roles.keeps) > 0
	if over {
		fitLimits(env, roles, n)
		if err := env.Verify(); err != nil {
			return nil, false, corrupt(key, err)
		}
		trimmed = true
	}
	return env, trimmed, nil
}
