package repo

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/protocol"
)

// Defaults for a new repo's config.
const (
	DefaultAPIAddr    = "127.0.0.1:5780"
	DefaultListen     = "/ip4/0.0.0.0/tcp/4780"
	DefaultListenQUIC = "/ip4/0.0.0.0/udp/4780/quic-v1"
)

// defaultMaxConns is the connections the peer-to-peer host admits when
// Limits.MaxConns is zero: node/p2p's DefaultMaxConns, which this package
// does not import (a test in node checks that the two agree).
const defaultMaxConns = 128

// Config is DIR/config.json. Fields left zero take the defaults above.
type Config struct {
	// API is the HTTP API's listen address. A non-loopback address needs
	// APIToken: the daemon refuses to start without one.
	API string `json:"api"`
	// APIToken, when set, is required as "Authorization: Bearer TOKEN" on
	// every request; the daemon writes it to DIR/api.token (mode 0600) so
	// that the CLI finds it.
	APIToken string `json:"api_token,omitempty"`
	// Listen are the libp2p listen multiaddrs: TCP and QUIC, TCP only in a
	// private network (DIR/swarm.key).
	Listen []string `json:"listen"`
	// Bootstrap are the peers (multiaddrs ending in /p2p/PEER) the node
	// joins the network through at every start.
	Bootstrap []string `json:"bootstrap,omitempty"`
	// Limits bound the peer-to-peer stack; zero fields take the defaults
	// of node/p2p.
	Limits Limits `json:"limits,omitzero"`
	// Gossip turns the announce topic off when false: new objects then
	// travel by the DHT alone. Default true.
	Gossip *bool `json:"gossip,omitempty"`
	// Announcer is how the node keeps its keys announced on the DHT
	// (SPEC.md §7.2): "sweep", region by region of the keyspace, or
	// "each", a lookup per key. Default "sweep".
	Announcer string `json:"announcer,omitempty"`
	// Storage bounds what peers make the node store unasked; zero fields
	// take the defaults below.
	Storage Storage `json:"storage,omitzero"`
	// Keystore says where the passphrase of an encrypted keystore comes
	// from (SPEC.md §6.1, "Keys at rest").
	Keystore KeystoreConfig `json:"keystore,omitzero"`
	// Explorer sets the web pages the API serves (SPEC.md §6.6).
	Explorer ExplorerConfig `json:"explorer,omitzero"`
}

// ExplorerConfig sets the explorer, the read-only web pages of the API.
type ExplorerConfig struct {
	// Public opens the explorer's reads to anyone who reaches the API,
	// without the token: GET and HEAD of the routes its pages read, never
	// a POST, nor the node's keys, peers or metrics. Default false: with
	// api_token set, a person logs in with the token.
	Public bool `json:"public,omitempty"`
}

// Defaults of Storage (SPEC.md §7.4, "Storage budgets"). A budget is what
// a bucket holds when full, and what it regains in BudgetPeriod.
const (
	// DefaultSignerObjects and DefaultSignerBytes: sixteen datasets of the
	// largest envelope an hour, or a thousand claims, from one signer.
	DefaultSignerObjects = 1000
	DefaultSignerBytes   = 64 << 20
	// DefaultPeerObjects and DefaultPeerBytes: four signers' worth. A
	// message reaches a node first from one of its D = 6 mesh peers, so an
	// honest relay passes on about a sixth of what the mesh carries, and
	// four full budgets cover the traffic of some twenty busy signers.
	DefaultPeerObjects = 4 * DefaultSignerObjects
	DefaultPeerBytes   = 4 * DefaultSignerBytes
	// DefaultStrangerObjects and DefaultStrangerBytes: what all strangers
	// together may add, eight signers' worth. Keys and peer identities
	// cost nothing to make, so the budgets of one signer and of one peer
	// bound a flood from many of them only with this one beside them.
	DefaultStrangerObjects = 8 * DefaultSignerObjects
	DefaultStrangerBytes   = 8 * DefaultSignerBytes
	// DefaultMinFree: strangers' objects stop when less than a tenth of
	// the repo's filesystem is free to the daemon.
	DefaultMinFree = 0.10
	// DefaultProviderRecords and DefaultProviderBytes bound the DHT
	// provider records peers make the node keep in providers/. A node
	// holds about K/n of the network's keys' records (K = 20): four
	// million is a node among 100 in a network of 20 million keys. A
	// record is some 200 bytes of key and time, so four million fill
	// about 800 MB: 1 GiB, a tenth of a small disk's watermark, bounds
	// longer keys and Badger's overhead beside it.
	DefaultProviderRecords = 4_000_000
	DefaultProviderBytes   = 1 << 30
)

