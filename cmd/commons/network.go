package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// What the commands that join or query the network share: the flags of the
// reads that may search the network, and the checks of peer addresses and
// swarm key files, made here so that a bad value is refused before a repo is
// created or a daemon is asked.

// queryFlags are the flags of attribution, locate, dataset show and object
// get.
var queryFlags = []Flag{
	{Name: "local", Help: "answer from this node's index only; do not search the network"},
	{Name: "timeout", Value: "DURATION", Help: "how long to search the network when the index lacks the answer, e.g. 30s (default " +
		shortDuration(api.DefaultQueryTimeout) + ", at most " + shortDuration(api.MaxQueryTimeout) + ")"},
}

// queryHelp ends the usage of each command with queryFlags.
const queryHelp = `When the node's index lacks the answer, the daemon asks the network for up
to --timeout and verifies and stores what it gets before it answers; with
--local it answers from its index alone.
`

// parseQueryOptions reads --local and --timeout.
func parseQueryOptions(args *Args) (api.QueryOptions, error) {
	opts := api.QueryOptions{Local: args.Bool("local")}
	if !args.Has("timeout") {
		return opts, nil
	}
	s := args.Get("timeout")
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return opts, usagef("--timeout %q is not a duration: write a number and a unit, e.g. 5s, 1m30s", s)
	case d <= 0:
		return opts, usagef("--timeout %s is not positive: give how long to search, e.g. 5s", s)
	case opts.Local:
		return opts, usagef("--local and --timeout exclude each other: --local does not search the network")
	case d > api.MaxQueryTimeout:
		return opts, badValue(protocol.E("", protocol.Invalid, "--timeout %s is above %s, the longest a daemon searches the network", s, shortDuration(api.MaxQueryTimeout)))
	}
	opts.Timeout = d
	return opts, nil
}

// shortDuration spells d as a person would write it: 5m, not 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// checkPeerAddrs checks that each of addrs is a multiaddr ending in
// /p2p/PEER, the form every peer address takes on the command line; flag
// names the flag or argument in the error ("--bootstrap"). A bad one is a
// usage error.
func checkPeerAddrs(flag string, addrs []string) error {
	for _, a := range addrs {
		m, err := parseMultiaddr(flag, a)
		if err != nil {
			return err
		}
		if _, err := m.ValueForProtocol(ma.P_P2P); err != nil {
			return badValue(protocol.E("", protocol.Invalid, "%s %q does not end in /p2p/PEER: a peer address names its peer (see `commons id` on that node)", flag, a))
		}
		if _, err := peer.AddrInfoFromP2pAddr(m); err != nil {
			return badValue(protocol.E("", protocol.Invalid, "%s %q: %v", flag, a, err))
		}
	}
	return nil
}

// checkListenFlags checks the --api and --listen of init and daemon: a
// host:port and multiaddrs. What the config then requires of them (a
// loopback API without a token) the node checks.
func checkListenFlags(args *Args) error {
	if api := args.Get("api"); args.Has("api") {
		if _, _, err := net.SplitHostPort(api); err != nil {
			return badValue(protocol.E("", protocol.Invalid, "--api %q is not HOST:PORT, e.g. 127.0.0.1:5780 (port 0 picks a free one)", api))
		}
	}
	for _, a := range args.All("listen") {
		if _, err := parseMultiaddr("--listen", a); err != nil {
			return err
		}
	}
	return nil
}

// parseMultiaddr parses a multiaddr given as flag; its error, a usage
// error, names the flag and the value once.
func parseMultiaddr(flag, s string) (ma.Multiaddr, error) {
	m, err := repo.ParseMultiaddr(s)
	return m, badArg(flag, err)
}

// maxSwarmKeyFile bounds what readSwarmKeyFlag reads: a swarm key file is
// under 100 bytes, so one far larger is another file given by mistake.
const maxSwarmKeyFile = 4 << 10

// readSwarmKeyFlag reads and checks the file of a --swarm-key flag. "" is
// no swarm key.
func readSwarmKeyFlag(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--swarm-key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSwarmKeyFile))
	if err != nil {
		return nil, fmt.Errorf("--swarm-key: %w", err)
	}
	if _, err := repo.ParseSwarmKey(b); err != nil {
		return nil, fmt.Errorf("--swarm-key %q: %w", path, err)
	}
	return b, nil
}
