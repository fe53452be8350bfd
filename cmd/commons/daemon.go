package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/node"
)

// DaemonCommand runs the node until SIGINT or SIGTERM.
type DaemonCommand struct{}

func (DaemonCommand) Synopsis() string { return "run the node (creates the repo when absent)" }
func (DaemonCommand) Usage() string {
	return `usage: commons daemon [--api ADDR] [--listen MULTIADDR]... [--genesis FILE] [--bootstrap MULTIADDR]...

Runs the node: the store, the peer-to-peer host and the HTTP API that the
other commands use. The repo is created when absent. --api and --listen
override the config for this run ("--api 127.0.0.1:0" and
"--listen /ip4/127.0.0.1/tcp/0" pick free ports); the API's actual address is
written to DIR/api. With --genesis the repo joins the network FILE founds; a
repo of another network refuses it and the daemon does not start. A repo
never given a genesis founds a commons of one at the first start: the node
key its only steward (` + "`commons join`" + ` moves it into a real network later). A
start that fails (a port in use, another daemon on the repo) changes
nothing: it founds nothing, and removes a repo it created. Each --bootstrap is a peer to join the network
through for this run, an address ending in /p2p/PEER, besides those of the
config (` + "`commons init --bootstrap`" + `). An encrypted keystore's passphrase is read once, at start,
from the file or variable the config names (keystore.passphrase_file or
keystore.passphrase_env), else asked on the terminal; a wrong one and the
daemon does not start. SIGINT or SIGTERM shut the daemon down cleanly. Logs
go to stderr, as JSON lines with --json.
`
}

func (DaemonCommand) Flags() []Flag {
	return []Flag{
		{Name: "api", Value: "ADDR", Help: "the HTTP API's address for this run"},
		{Name: "listen", Value: "MULTIADDR", Repeat: true, Help: "a libp2p listen address for this run"},
		{Name: "genesis", Value: "FILE", Help: "join the network this genesis founds"},
		{Name: "bootstrap", Value: "MULTIADDR", Repeat: true, Help: "a peer to join the network through for this run, ending in /p2p/PEER"},
		{Name: "log-level", Value: "LEVEL", Help: "the least level logged: debug, info (the default), warn or error"},
	}
}

func (DaemonCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	if err := checkPeerAddrs("--bootstrap", args.All("bootstrap")); err != nil {
		return err
	}
	if err := checkListenFlags(args); err != nil {
		return err
	}
	dir, err := env.Repo()
	if err != nil {
		return err
	}
	genesis, err := readGenesisFlag(args.Get("genesis"))
	if err != nil {
		return err
	}
	var offset time.Duration
	if v := os.Getenv(clockOffsetEnv); v != "" {
		if offset, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("%s: %q is not a duration (such as 2h or -90m)", clockOffsetEnv, v)
		}
	}
	level, err := parseLogLevel(args.Get("log-level"))
	if err != nil {
		return err
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(env.Stderr, hopts)
	if env.JSON {
		h = slog.NewJSONHandler(env.Stderr, hopts)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	profileHeapPeaks(ctx)
	err = node.RunDaemon(ctx, dir, node.DaemonOptions{
		APIAddr:       args.Get("api"),
		Listen:        args.All("listen"),
		Genesis:       genesis,
		Bootstrap:     args.All("bootstrap"),
		Logger:        slog.New(h),
		AskPassphrase: terminalAsker(env, false),
		ClockOffset:   offset,
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // asked to stop, and stopped
	}
	return err
}

// parseLogLevel reads daemon --log-level; empty is info.
func parseLogLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
}

// clockOffsetEnv shifts the daemon's clock by a Go duration ("2h",
// "-90m"): a node whose clock is wrong, for the fault testbed
// (testnet/faults). Unset or empty: the system's clock.
const clockOffsetEnv = "COMMONS_CLOCK_OFFSET"