// BudgetPeriod is the time an emptied budget takes to refill.
const BudgetPeriod = time.Hour

// Storage bounds what the node stores because peers sent it unasked —
// today, objects on the announce topic (SPEC.md §7.4, "Storage budgets").
// Objects signed by a current steward or by a trusted key (the keystore's
// and Trusted) are not budgeted. What the node asks for — queries, its
// own API — is never budgeted. Zero means the default.
type Storage struct {
	SignerObjects int   `json:"signer_objects,omitempty"` // objects one signer (the issuer) may add per BudgetPeriod; default DefaultSignerObjects
	SignerBytes   int64 `json:"signer_bytes,omitempty"`   // envelope bytes, likewise; default DefaultSignerBytes
	PeerObjects   int   `json:"peer_objects,omitempty"`   // new objects one peer may pass on per BudgetPeriod; default DefaultPeerObjects
	PeerBytes     int64 `json:"peer_bytes,omitempty"`     // envelope bytes, likewise; default DefaultPeerBytes
	// StrangerObjects and StrangerBytes bound what all signers and peers
	// together may add per BudgetPeriod; defaults DefaultStrangerObjects
	// and DefaultStrangerBytes.
	StrangerObjects int   `json:"stranger_objects,omitempty"`
	StrangerBytes   int64 `json:"stranger_bytes,omitempty"`
	// MinFree is the disk watermark: below this fraction of the repo's
	// filesystem free, strangers' objects are not stored at all. In
	// (0, 1); default DefaultMinFree.
	MinFree float64 `json:"min_free,omitempty"`
	// MaxBytes, when set, is a second watermark: the size of the store on
	// disk past which strangers' objects are not stored. Default 0: none.
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// ProviderRecords and ProviderBytes bound the DHT provider records
	// that peers make the node keep (SPEC.md §7.2): past either, and below
	// MinFree, a new record is refused. Defaults DefaultProviderRecords and
	// DefaultProviderBytes.
	ProviderRecords int64 `json:"provider_records,omitempty"`
	ProviderBytes   int64 `json:"provider_bytes,omitempty"`
	// Trusted are identities whose objects this node stores as it stores
	// the stewards': without budget, past the watermark.
	Trusted []protocol.DID `json:"trusted,omitempty"`
}

// WithDefaults fills the zero fields of s.
func (s Storage) WithDefaults() Storage {
	s.SignerObjects = cmp.Or(s.SignerObjects, DefaultSignerObjects)
	s.SignerBytes = cmp.Or(s.SignerBytes, DefaultSignerBytes)
	s.PeerObjects = cmp.Or(s.PeerObjects, DefaultPeerObjects)
	s.PeerBytes = cmp.Or(s.PeerBytes, DefaultPeerBytes)
	s.StrangerObjects = cmp.Or(s.StrangerObjects, DefaultStrangerObjects)
	s.StrangerBytes = cmp.Or(s.StrangerBytes, DefaultStrangerBytes)
	s.MinFree = cmp.Or(s.MinFree, DefaultMinFree)
	s.ProviderRecords = cmp.Or(s.ProviderRecords, DefaultProviderRecords)
	s.ProviderBytes = cmp.Or(s.ProviderBytes, DefaultProviderBytes)
	return s
}

func (s Storage) validate() error {
	if s.SignerObjects < 0 || s.SignerBytes < 0 || s.PeerObjects < 0 || s.PeerBytes < 0 || s.StrangerObjects < 0 || s.StrangerBytes < 0 || s.MaxBytes < 0 || s.ProviderRecords < 0 || s.ProviderBytes < 0 {
		return protocol.E("config", protocol.Invalid, "storage: negative value in %+v", s)
	}
	if !(s.MinFree >= 0 && s.MinFree < 1) {
		return protocol.E("config", protocol.Invalid, "storage: min_free %g, want a fraction of the disk in [0, 1)", s.MinFree)
	}
	return nil
}

// Limits are the connection and resource limits of the peer-to-peer host
// (SPEC.md §7.2; doc.go lists the defaults). Zero means the default.
type Limits struct {
	ConnLow  int `json:"conn_low,omitempty"`  // connection manager: trim down to this many
	ConnHigh int `json:"conn_high,omitempty"` // connection manager: trim when above this many
	MaxConns int `json:"max_conns,omitempty"` // resource manager: connections admitted
	// MaxConnsInbound is the part of MaxConns that peers dialling in may
	// take (default half of it): the rest stays for the node's own dials
	// (SPEC.md §7.2). The inbound guard keeps inbound connections between
	// half and seven eighths of it.
	MaxConnsInbound int   `json:"max_conns_inbound,omitempty"`
	MaxStreams      int   `json:"max_streams,omitempty"` // resource manager: streams admitted
	MaxMemory       int64 `json:"max_memory,omitempty"`  // resource manager: bytes for buffers
	MaxFD           int   `json:"max_fd,omitempty"`      // resource manager: file descriptors
}

