package protocol

import (
	"crypto/ed25519"
	"io"
)

// Key is an Ed25519 private key with the DID that names it.
type Key struct {
	priv ed25519.PrivateKey
	did  DID
}

// NewKey returns the Key for an Ed25519 private key.
func NewKey(priv ed25519.PrivateKey) (*Key, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, E("new key", Invalid, "ed25519 private key has %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	d, err := DIDFromPublicKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &Key{priv: priv, did: d}, nil
}

// KeyFromSeed returns the Key derived from a 32-byte Ed25519 seed.
func KeyFromSeed(seed []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, E("key from seed", Invalid, "seed has %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return NewKey(ed25519.NewKeyFromSeed(seed))
}

// GenerateKey makes a new Key with randomness from r.
func GenerateKey(r io.Reader) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, E("generate key", Transient, "%v", err)
	}
	return NewKey(priv)
}

// DID returns the identity of k.
func (k *Key) DID() DID { return k.did }

// Private returns the Ed25519 private key.
func (k *Key) Private() ed25519.PrivateKey { return k.priv }

// Sign adds k's signature to e, replacing any earlier one by k.
func (k *Key) Sign(e *Envelope) {
	sig := ed25519.Sign(k.priv, PAE(e.PayloadType, e.Payload))
	for i := range e.Signatures {
		if e.Signatures[i].KeyID == k.did {
			e.Signatures[i].Sig = sig
			return
		}
	}
	e.Signatures = append(e.Signatures, Signature{KeyID: k.did, Sig: sig})
	e.normalize()
}
