package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/commons-p2p/commons/protocol"
)

// A rotation of the key called name (node.RotateKey) writes the new key
// beside the old one, as keys/NAME.key.next, before anything names it;
// retires the old key; and then puts the new one in its place. A rotation
// interrupted in between finds the new key again with ReadNext.

// NextPath is where the key that will replace the key called name waits
// while a rotation is under way.
func (ks *Keystore) NextPath(name string) string { return ks.Path(name) + ".next" }

// ReadNext returns the key an interrupted rotation of name left, or nil.
func (ks *Keystore) ReadNext(name string) (*protocol.Key, bool, error) {
	if _, err := os.Stat(ks.NextPath(name)); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	k, _, err := readKey(ks.NextPath(name), name, ks.passphrase)
	if err != nil {
		return nil, false, fmt.Errorf("rotate key: %s, left by an interrupted rotation: %w", filepath.Base(ks.NextPath(name)), err)
	}
	return k, true, nil
}

// WriteNext writes the key that will replace the key called name, synced
// before the rotation naming it is stored: a rotation to a key this node
// lost would hand the identity to no one.
func (ks *Keystore) WriteNext(name string, k *protocol.Key) error {
	if err := writeKey(ks.NextPath(name), name, k, ks.passphrase); err != nil {
		return err
	}
	return syncDir(ks.dir)
}

// PromoteNext puts the key WriteNext wrote in the place of the key called
// name, durably. The old key must be retired first (Retire).
func (ks *Keystore) PromoteNext(name string) error {
	if err := os.Rename(ks.NextPath(name), ks.Path(name)); err != nil {
		return err
	}
	return syncDir(ks.dir)
}