func defaultConfig() Config {
	return Config{API: DefaultAPIAddr, Listen: []string{DefaultListen, DefaultListenQUIC}}
}

// Validate checks the config, as Open does and as the daemon does again
// with the overrides of one run.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.API)
	if err != nil {
		return protocol.E("config", protocol.Invalid, "api address %q: %v", c.API, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && c.APIToken == "" {
		return protocol.E("config", protocol.Invalid, "api address %q is not loopback: set api_token in the config to expose the API", c.API)
	}
	for _, a := range c.Listen {
		if _, err := ParseMultiaddr(a); err != nil {
			return protocol.E("config", protocol.Invalid, "listen address %w", err)
		}
	}
	if _, err := ParseBootstrap(c.Bootstrap); err != nil {
		return err
	}
	l := c.Limits
	if l.ConnLow < 0 || l.ConnHigh < 0 || l.MaxConns < 0 || l.MaxConnsInbound < 0 || l.MaxStreams < 0 || l.MaxMemory < 0 || l.MaxFD < 0 {
		return protocol.E("config", protocol.Invalid, "limits: negative value in %+v", l)
	}
	if l.ConnLow > 0 && l.ConnHigh > 0 && l.ConnLow > l.ConnHigh {
		return protocol.E("config", protocol.Invalid, "limits: conn_low %d is above conn_high %d", l.ConnLow, l.ConnHigh)
	}
	if maxConns := cmp.Or(l.MaxConns, defaultMaxConns); l.MaxConnsInbound > maxConns {
		return protocol.E("config", protocol.Invalid, "limits: max_conns_inbound %d is above max_conns %d", l.MaxConnsInbound, maxConns)
	}
	if err := c.Keystore.validate(); err != nil {
		return err
	}
	if c.Announcer != "" && c.Announcer != "sweep" && c.Announcer != "each" {
		return protocol.E("config", protocol.Invalid, "announcer %q: want \"sweep\" (region by region) or \"each\" (a lookup per key)", c.Announcer)
	}
	return c.Storage.validate()
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

// WriteConfig writes r.Config to the repo's config.json.
func (r *Repo) WriteConfig() error { return writeConfig(filepath.Join(r.Dir, ConfigFile), r.Config) }

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
	return noSpace(path, writeTemp(path, data, mode, place))
}

// noSpace gives a write that the filesystem refused for lack of space the
// kind NoSpace, which the API answers with 507 as it does the store's
// (SPEC.md §5.7).
func noSpace(path string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return protocol.E("write", protocol.NoSpace, "%s: disk full: %v", path, err)
	}
	return err
}

func writeTemp(path string, data []byte, mode os.FileMode, place func(tmp, path string) error) error {
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

// ParseMultiaddr parses a multiaddr; its error, of kind Invalid, quotes s
// once (go-multiaddr's own message repeats it) and gives the reason.
func ParseMultiaddr(s string) (ma.Multiaddr, error) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		why := strings.TrimPrefix(err.Error(), fmt.Sprintf("failed to parse multiaddr %q: ", s))
		return nil, protocol.E("", protocol.Invalid, "%q is not a multiaddr: %s", s, why)
	}
	return m, nil
}

// ParseBootstrap reads bootstrap multiaddrs, each ending in /p2p/PEER.
// Addresses of one peer are merged.
func ParseBootstrap(addrs []string) ([]peer.AddrInfo, error) {
	var ms []ma.Multiaddr
	for _, a := range addrs {
		m, err := ParseMultiaddr(a)
		if err != nil {
			return nil, protocol.E("bootstrap", protocol.Invalid, "%w", err)
		}
		if _, err := m.ValueForProtocol(ma.P_P2P); err != nil {
			return nil, protocol.E("bootstrap", protocol.Invalid, "%q does not end in /p2p/PEER: a bootstrap address names its peer", a)
		}
		ms = append(ms, m)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(ms...)
	if err != nil {
		return nil, protocol.E("bootstrap", protocol.Invalid, "%v", err)
	}
	return infos, nil
}

// TCPOnly drops the QUIC addresses of listen: a private network runs over
// TCP alone (SPEC.md §7.2).
func TCPOnly(listen []string) []string {
	var out []string
	for _, a := range listen {
		if m, err := ma.NewMultiaddr(a); err == nil {
			if _, err := m.ValueForProtocol(ma.P_QUIC_V1); err == nil {
				continue
			}
			if _, err := m.ValueForProtocol(ma.P_QUIC); err == nil {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}
