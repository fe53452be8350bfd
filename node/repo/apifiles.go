package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// A running daemon writes DIR/api, the address its HTTP API listens on,
// and DIR/api.token, the token it requires, when its config sets one; a
// client of the daemon reads them.

// SetAPIAddr records (or, with "", removes) the address the daemon's API
// listens on, for the CLI to find.
func (r *Repo) SetAPIAddr(addr string) error {
	p := filepath.Join(r.Dir, APIFile)
	if addr == "" {
		err := os.Remove(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return writeFileAtomic(p, []byte(addr+"\n"), 0o644)
}

// SetAPIToken writes (or, with "", removes) DIR/api.token, mode 0600.
func (r *Repo) SetAPIToken(token string) error {
	p := filepath.Join(r.Dir, APITokenFile)
	if token == "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeFileAtomic(p, []byte(token+"\n"), 0o600)
}

// ReadAPIAddr returns the host:port that DIR/api names: where the daemon
// serving the repo in dir listens, or listened before it was killed. When
// no daemon wrote one the error matches fs.ErrNotExist.
func ReadAPIAddr(dir string) (string, error) {
	p := filepath.Join(dir, APIFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("find daemon: %w", err)
	}
	addr, _, _ := strings.Cut(string(b), "\n")
	addr = strings.TrimSpace(addr)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", protocol.E("find daemon", protocol.Invalid, "%s holds %q, not a host:port address", p, addr)
	}
	return addr, nil
}

// ReadAPIToken returns the token in DIR/api.token, "" when there is none.
func ReadAPIToken(dir string) (string, error) {
	tok, err := os.ReadFile(filepath.Join(dir, APITokenFile))
	switch {
	case err == nil:
		return strings.TrimSpace(string(tok)), nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	default:
		return "", fmt.Errorf("read API token: %w", err)
	}
}
