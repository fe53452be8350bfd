package repo

import (
	"bytes"
	"os"

	"github.com/commons-p2p/commons/protocol"
)

// KeystoreConfig says where the passphrase of an encrypted keystore comes
// from: a file, or an environment variable, named here; with neither, the
// daemon asks on its terminal. At most one is set.
type KeystoreConfig struct {
	PassphraseFile string `json:"passphrase_file,omitempty"`
	PassphraseEnv  string `json:"passphrase_env,omitempty"`
}

// maxPassphrase bounds a passphrase file, which is read whole.
const maxPassphrase = 4096

func (c KeystoreConfig) validate() error {
	if c.PassphraseFile != "" && c.PassphraseEnv != "" {
		return protocol.E("config", protocol.Invalid, "keystore: passphrase_file and passphrase_env are both set, want one")
	}
	return nil
}

// PassphraseAsker asks a person for the keystore's passphrase; nil when
// there is nobody to ask.
type PassphraseAsker func() ([]byte, error)

// passphrase returns the passphrase from the file or the environment
// variable the config names, else from ask.
func (c KeystoreConfig) passphrase(ask PassphraseAsker) ([]byte, error) {
	const op = "keystore passphrase"
	var p []byte
	switch {
	case c.PassphraseFile != "":
		b, err := os.ReadFile(c.PassphraseFile)
		if err != nil {
			return nil, protocol.E(op, protocol.Invalid, "passphrase_file: %v", err)
		}
		if len(b) > maxPassphrase {
			return nil, protocol.E(op, protocol.Invalid, "passphrase_file %q holds %d bytes, over %d", c.PassphraseFile, len(b), maxPassphrase)
		}
		p = trimNewline(b)
	case c.PassphraseEnv != "":
		p = []byte(os.Getenv(c.PassphraseEnv))
		if len(p) == 0 {
			return nil, protocol.E(op, protocol.Invalid, "passphrase_env: $%s is empty or unset", c.PassphraseEnv)
		}
	case ask != nil:
		b, err := ask()
		if err != nil {
			return nil, protocol.E(op, protocol.Invalid, "%v", err)
		}
		p = trimNewline(b)
	default:
		return nil, protocol.E(op, protocol.Invalid, "the keystore is encrypted: set keystore.passphrase_file or keystore.passphrase_env in the config, or start on a terminal to be asked")
	}
	if len(p) == 0 {
		return nil, protocol.E(op, protocol.Invalid, "the passphrase is empty")
	}
	return p, nil
}

// trimNewline removes one line ending, as an editor or echo leaves it.
func trimNewline(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
