package repo

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/commons-p2p/commons/protocol"
)

// NodeKeyName names the node key in the keystore and on the command line
// (`--as node` is the same as no --as).
const NodeKeyName = "node"

// Keystore holds a node's named Ed25519 keys, one file each, mode 0600:
// plain, or encrypted under a passphrase (keyfile.go). A keystore whose
// node key is encrypted has a passphrase, and writes every new key
// encrypted under it; it still reads plain files.
type Keystore struct {
	dir        string
	node       *protocol.Key
	passphrase []byte // nil for a plain keystore

	mu    sync.Mutex
	cache map[string]*protocol.Key
	dids  map[protocol.DID]bool // every key's DID, once Has has read the directory
}

// CheckKeyName refuses names that are not 1–64 of [a-z0-9_-] starting with
// a letter or digit.
func CheckKeyName(name string) error {
	if name == "" || len(name) > 64 {
		return protocol.E("key name", protocol.Invalid, "key name %q: want 1 to 64 characters", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')
		if !ok {
			return protocol.E("key name", protocol.Invalid, "key name %q: want lowercase letters, digits, - and _, starting with a letter or digit", name)
		}
	}
	return nil
}

// New creates a key called name. It refuses a name in use.
func (ks *Keystore) New(name string) (*protocol.Key, error) {
	if err := CheckKeyName(name); err != nil {
		return nil, err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	path := ks.Path(name)
	if exists(path) {
		return nil, protocol.E("new key", protocol.Exists, "a key named %q already exists", name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k, err := protocol.NewKey(priv)
	if err != nil {
		return nil, err
	}
	if err := writeKey(path, name, k, ks.passphrase); err != nil {
		return nil, err
	}
	if ks.dids != nil {
		ks.dids[k.DID()] = true
	}
	return k, nil
}

// Has reports whether d is the DID of a key of the keystore, retired keys
// included. It reads the DID an encrypted file names beside its
// ciphertext, without the passphrase: a key file decrypts only under the
// DID it names (SPEC.md §6.1), and scrypt for every key on the gossip path
// would cost 128 MiB and a fraction of a second each. The first
// call reads the directory; keys made since by New count at once, a key
// file copied in by hand from the next start.
func (ks *Keystore) Has(d protocol.DID) bool {
	if ks.node != nil && ks.node.DID() == d {
		return true
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.readDIDs()[d]
}

// DIDs returns the DIDs of every key of the keystore, the node key first,
// retired keys included, read as Has reads them: without decrypting.
func (ks *Keystore) DIDs() []protocol.DID {
	var out []protocol.DID
	if ks.node != nil {
		out = append(out, ks.node.DID())
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	for d := range ks.readDIDs() {
		if ks.node == nil || d != ks.node.DID() {
			out = append(out, d)
		}
	}
	slices.SortFunc(out[min(1, len(out)):], protocol.CompareDIDs)
	return out
}

// readDIDs reads, the first time, the DIDs of the named and retired keys;
// keys made since by New or retired count at once. ks.mu is held.
func (ks *Keystore) readDIDs() map[protocol.DID]bool {
	if ks.dids != nil {
		return ks.dids
	}
	ks.dids = make(map[protocol.DID]bool)
	entries, _ := os.ReadDir(ks.dir) // an unreadable keystore trusts only the node key
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".key")
		if !ok || name == NodeKeyName || CheckKeyName(name) != nil {
			continue
		}
		if did, err := keyFileDID(ks.Path(name), name); err == nil {
			ks.dids[did] = true
		}
	}
	retired, _ := os.ReadDir(filepath.Join(ks.dir, retiredDir)) // as unreadable, the same
	for _, e := range retired {
		base, ok := strings.CutSuffix(e.Name(), ".key")
		if did, err := keyFileDID(filepath.Join(ks.dir, retiredDir, e.Name()), base); ok && err == nil {
			ks.dids[did] = true
		}
	}
	return ks.dids
}

// Get returns the key called name; "" and "node" are the node key.
func (ks *Keystore) Get(name string) (*protocol.Key, error) {
	if name == "" || name == NodeKeyName {
		return ks.node, nil
	}
	if err := CheckKeyName(name); err != nil {
		return nil, err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if k, ok := ks.cache[name]; ok {
		return k, nil
	}
	k, err := ks.load(name)
	if err != nil {
		return nil, err
	}
	if ks.cache == nil {
		ks.cache = make(map[string]*protocol.Key)
	}
	ks.cache[name] = k
	return k, nil
}

// KeyEntry is a named key.
type KeyEntry struct {
	Name string
	Key  *protocol.Key
}

// List returns every key, the node key first, then by name.
func (ks *Keystore) List() ([]KeyEntry, error) {
	entries, err := os.ReadDir(ks.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".key"); ok && n != NodeKeyName && CheckKeyName(n) == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := []KeyEntry{{Name: NodeKeyName, Key: ks.node}}
	for _, n := range names {
		k, err := ks.Get(n)
		if err != nil {
			return nil, err
		}
		out = append(out, KeyEntry{Name: n, Key: k})
	}
	return out, nil
}

func (ks *Keystore) Path(name string) string { return filepath.Join(ks.dir, name+".key") }

func (ks *Keystore) load(name string) (*protocol.Key, error) {
	k, _, err := readKey(ks.Path(name), name, ks.passphrase)
	return k, err
}

// readKey reads the key called name from path, decrypting it with
// passphrase when the file is encrypted, and says whether it was.
func readKey(path, name string, passphrase []byte) (*protocol.Key, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, protocol.E("load key", protocol.NotFound, "no key named %q (see `commons key list`)", name)
	}
	if err != nil {
		return nil, false, err
	}
	if !isEncryptedKeyFile(b) {
		k, err := decodeKey(name, b)
		return k, false, err
	}
	plain, did, err := openKey(name, b, passphrase)
	if err != nil {
		return nil, true, err
	}
	k, err := decodeKey(name, plain)
	if err != nil {
		return nil, true, err
	}
	if k.DID() != did {
		return nil, true, protocol.E("load key", protocol.Invalid, "key %q: the file says %s, the key inside is %s", name, did, k.DID())
	}
	return k, true, nil
}

// keyFileDID returns the DID of the key in the file at path: the one an
// encrypted file names, or that of the plain key.
func keyFileDID(path, name string) (protocol.DID, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return protocol.DID{}, err
	}
	if !isEncryptedKeyFile(b) {
		k, err := decodeKey(name, b)
		if err != nil {
			return protocol.DID{}, err
		}
		return k.DID(), nil
	}
	var f encryptedKeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return protocol.DID{}, protocol.E("key file", protocol.Invalid, "key %q: encrypted key file: %v", name, err)
	}
	return f.DID, nil
}

// decodeKey decodes the libp2p protobuf encoding of an Ed25519 key.
func decodeKey(name string, b []byte) (*protocol.Key, error) {
	pk, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return nil, protocol.E("load key", protocol.Invalid, "key %q: %v", name, err)
	}
	if pk.Type() != crypto.Ed25519 {
		return nil, protocol.E("load key", protocol.Invalid, "key %q is not an Ed25519 key", name)
	}
	raw, err := pk.Raw()
	if err != nil {
		return nil, err
	}
	return protocol.NewKey(ed25519.PrivateKey(raw))
}

// writeKey writes k, called name, to path: encrypted under passphrase
// when there is one, plain otherwise.
func writeKey(path, name string, k *protocol.Key, passphrase []byte) error {
	b, err := encodeKey(name, k, passphrase)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

func encodeKey(name string, k *protocol.Key, passphrase []byte) ([]byte, error) {
	pk, err := crypto.UnmarshalEd25519PrivateKey(k.Private())
	if err != nil {
		return nil, err
	}
	b, err := crypto.MarshalPrivateKey(pk)
	if err != nil || passphrase == nil {
		return b, err
	}
	return sealKey(name, k.DID(), b, passphrase, DefaultScrypt)
}
