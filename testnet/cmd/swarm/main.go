// Command swarm runs a local swarm of commons daemons on loopback, for
// people: testnet/swarm is `go run ./testnet/cmd/swarm`. See
// testnet/README.md. It touches nothing outside the swarm's directory.
//
//	swarm [--dir DIR] COMMAND [ARGS]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

const usage = `usage: swarm [--dir DIR] COMMAND [ARGS]

  up N [--stewards K] [--star] [--swarm-key] [--no-gossip] [--genesis FILE] [--name NAME] [--bootstrap ADDR]...
                     build the binary, create N nodes, write the genesis, start them all;
                     node K>1 joins through node K-1 (--star: node 1); node 1 through ADDR
  down [--clean]     stop every daemon (SIGTERM, then SIGKILL); --clean removes what up made
  status             each node: running or not, ports, peers, DID
  exec K ARGS...     run ` + "`commons ARGS...`" + ` against node K (also: testnet/node K ARGS...)
  stop K...          stop nodes
  kill K...          stop nodes with SIGKILL, as a crash would
  start [K...]       start nodes (default: every stopped node) and wait until they answer
  restart K...       stop, then start nodes
  addr K             node K's libp2p address, /ip4/127.0.0.1/tcp/PORT/p2p/PEER
  wait-peers [K...]  wait until nodes (default: all running) have a peer

DIR is --dir, else $COMMONS_TESTNET, else /tmp/commons-testnet.
COMMONS_BIN=/path/to/commons makes up copy that binary instead of building one.
`

