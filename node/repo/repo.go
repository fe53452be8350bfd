package repo

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"

	"github.com/commons-p2p/commons/protocol"
)

// The names of the repo's files and directories (doc.go, "Layout").
const (
	ConfigFile   = "config.json"
	SwarmKeyFile = "swarm.key"
	KeysDir      = "keys"
	StoreDir     = "data"
	ProvidersDir = "providers"
	APIFile      = "api"
	APITokenFile = "api.token"
)

// EnvPath names the environment variable that sets the repo directory.
const EnvPath = "COMMONS_PATH"

// Resolve returns the repo directory: flag if set, else $COMMONS_PATH,
// else ~/.commons.
func Resolve(flag string) (string, error) {
	dir := flag
	if dir == "" {
		dir = os.Getenv(EnvPath)
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find repo: no --repo, no $%s and no home directory: %w", EnvPath, err)
		}
		dir = filepath.Join(home, ".commons")
	}
	return filepath.Abs(dir)
}

// Repo is an opened repo directory.
type Repo struct {
	Dir     string
	Config  Config
	NodeKey *protocol.Key
	PeerID  peer.ID
	Keys    *Keystore

	// Genesis founds the network the repo belongs to and Network is its ID;
	// nil and zero until the repo joins one (see JoinNetwork and
	// SettleNetwork).
	Genesis *protocol.Genesis
	Network protocol.NetworkID

	// SwarmKey is the pre-shared key of a private network (DIR/swarm.key),
	// nil for an open one.
	SwarmKey pnet.PSK
}

// InitOptions are what `commons init` writes into a new repo's config.
// Zero fields take the defaults.
type InitOptions struct {
	APIAddr string
	Listen  []string
	// Genesis, when set, is a genesis file's bytes: the repo joins its
	// network. When nil the repo belongs to no network until the daemon
	// starts.
	Genesis []byte
	// Bootstrap are peers (multiaddrs ending in /p2p/PEER) saved in the
	// config: the node joins the network through them at every start.
	Bootstrap []string
	// SwarmKey, when set, is a swarm key file's bytes (the
	// /key/swarm/psk/1.0.0/ format): the repo's network is private, and
	// the key is kept as DIR/swarm.key (mode 0600).
	SwarmKey []byte
	// Keystore, when it names a passphrase file or variable, is written
	// into the config and the node key is encrypted under the passphrase.
	Keystore KeystoreConfig
}

// Init creates a repo in dir: a node key, a config and an empty data
// directory. It refuses, changing nothing, when dir already holds a repo or
// anything else.
func Init(dir string, opts InitOptions) (*Repo, error) {
	const op = "init"
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
		return nil, protocol.E(op, protocol.Exists, "%s already holds a commons repo; nothing was changed", dir)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, protocol.E(op, protocol.Exists, "%s exists and is not empty; nothing was changed", dir)
	}
	cfg := defaultConfig()
	if opts.APIAddr != "" {
		cfg.API = opts.APIAddr
	}
	if len(opts.Listen) > 0 {
		cfg.Listen = opts.Listen
	}
	cfg.Bootstrap = opts.Bootstrap
	if opts.SwarmKey != nil {
		if _, err := ParseSwarmKey(opts.SwarmKey); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		cfg.Listen = TCPOnly(cfg.Listen)
	}
	cfg.Keystore = opts.Keystore
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var passphrase []byte
	if opts.Keystore != (KeystoreConfig{}) {
		p, err := opts.Keystore.passphrase(nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		passphrase = p
	}
	if opts.Genesis != nil {
		if _, _, err := protocol.DecodeGenesis(opts.Genesis); err != nil {
			return nil, fmt.Errorf("%s: genesis: %w", op, err)
		}
	}
	existed := exists(dir)
	if err := initFiles(dir, cfg, opts.Genesis, opts.SwarmKey, passphrase); err != nil {
		removeInit(dir, existed)
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return Open(dir)
}

// OpenOrInit opens the repo in dir, creating it first when there is none,
// to belong to the network of genesis when that is not nil; undo, not nil
// only then, removes what the creation wrote.
func OpenOrInit(dir string, genesis []byte, ask PassphraseAsker, log *slog.Logger) (r *Repo, undo func(), err error) {
	r, err = OpenAsking(dir, ask)
	if !protocol.IsKind(err, protocol.NotFound) {
		return r, nil, err
	}
	log.Info("creating repo", "repo", dir)
	existed := exists(dir)
	if r, err = Init(dir, InitOptions{Genesis: genesis}); err != nil {
		return nil, nil, err
	}
	return r, func() { removeInit(dir, existed) }, nil
}

// removeInit removes what Init wrote into dir: dir itself unless it
// existed before (empty, as Init requires).
func removeInit(dir string, existed bool) {
	if !existed {
		os.RemoveAll(dir)
		return
	}
	for _, name := range []string{ConfigFile, GenesisFile, SwarmKeyFile, KeysDir, StoreDir, ProvidersDir, APIFile, APITokenFile} {
		os.RemoveAll(filepath.Join(dir, name))
	}
}

func initFiles(dir string, cfg Config, genesis, swarmKey, passphrase []byte) error {
	if err := os.MkdirAll(filepath.Join(dir, KeysDir), 0o700); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, StoreDir), 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	nk, err := protocol.NewKey(priv)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, KeysDir, NodeKeyName+".key"), NodeKeyName, nk, passphrase); err != nil {
		return err
	}
	if swarmKey != nil {
		if err := writeFileNew(filepath.Join(dir, SwarmKeyFile), swarmKey, 0o600); err != nil {
			return err
		}
	}
	if genesis != nil {
		if err := writeFileNew(filepath.Join(dir, GenesisFile), genesis, 0o644); err != nil {
			return err
		}
	}
	// The config is written last: its presence marks a complete repo.
	return writeConfig(filepath.Join(dir, ConfigFile), cfg)
}

