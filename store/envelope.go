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
// subject keeps every co-signature until the subject's publisher is
// known. trimmed reports a signature removed: the caller has the envelope
// rewritten so (see trimStored).
func decodeStored(src roleSource, key, b []byte, n *names) (env *protocol.Envelope, trimmed bool, err error) {
	env, over, err := decodeRaw(key, b)
	if err != nil || (len(env.Signatures) == 1 && !over) {
		return env, false, err // one signature: the issuer's, which ParseObject required
	}
	o, err := protocol.ParseObject(env)
	if err != nil {
		return nil, false, corrupt(key, err)
	}
	roles, err := rolesOf(src, o)
	if err == nil && over {
		roles, err = overRoles(src, roles)
	}
	if err != nil {
		return nil, false, err
	}
	trimmed, err = trimStored(env, over, roles, key, n)
	return env, trimmed, err
}

// decodeRaw decodes b, the value of o/<id> at key. over reports an
// envelope over the limits of SPEC.md §2.1, which earlier versions of the
// store wrote when they merged every signature of every copy; it is
// decoded all the same, for trimStored.
func decodeRaw(key, b []byte) (env *protocol.Envelope, over bool, err error) {
	env, err = protocol.DecodeEnvelope(b)
	if err != nil && protocol.KindOf(err) == protocol.TooLarge {
		over = true
		env, err = protocol.DecodeEnvelopeOverLimits(b)
	}
	if err != nil {
		return nil, false, corrupt(key, err)
	}
	return env, over, nil
}

// trimStored removes from env, a stored envelope, the signatures by keys
// without a role in roles and reports whether it removed any. An envelope
// over the limits (over) is also cut down to them (fitLimits), and what is
// left verified again; any other was verified when it was stored.
func trimStored(env *protocol.Envelope, over bool, roles signerRoles, key []byte, n *names) (trimmed bool, err error) {
	trimmed = env.Keep(roles.keeps) > 0
	if over {
		fitLimits(env, roles, n)
		if err := env.Verify(); err != nil {
			return false, corrupt(key, err)
		}
		trimmed = true
	}
	return trimmed, nil
}