func main() {
	args := os.Args[1:]
	dir := os.Getenv("COMMONS_TESTNET")
	if dir == "" {
		dir = "/tmp/commons-testnet"
	}
	if len(args) >= 2 && args[0] == "--dir" {
		dir, args = args[1], args[2:]
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := args[0], args[1:]
	if len(args) >= 2 && args[0] == "--dir" {
		dir, args = args[1], args[2:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, dir, cmd, args)
	var u usageError
	switch {
	case errors.As(err, &u):
		fmt.Fprintf(os.Stderr, "swarm: %s\n%s", u.msg, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "swarm:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func run(ctx context.Context, dir, cmd string, args []string) error {
	switch cmd {
	case "up":
		return up(ctx, dir, args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	s, err := testnet.Open(dir)
	if err != nil {
		return err
	}
	s.SetLog(os.Stderr)
	switch cmd {
	case "down":
		clean := len(args) == 1 && args[0] == "--clean"
		if len(args) > 0 && !clean {
			return usagef("down: unknown argument %q", args[0])
		}
		if clean {
			if err := s.Remove(); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "swarm: stopped %d nodes and removed their repos\n", s.N())
			return nil
		}
		if err := s.Down(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "swarm: stopped %d nodes; repos kept in %s\n", s.N(), s.Dir)
		return nil
	case "status":
		return status(ctx, s)
	case "exec":
		if len(args) < 1 {
			return usagef("exec: which node?")
		}
		nd, err := nodeOf(s, args[0])
		if err != nil {
			return err
		}
		r := nd.CLIInput(ctx, os.Stdin, args[1:]...)
		fmt.Print(r.Stdout)
		fmt.Fprint(os.Stderr, r.Stderr)
		if r.Code < 0 {
			r.Code = 1
		}
		os.Exit(r.Code)
	case "stop", "kill", "restart":
		if len(args) == 0 {
			return usagef("%s: which nodes? (down stops them all)", cmd)
		}
		nodes, err := nodesOf(s, args)
		if err != nil {
			return err
		}
		for _, nd := range nodes {
			if cmd == "kill" {
				err = nd.Kill()
			} else {
				err = nd.Stop()
			}
			if err != nil {
				return err
			}
		}
		if cmd != "restart" {
			fmt.Fprintf(os.Stderr, "swarm: stopped node(s) %s\n", strings.Join(args, " "))
			return nil
		}
		return startNodes(ctx, s, nodes)
	case "start":
		nodes, err := nodesOf(s, args)
		if err != nil {
			return err
		}
		return startNodes(ctx, s, nodes)
	case "addr":
		if len(args) != 1 {
			return usagef("addr: which node?")
		}
		nd, err := nodeOf(s, args[0])
		if err != nil {
			return err
		}
		fmt.Println(nd.Addr())
		return nil
	case "wait-peers":
		nodes, err := nodesOf(s, args)
		if err != nil {
			return err
		}
		for _, nd := range nodes {
			if !nd.Running() && len(args) == 0 {
				continue
			}
			if err := nd.WaitPeers(ctx, 30*time.Second); err != nil {
				return err
			}
		}
		return nil
	}
	return usagef("unknown command %q", cmd)
}

func up(ctx context.Context, dir string, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	// COMMONS_BIN: a binary built elsewhere (e.g. of another commit)
	// instead of a build of this tree.
	opts := testnet.Options{Dir: dir, Detach: true, Log: os.Stderr, Bin: os.Getenv("COMMONS_BIN")}
	fs.IntVar(&opts.Stewards, "stewards", 0, "the first K nodes are the genesis' stewards (default min(N, 3))")
	fs.BoolVar(&opts.Star, "star", false, "every node joins through node 1")
	fs.BoolVar(&opts.SwarmKey, "swarm-key", false, "a private network")
	fs.BoolVar(&opts.NoGossip, "no-gossip", false, `"gossip": false in every config`)
	fs.StringVar(&opts.Genesis, "genesis", "", "join the network of this genesis")
	fs.StringVar(&opts.Name, "name", "", "the commons' name in the genesis")
	fs.Func("bootstrap", "node 1 joins through this peer", func(s string) error {
		opts.Bootstrap = append(opts.Bootstrap, s)
		return nil
	})
	fs.StringVar(&opts.Dir, "dir", dir, "the swarm's directory")
	n := 0
	for {
		if err := fs.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		if n != 0 {
			return usagef("up: one N only")
		}
		v, err := strconv.Atoi(fs.Arg(0))
		if err != nil || v < 1 {
			return usagef("up: N (how many nodes) must be a positive number, not %q", fs.Arg(0))
		}
		n, args = v, fs.Args()[1:]
	}
	if n == 0 {
		return usagef("up: how many nodes?")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return err
	}
	defer testnet.CleanBuild()
	s, err := testnet.Up(ctx, n, opts)
	if err != nil {
		return err
	}
	return status(ctx, s)
}

func startNodes(ctx context.Context, s *testnet.Swarm, nodes []*testnet.Node) error {
	if err := s.Start(ctx, nodes...); err != nil {
		return err
	}
	var ks []string
	for _, nd := range nodes {
		ks = append(ks, strconv.Itoa(nd.K))
	}
	fmt.Fprintf(os.Stderr, "swarm: node(s) %s running\n", strings.Join(ks, " "))
	return nil
}

func nodeOf(s *testnet.Swarm, arg string) (*testnet.Node, error) {
	k, err := strconv.Atoi(arg)
	if err != nil || k < 1 || k > s.N() {
		return nil, usagef("no node %q in %s (nodes 1 to %d)", arg, s.Dir, s.N())
	}
	return s.Node(k), nil
}

// nodesOf: the nodes named, or every node.
func nodesOf(s *testnet.Swarm, args []string) ([]*testnet.Node, error) {
	if len(args) == 0 {
		return s.Nodes, nil
	}
	var out []*testnet.Node
	for _, a := range args {
		nd, err := nodeOf(s, a)
		if err != nil {
			return nil, err
		}
		out = append(out, nd)
	}
	return out, nil
}

func status(ctx context.Context, s *testnet.Swarm) error {
	topology := "line"
	if s.Star() {
		topology = "star"
	}
	gossip := "on"
	if !s.Gossip() {
		gossip = "off"
	}
	stewards := strconv.Itoa(s.Stewards())
	if s.Stewards() == 0 {
		stewards = "those of its genesis"
	}
	fmt.Printf("swarm %s: %d nodes, %s, stewards %s, swarm key %s, gossip %s\n", s.Dir, s.N(), topology, stewards, yesNo(s.Private()), gossip)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tPID\tAPI\tP2P\tPEERS\tDID")
	for _, nd := range s.Nodes {
		pid, peers := "stopped", "-"
		if nd.Running() {
			pid = strconv.Itoa(nd.PID())
			if c, err := nd.Client(); err == nil {
				if ps, err := c.Peers(ctx); err == nil {
					peers = strconv.Itoa(len(ps))
				}
			}
		}
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%s\t%s\n", nd.K, pid, nd.APIPort, nd.P2PPort, peers, nd.DID)
	}
	w.Flush()
	fmt.Printf("run commands with: testnet/swarm --dir %s exec K COMMAND...\n", s.Dir)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
