package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// EncryptKeys encrypts in place every plain key file of the repo in dir,
// the node key first. The passphrase comes from src, which is then written
// into the config, or, when src names neither file nor variable, from the
// config or ask. Keys already encrypted must open with the passphrase.
// Every key is read before any file is written, so a wrong passphrase or
// a bad file changes nothing; each file is replaced atomically (written
// beside, synced, renamed over). It refuses while a daemon holds the repo.
// It returns the names of the keys it encrypted.
func EncryptKeys(dir string, src KeystoreConfig, ask PassphraseAsker) ([]string, error) {
	const op = "encrypt keys"
	cfg, err := readConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	if src != (KeystoreConfig{}) {
		cfg.Keystore = src
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	unlock, err := (&Repo{Dir: dir}).Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	passphrase, err := cfg.Keystore.passphrase(ask)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	kdir := filepath.Join(dir, KeysDir)
	names, err := keyNames(kdir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var plain []KeyEntry
	for _, name := range names {
		k, encrypted, err := readKey(filepath.Join(kdir, name+".key"), name, passphrase)
		if err != nil {
			return nil, fmt.Errorf("%s: nothing was changed: %w", op, err)
		}
		if !encrypted {
			plain = append(plain, KeyEntry{Name: name, Key: k})
		}
	}
	if src != (KeystoreConfig{}) {
		if err := writeConfig(filepath.Join(dir, ConfigFile), cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	var done []string
	for _, e := range plain {
		if err := writeKey(filepath.Join(kdir, e.Name+".key"), e.Name, e.Key, passphrase); err != nil {
			return done, fmt.Errorf("%s: key %q: %w (keys %q are encrypted; run again to finish)", op, e.Name, err, done)
		}
		done = append(done, e.Name)
	}
	return done, syncDir(kdir)
}

// keyNames lists the keystore's key names, the node key first.
func keyNames(kdir string) ([]string, error) {
	entries, err := os.ReadDir(kdir)
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
	return append([]string{NodeKeyName}, names...), nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return protocol.E("sync", protocol.Transient, "%s: %v", dir, err)
	}
	return nil
}