// Open opens an initialised repo. An encrypted keystore takes its
// passphrase from the file or variable the config names.
func Open(dir string) (*Repo, error) { return OpenAsking(dir, nil) }

// OpenAsking opens an initialised repo, calling ask for the passphrase
// of an encrypted keystore whose config names no file or variable. A
// wrong passphrase opens nothing.
func OpenAsking(dir string, ask PassphraseAsker) (*Repo, error) {
	const op = "open repo"
	cfg, err := readConfig(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, protocol.E(op, protocol.NotFound, "%s is not a commons repo (run `commons init --repo %s`)", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ks := &Keystore{dir: filepath.Join(dir, KeysDir)}
	if encrypted, err := KeyFileEncrypted(ks.Path(NodeKeyName)); err != nil {
		return nil, fmt.Errorf("%s: node key: %w", op, err)
	} else if encrypted {
		if ks.passphrase, err = cfg.Keystore.passphrase(ask); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	nk, err := ks.load(NodeKeyName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err) // the keystore names the key
	}
	pid, err := PeerIDOf(nk)
	if err != nil {
		return nil, err
	}
	ks.node = nk
	g, nid, err := ReadGenesis(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	psk, err := readSwarmKey(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &Repo{Dir: dir, Config: cfg, NodeKey: nk, PeerID: pid, Keys: ks, Genesis: g, Network: nid, SwarmKey: psk}, nil
}

// readSwarmKey reads DIR/swarm.key; nil when there is none.
func readSwarmKey(dir string) (pnet.PSK, error) {
	b, err := os.ReadFile(filepath.Join(dir, SwarmKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	psk, err := ParseSwarmKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SwarmKeyFile), err)
	}
	return psk, nil
}

// PeerIDOf returns the libp2p peer ID of a key: the same key as its DID,
// spelled the libp2p way.
func PeerIDOf(k *protocol.Key) (peer.ID, error) {
	pk, err := crypto.UnmarshalEd25519PublicKey(k.DID().PublicKey())
	if err != nil {
		return "", err
	}
	return peer.IDFromPublicKey(pk)
}

// DataDir is where the store lives.
func (r *Repo) DataDir() string { return filepath.Join(r.Dir, StoreDir) }

// ProviderRecordsDir is where the DHT keeps the provider records other
// nodes give this one.
func (r *Repo) ProviderRecordsDir() string { return filepath.Join(r.Dir, ProvidersDir) }

// KeyFileEncrypted reports whether the key file at path is encrypted.
func KeyFileEncrypted(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return isEncryptedKeyFile(b), nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
