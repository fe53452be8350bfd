package repo

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/commons-p2p/commons/protocol"
)

// An encrypted key file (SPEC.md §6.1, "Keys at rest") is a JSON object:
//
//	{"version": 1, "did": "did:key:…",
//	 "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "…"},
//	 "aead": "xchacha20-poly1305", "nonce": "…", "ciphertext": "…"}
//
// salt (16 bytes), nonce (24 bytes) and ciphertext are base64. The
// plaintext is what a plain key file holds (the libp2p protobuf encoding
// of the Ed25519 key); the associated data binds the ciphertext to the
// key's name and DID, so a file moved to another name does not open.
type encryptedKeyFile struct {
	Version    int          `json:"version"`
	DID        protocol.DID `json:"did"`
	KDF        scryptParams `json:"kdf"`
	AEAD       string       `json:"aead"`
	Nonce      []byte       `json:"nonce"`
	Ciphertext []byte       `json:"ciphertext"`
}

type scryptParams struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt []byte `json:"salt"`
}

const (
	keyFileVersion = 1
	kdfScrypt      = "scrypt"
	aeadXChaCha    = "xchacha20-poly1305"
	saltSize       = 16
)

// DefaultScrypt is the cost of a key file the node writes: N = 2^17, r = 8,
// p = 1, some 128 MiB and a fraction of a second per key (the figures
// RFC 7914 and x/crypto/scrypt give for interactive use, doubled).
var DefaultScrypt = scryptParams{Name: kdfScrypt, N: 1 << 17, R: 8, P: 1}

// Bounds of the scrypt parameters a key file may ask for: a file is
// input, and a hostile one must not make the daemon spend gigabytes or
// minutes before it can say the passphrase is wrong.
const (
	MinScryptN      = 1 << 10 // the least cost a key file may ask for
	maxScryptN      = 1 << 20
	maxScryptR      = 32
	maxScryptP      = 16
	maxScryptMemory = 512 << 20 // 128·N·r bytes
)

func (p scryptParams) validate() error {
	const op = "key file"
	if p.Name != kdfScrypt {
		return protocol.E(op, protocol.Invalid, "kdf %q, want %q", p.Name, kdfScrypt)
	}
	if p.N < MinScryptN || p.N > maxScryptN || p.N&(p.N-1) != 0 {
		return protocol.E(op, protocol.Invalid, "scrypt n %d, want a power of two from %d to %d", p.N, MinScryptN, maxScryptN)
	}
	if p.R < 1 || p.R > maxScryptR || p.P < 1 || p.P > maxScryptP {
		return protocol.E(op, protocol.Invalid, "scrypt r %d and p %d, want r in 1..%d and p in 1..%d", p.R, p.P, maxScryptR, maxScryptP)
	}
	if 128*int64(p.N)*int64(p.R) > maxScryptMemory {
		return protocol.E(op, protocol.Invalid, "scrypt n %d and r %d need %d MiB, over the %d MiB allowed", p.N, p.R, 128*int64(p.N)*int64(p.R)>>20, maxScryptMemory>>20)
	}
	if len(p.Salt) != saltSize {
		return protocol.E(op, protocol.Invalid, "salt of %d bytes, want %d", len(p.Salt), saltSize)
	}
	return nil
}

// keyFileAD is the associated data of the key called name with DID did.
func keyFileAD(name string, did protocol.DID) []byte {
	return []byte("commons keystore v1\x00" + name + "\x00" + did.String())
}

// isEncryptedKeyFile tells an encrypted key file (JSON) from a plain one
// (protobuf, whose first byte is a field tag, never '{').
func isEncryptedKeyFile(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// sealKey encrypts plain, the bytes of the key called name with DID did,
// under passphrase with cost params.
func sealKey(name string, did protocol.DID, plain, passphrase []byte, params scryptParams) ([]byte, error) {
	params.Salt = make([]byte, saltSize)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(params.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	aead, err := keyFileAEAD(passphrase, params)
	if err != nil {
		return nil, err
	}
	f := encryptedKeyFile{
		Version: keyFileVersion, DID: did, KDF: params, AEAD: aeadXChaCha, Nonce: nonce,
		Ciphertext: aead.Seal(nil, nonce, plain, keyFileAD(name, did)),
	}
	b, err := json.MarshalIndent(f, "", "  ")
	return append(b, '\n'), err
}

// openKey decrypts the encrypted key file b of the key called name. It
// checks the format and the KDF's bounds before deriving anything.
func openKey(name string, b, passphrase []byte) (plain []byte, did protocol.DID, err error) {
	const op = "key file"
	var f encryptedKeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, did, protocol.E(op, protocol.Invalid, "key %q: encrypted key file: %v", name, err)
	}
	if f.Version != keyFileVersion {
		return nil, did, protocol.E(op, protocol.Invalid, "key %q: key file version %d, want %d", name, f.Version, keyFileVersion)
	}
	if f.AEAD != aeadXChaCha {
		return nil, did, protocol.E(op, protocol.Invalid, "key %q: aead %q, want %q", name, f.AEAD, aeadXChaCha)
	}
	if err := f.KDF.validate(); err != nil {
		return nil, did, fmt.Errorf("key %q: %w", name, err)
	}
	if len(f.Nonce) != chacha20poly1305.NonceSizeX {
		return nil, did, protocol.E(op, protocol.Invalid, "key %q: nonce of %d bytes, want %d", name, len(f.Nonce), chacha20poly1305.NonceSizeX)
	}
	if passphrase == nil {
		return nil, did, protocol.E(op, protocol.Forbidden, "key %q is encrypted and no passphrase was given (set keystore.passphrase_file or keystore.passphrase_env in the config, or start on a terminal)", name)
	}
	aead, err := keyFileAEAD(passphrase, f.KDF)
	if err != nil {
		return nil, did, err
	}
	plain, err = aead.Open(nil, f.Nonce, f.Ciphertext, keyFileAD(name, f.DID))
	if err != nil {
		return nil, did, protocol.E(op, protocol.Forbidden, "key %q: wrong passphrase, or the file was altered or renamed", name)
	}
	return plain, f.DID, nil
}

func keyFileAEAD(passphrase []byte, p scryptParams) (cipher.AEAD, error) {
	k, err := scrypt.Key(passphrase, p.Salt, p.N, p.R, p.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	return chacha20poly1305.NewX(k)
}
