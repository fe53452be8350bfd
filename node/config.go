package node

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/protocol"
)

// Defaults for a new repo's config.
const (
	DefaultAPIAddr = "127.0.0.1:5780"
	DefaultListen  = "/ip4/0.0.0.0/tcp/4780"
)

// Config is DIR/config.json. Fields left zero take the defaults above.
type Config struct {
	// API is the HTTP API's listen address. A non-loopback address needs
	// APIToken: the daemon refuses to start without one.
	API string `json:"api"`
	// APIToken, when set, is required as "Authorization: Bearer TOKEN" on
	// every request; the daemon writes it to DIR/api.token (mode 0600) so
	// that the CLI finds it.
	APIToken string `json:"api_token,omitempty"`
	// Listen are the libp2p listen multiaddrs.
	Listen []string `json:"listen"`
}

func defaultConfig() Config {
	return Config{API: DefaultAPIAddr, Listen: []string{DefaultListen}}
}

func (c *Config) validate() error {
	host, _, err := net.SplitHostPort(c.API)
	if err != nil {
		return protocol.E("config", protocol.Invalid, "api address %q: %v", c.API, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && c.APIToken == "" {
		return protocol.E("config", protocol.Invalid, "api address %q is not loopback: set api_token in the config to expose the API", c.API)
	}
	for _, a := range c.Listen {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return protocol.E("config", protocol.Invalid, "listen address %q is not a multiaddr: %v", a, err)
		}
	}
	return nil
}

func readConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c := defaultConfig()
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, protocol.E("read config", protocol.Invalid, "%s: %v", path, err)
	}
	return c, nil
}

func writeConfig(path string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that a crash leaves the old file or the new one, never half.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return writeThroughTemp(path, data, mode, os.Rename)
}

// writeThroughTemp writes data, synced, to a temporary file beside path and
// then puts it in place with place(tmp, path).
func writeThroughTemp(path string, data []byte, mode os.FileMode, place func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return place(tmp.Name(), path)
}
