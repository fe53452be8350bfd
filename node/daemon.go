package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/commons-p2p/commons/node/apiserver"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// DaemonOptions override the repo's config for one run of the daemon.
type DaemonOptions struct {
	APIAddr string   // overrides repo.Config.API ("127.0.0.1:0" picks a free port)
	Listen  []string // overrides repo.Config.Listen
	Genesis []byte   // a genesis file's bytes: the repo joins its network, or refuses if it belongs to another
	// Bootstrap are peers to join through for this run, besides the
	// config's.
	Bootstrap []string
	Logger    *slog.Logger
	// AskPassphrase asks for the passphrase of an encrypted keystore
	// whose config names no file or variable; nil when nobody can answer.
	AskPassphrase repo.PassphraseAsker
}

// shutdownGrace bounds how long in-flight API requests may take to finish
// once the daemon is asked to stop.
const shutdownGrace = 10 * time.Second

// RunDaemon opens (creating it when absent) the repo in dir and serves
// until ctx is cancelled, then shuts down cleanly. It writes the API's
// actual address to DIR/api while it serves and removes it on the way out.
//
// A start that fails changes nothing in the repo: the network it settles
// (the genesis given, or a commons of one founded now) is written only once
// the store is open and the API and swarm listen, and a repo this start
// created is removed again (SPEC.md §6.1).
func RunDaemon(ctx context.Context, dir string, opts DaemonOptions) (err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r, undoInit, err := repo.OpenOrInit(dir, opts.Genesis, opts.AskPassphrase, log)
	if err != nil {
		return err
	}
	started := false
	defer func() { // registered first, so it runs after the store is closed
		if !started && undoInit != nil {
			log.Info("start failed: removing the repo it created", "repo", dir)
			undoInit()
		}
	}()
	commitNetwork, err := r.SettleNetwork(opts.Genesis, time.Now(), log)
	if err != nil {
		return err
	}
	cfg := r.Config
	if opts.APIAddr != "" {
		cfg.API = opts.APIAddr
	}
	if len(opts.Listen) > 0 {
		cfg.Listen = opts.Listen
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	netOpts, err := networkOptions(r, cfg, opts.Bootstrap)
	if err != nil {
		return err
	}
	// Another daemon on this repo is told apart from a port in use; the
	// store takes the lock for good below.
	unlock, err := r.Lock()
	if err != nil {
		return err
	}
	unlock()
	// The API's port next: it is the likeliest to be taken, and taking it
	// touches nothing in the repo.
	ln, err := net.Listen("tcp", cfg.API)
	if err != nil {
		return protocol.E("listen", protocol.KindOf(err), "api address %s: %w", cfg.API, unwrapOpError(err))
	}
	defer ln.Close()
	st, err := openStoreLocked(r, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The swarm creates providers/ (the DHT's provider records) as it
	// starts: a start that fails removes it when it was not there before,
	// once the swarm has closed it (this runs after n.Close).
	ready := false
	defer removeIfNew(r.ProviderRecordsDir(), &ready, log)()
	n := New(r, st, log)
	if err := n.StartNetwork(ctx, netOpts); err != nil {
		return err
	}
	defer n.Close()
	if err := r.SetAPIToken(cfg.APIToken); err != nil {
		return err
	}
	// Manifests whose indexing a stop cut short, or whose chunks came after
	// their record, are indexed in the background; a stop waits for it.
	idxCtx, stopIndexing := context.WithCancel(ctx)
	indexing := make(chan struct{})
	go func() {
		defer close(indexing)
		if k, err := n.IndexManifests(idxCtx); err != nil && idxCtx.Err() == nil {
			log.Warn("index manifests", "err", err)
		} else if k > 0 {
			log.Info("manifests indexed", "datasets", k)
		}
	}()
	defer func() { stopIndexing(); <-indexing }()
	srv := apiserver.NewServer(n.Handler(cfg.APIToken), apiserver.DefaultTimeouts)
	addr := ln.Addr().String()
	if err := r.SetAPIAddr(addr); err != nil {
		return err
	}
	defer r.SetAPIAddr("")
	// The network is written last, once nothing else can fail: a start
	// that fails keeps no genesis it was given or founded (SPEC §6.1).
	if err := commitNetwork(); err != nil {
		return err
	}
	// The API answers only now, the start complete: a client that reads
	// the api file meanwhile waits in the listener's queue, and never sees
	// a daemon whose start may yet fail.
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	started = true
	ready = true
	log.Info("daemon ready", "repo", dir, "api", addr, "explorer", "http://"+addr+"/", "did", r.NodeKey.DID(), "peer_id", r.PeerID, "network", r.Network, "addrs", n.net.Addrs())

	select {
	case err := <-served:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	log.Info("daemon stopping")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("api shutdown", "err", err)
	}
	return nil
}

// removeIfNew returns a function that removes dir unless *ready, when dir
// did not exist as removeIfNew was called.
func removeIfNew(dir string, ready *bool, log *slog.Logger) func() {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return func() {}
	}
	return func() {
		if *ready {
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("start failed: cannot remove the directory it created", "dir", dir, "err", err)
		}
	}
}

// unwrapOpError drops the "listen tcp ADDR: " that net.OpError puts
// before its reason, which the caller names already.
func unwrapOpError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// networkOptions are the repo's network settings, with extra bootstrap
// peers for this run.
func networkOptions(r *repo.Repo, cfg repo.Config, extra []string) (NetworkOptions, error) {
	boot, err := repo.ParseBootstrap(append(slices.Clone(cfg.Bootstrap), extra...))
	if err != nil {
		return NetworkOptions{}, err
	}
	listen := cfg.Listen
	if r.SwarmKey != nil {
		listen = repo.TCPOnly(listen)
		if len(listen) == 0 && len(cfg.Listen) > 0 {
			return NetworkOptions{}, protocol.E("config", protocol.Invalid, "a private network (swarm.key) runs over TCP only, and every listen address is QUIC")
		}
	}
	return NetworkOptions{
		Listen:    listen,
		Bootstrap: boot,
		SwarmKey:  r.SwarmKey,
		Limits:    cfg.Limits,
		Gossip:    cfg.Gossip == nil || *cfg.Gossip,
		Storage:   cfg.Storage,
		Announcer: cfg.Announcer,
	}, nil
}
