package repo

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// retiredDir holds, under the keystore, the keys that a rotation replaced
// (SPEC.md §6.1): keys/retired/NAME.MULTIBASE.key, where MULTIBASE is the
// part of the key's did:key after "did:key:". They sign nothing new; the
// node keeps them so that their holder can still withdraw what they signed
// (`commons claim revoke` picks the key that issued the claim).
const retiredDir = "retired"

// RetiredKey is a key a rotation replaced, with the name it had.
type RetiredKey struct {
	Name string
	Key  *protocol.Key
}

// RetiredPath is the file in which Retire keeps key k, which was called
// name.
func (ks *Keystore) RetiredPath(name string, k *protocol.Key) string {
	path, _ := ks.retiredFile(name, k)
	return path
}

// retiredFile is the file of key k, which was called name.
func (ks *Keystore) retiredFile(name string, k *protocol.Key) (path, fileName string) {
	multibase := strings.TrimPrefix(k.DID().String(), "did:key:")
	fileName = name + "." + multibase
	return filepath.Join(ks.dir, retiredDir, fileName+".key"), retiredDir + "/" + fileName
}

// Retire keeps k, which was called name, among the retired keys: written
// whole and synced, encrypted when the keystore is.
func (ks *Keystore) Retire(name string, k *protocol.Key) error {
	if err := os.MkdirAll(filepath.Join(ks.dir, retiredDir), 0o700); err != nil {
		return err
	}
	path, fileName := ks.retiredFile(name, k)
	if err := writeKey(path, fileName, k, ks.passphrase); err != nil {
		return err
	}
	ks.mu.Lock()
	if ks.dids != nil {
		ks.dids[k.DID()] = true
	}
	ks.mu.Unlock()
	return syncDir(filepath.Join(ks.dir, retiredDir))
}

// Retired returns the retired keys, by name and then DID. A keystore that
// never rotated has none.
func (ks *Keystore) Retired() ([]RetiredKey, error) {
	dir := filepath.Join(ks.dir, retiredDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []RetiredKey
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".key")
		name, multibase, dot := strings.Cut(base, ".")
		if !ok || !dot || CheckKeyName(name) != nil || multibase == "" {
			continue
		}
		k, _, err := readKey(filepath.Join(dir, e.Name()), retiredDir+"/"+base, ks.passphrase)
		if err != nil {
			return nil, err
		}
		if k.DID().String() != "did:key:"+multibase {
			return nil, protocol.E("load key", protocol.Invalid, "retired key file %s holds %s", e.Name(), k.DID())
		}
		out = append(out, RetiredKey{Name: name, Key: k})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Key.DID().String() < out[j].Key.DID().String()
	})
	return out, nil
}

// RetiredByDID returns the retired key whose DID is d.
func (ks *Keystore) RetiredByDID(d protocol.DID) (*protocol.Key, bool, error) {
	keys, err := ks.Retired()
	if err != nil {
		return nil, false, err
	}
	for _, r := range keys {
		if r.Key.DID() == d {
			return r.Key, true, nil
		}
	}
	return nil, false, nil
}
