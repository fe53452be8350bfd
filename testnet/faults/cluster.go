package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// Ports every daemon uses inside its own namespace: the API on loopback,
// libp2p on the namespace's address.
const (
	APIPort = 7001
	P2PPort = 4001
)

// Options shape a cluster.
type Options struct {
	N         int
	Stewards  []int // the nodes the genesis names stewards; nil: 1, 2, 3
	Threshold int   // 0: a majority of the stewards
	Dir       string
	Bin       string    // a commons binary; empty: testnet.Build's
	Log       io.Writer // a line per step; nil: none
	// Shaped says the links will be shaped (Net.Shape): on a kernel
	// without netem the nodes then get TUN devices the harness carries.
	Shaped bool
	// Extra namespaces, after the daemons', run no daemon: room for a
	// hostile peer.
	Extra int
	// Env is more environment for node k's daemon (e.g. a clock offset);
	// nil: none.
	Env func(k int) []string
	// Keep, if set, is a directory where Down copies each daemon's log
	// (CLUSTER/nodeK.log, CLUSTER the base name of the cluster's
	// directory: a schedule may run several clusters) before it removes
	// the cluster's directory.
	Keep string
	// LogLevel is every daemon's --log-level; empty: the daemon's default.
	LogLevel string
}

// Cluster is N commons daemons, each in its own network namespace, on a
// private network (a swarm key: TCP only).
type Cluster struct {
	Net      *Net
	Dir      string
	Bin      string
	Nodes    []*Node // Nodes[0] is node 1
	Stewards []int
	opts     Options
	log      io.Writer
	mu       sync.Mutex
	crashes  []Crash
}

// Node is one daemon of a cluster.
type Node struct {
	K      int
	NS     string
	Repo   string
	IP     string
	DID    protocol.DID
	PeerID string

	c        *Cluster
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool // the harness stops or kills it: its exit is no crash
	client   *api.Client
}

// Crash is a daemon that exited when the harness did not stop it, or
// whose log shows a panic.
type Crash struct {
	Node   int    `json:"node"`
	Status string `json:"status"`
	Log    string `json:"log,omitempty"`
}

// Up makes the namespaces, inits opts.N repos, writes a genesis and a
// swarm key, and starts every daemon in its namespace, each joining
// through those started before it; it returns once each answers and has a
// peer. On error everything is torn down.
func Up(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.N < 2 {
		return nil, fmt.Errorf("faults: a cluster needs at least 2 nodes, not %d", opts.N)
	}
	if opts.Stewards == nil {
		opts.Stewards = []int{1, 2, 3}
	}
	for _, k := range opts.Stewards {
		if k < 1 || k > opts.N {
			return nil, fmt.Errorf("faults: steward %d is not a node of 1..%d", k, opts.N)
		}
	}
	if opts.Threshold == 0 {
		opts.Threshold = len(opts.Stewards)/2 + 1
	}
	nt, err := Setup(ctx, opts.N+opts.Extra, opts.Shaped)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Net: nt, Dir: opts.Dir, Stewards: opts.Stewards, opts: opts, log: opts.Log}
	if err := c.up(ctx); err != nil {
		c.Down()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) up(ctx context.Context) error {
	t0 := time.Now()
	if c.Dir == "" {
		d, err := os.MkdirTemp("", fmt.Sprintf("%s-%d-", tmpPrefix, os.Getpid()))
		if err != nil {
			return err
		}
		c.Dir = d
	}
	c.Bin = c.opts.Bin
	if c.Bin == "" {
		b, err := testnet.Build(ctx)
		if err != nil {
			return err
		}
		c.Bin = b
	}
	if r := c.run(ctx, "swarm", "key", "new", "--out", c.keyPath()); r.err != nil {
		return r.err
	}
	for k := 1; k <= c.opts.N; k++ {
		nd := &Node{K: k, NS: c.Net.NS(k), Repo: filepath.Join(c.Dir, fmt.Sprintf("node%d", k)), IP: IP(k), c: c}
		var id api.IDInfo
		r := c.run(ctx, "--repo", nd.Repo, "init", "--json", "--api", nd.apiAddr(), "--listen", nd.listenAddr(), "--swarm-key", c.keyPath())
		if r.err != nil {
			return r.err
		}
		if err := json.Unmarshal([]byte(r.out), &id); err != nil {
			return fmt.Errorf("faults: init of node %d: %v: %s", k, err, r.out)
		}
		nd.DID, nd.PeerID = id.DID, id.PeerID
		c.Nodes = append(c.Nodes, nd)
	}
	args := []string{"genesis", "new", "--name", "faults " + c.Net.Tag, "--threshold", strconv.Itoa(c.opts.Threshold), "--out", c.GenesisPath()}
	for _, k := range c.Stewards {
		args = append(args, "--steward", c.Node(k).DID.String())
	}
	if r := c.run(ctx, args...); r.err != nil {
		return r.err
	}
	for _, nd := range c.Nodes {
		if err := nd.Start(ctx); err != nil {
			return err
		}
	}
	for _, nd := range c.Nodes {
		if err := nd.WaitPeers(ctx, 30*time.Second); err != nil {
			return err
		}
	}
	c.logf("%d daemons up in %d namespaces (%s) in %s", len(c.Nodes), len(c.Nodes)+1, c.Net.Wire, time.Since(t0).Round(100*time.Millisecond))
	return nil
}

// Down kills every daemon, then removes the namespaces and the cluster's
// directory.
func (c *Cluster) Down() error {
	for _, nd := range c.Nodes {
		nd.Kill()
	}
	err := c.keepLogs()
	if terr := c.Net.Teardown(); err == nil {
		err = terr
	}
	if c.Dir != "" && c.opts.Dir == "" {
		os.RemoveAll(c.Dir)
	}
	return err
}

// keepLogs copies each daemon's log into opts.Keep, if set.
func (c *Cluster) keepLogs() error {
	if c.opts.Keep == "" {
		return nil
	}
	dir := filepath.Join(c.opts.Keep, filepath.Base(c.Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, nd := range c.Nodes {
		b, err := os.ReadFile(nd.LogPath())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("node%d.log", nd.K)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Node returns node k, counted from 1.
func (c *Cluster) Node(k int) *Node { return c.Nodes[k-1] }

// GenesisPath is the genesis every node joins.
func (c *Cluster) GenesisPath() string { return filepath.Join(c.Dir, "genesis.json") }

func (c *Cluster) keyPath() string { return filepath.Join(c.Dir, "swarm.key") }

// IsSteward says whether node k is a steward of the genesis.
func (c *Cluster) IsSteward(k int) bool {
	for _, s := range c.Stewards {
		if s == k {
			return true
		}
	}
	return false
}

func (c *Cluster) logf(format string, args ...any) {
	if c.log != nil {
		fmt.Fprintf(c.log, "faults: "+format+"\n", args...)
	}
}

type runResult struct {
	out string
	err error
}

// run runs the binary in the host's namespace, for what needs no network
// (init, genesis, swarm key), with HOME in the cluster's directory.
func (c *Cluster) run(ctx context.Context, args ...string) runResult {
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = c.env()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return runResult{stdout.String(), fmt.Errorf("faults: commons %s: %v: %s", strings.Join(args, " "), err, stderr.String())}
	}
	return runResult{stdout.String(), nil}
}

func (c *Cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, repo.EnvPath+"=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+filepath.Join(c.Dir, "home"))
}

// Crashes are the daemons that exited unasked so far, and those whose log
// holds a Go panic or fatal error.
func (c *Cluster) Crashes() []Crash {
	c.mu.Lock()
	out := append([]Crash(nil), c.crashes...)
	c.mu.Unlock()
	for _, nd := range c.Nodes {
		b, err := os.ReadFile(nd.LogPath())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
				out = append(out, Crash{Node: nd.K, Status: "log", Log: line})
				break
			}
		}
	}
	return out
}

func (nd *Node) apiAddr() string    { return "127.0.0.1:" + strconv.Itoa(APIPort) }
func (nd *Node) listenAddr() string { return "/ip4/" + nd.IP + "/tcp/" + strconv.Itoa(P2PPort) }

// Addr is the node's libp2p address.
func (nd *Node) Addr() string { return nd.listenAddr() + "/p2p/" + nd.PeerID }

// LogPath is the daemon's output, appended at every start.
func (nd *Node) LogPath() string { return filepath.Join(nd.Repo, "daemon.log") }

// Running says whether the daemon runs.
func (nd *Node) Running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.exited == nil {
		return false
	}
	select {
	case <-nd.exited:
		return false
	default:
		return true
	}
}

// Start starts the daemon in its namespace (ip netns exec, which execs
// the daemon itself: the PID is the daemon's), joining through every
// other running node, and waits until its API answers.
func (nd *Node) Start(ctx context.Context) error {
	if nd.Running() {
		return nil
	}
	c := nd.c
	args := []string{"netns", "exec", nd.NS, c.Bin, "daemon", "--repo", nd.Repo, "--genesis", c.GenesisPath(),
		"--api", nd.apiAddr(), "--listen", nd.listenAddr()}
	if c.opts.LogLevel != "" {
		args = append(args, "--log-level", c.opts.LogLevel)
	}
	for _, o := range c.Nodes {
		if o != nd && o.Running() {
			args = append(args, "--bootstrap", o.Addr())
		}
	}
	logf, err := os.OpenFile(nd.LogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- start %s\n", time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command("ip", args...)
	cmd.Env = c.env()
	if c.opts.Env != nil {
		cmd.Env = append(cmd.Env, c.opts.Env(nd.K)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("node %d: start: %w", nd.K, err)
	}
	logf.Close()
	exited := make(chan struct{})
	nd.mu.Lock()
	nd.cmd, nd.exited, nd.stopping, nd.client = cmd, exited, false, nil
	nd.mu.Unlock()
	go func() {
		err := cmd.Wait()
		nd.mu.Lock()
		stopping := nd.stopping
		nd.mu.Unlock()
		if !stopping {
			c.mu.Lock()
			c.crashes = append(c.crashes, Crash{Node: nd.K, Status: fmt.Sprint(err)})
			c.mu.Unlock()
		}
		close(exited)
	}()
	return nd.waitReady(ctx, 30*time.Second)
}

func (nd *Node) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if !nd.Running() {
			return fmt.Errorf("node %d: the daemon exited:\n%s", nd.K, nd.LogTail(20))
		}
		if cl, err := nd.Client(); err == nil {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			id, err := cl.ID(actx)
			cancel()
			if err == nil {
				nd.DID, nd.PeerID = id.DID, id.PeerID
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %d: not answering after %s:\n%s", nd.K, limit, nd.LogTail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Client is a client of the daemon's API, which listens on loopback in
// the node's namespace: its connections are dialled from inside it.
func (nd *Node) Client() (*api.Client, error) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.client != nil {
		return nd.client, nil
	}
	token, err := repo.ReadAPIToken(nd.Repo)
	if err != nil {
		return nil, err
	}
	cl, err := api.NewClientDial(nd.apiAddr(), token, Dialer(nd.NS))
	if err != nil {
		return nil, err
	}
	nd.client = cl
	return cl, nil
}

// API is Client for callers that know the node runs; a client that fails
// every call otherwise.
func (nd *Node) API() *api.Client {
	cl, err := nd.Client()
	if err != nil {
		cl, _ = api.NewClientDial(nd.apiAddr(), "", func(context.Context, string, string) (net.Conn, error) { return nil, err })
	}
	return cl
}

// WaitPeers waits until the node has a peer.
func (nd *Node) WaitPeers(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		peers, err := nd.API().Peers(ctx)
		if err == nil && len(peers) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %d: no peer after %s (%v):\n%s", nd.K, limit, err, nd.LogTail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill stops the daemon with SIGKILL, as a crash or a power cut would,
// and waits until it has exited. It is not counted a crash.
func (nd *Node) Kill() error { return nd.signal(syscall.SIGKILL) }

// Stop stops the daemon with SIGTERM (SIGKILL after 15 s).
func (nd *Node) Stop() error { return nd.signal(syscall.SIGTERM) }

func (nd *Node) signal(sig syscall.Signal) error {
	nd.mu.Lock()
	cmd, exited := nd.cmd, nd.exited
	nd.stopping = true
	nd.client = nil
	nd.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	return nil
}

// LogTail is the last lines of the daemon's log.
func (nd *Node) LogTail(lines int) string {
	b, err := os.ReadFile(nd.LogPath())
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// WipeStore empties the node's store and provider records, as a lost
// disk restored without them would; the node must be stopped. Its keys and
// config stay.
func (nd *Node) WipeStore() error {
	if nd.Running() {
		return fmt.Errorf("node %d: wipe the store of a running daemon", nd.K)
	}
	var errs []error
	for _, d := range []string{repo.StoreDir, repo.ProvidersDir} {
		p := filepath.Join(nd.Repo, d)
		errs = append(errs, os.RemoveAll(p), os.MkdirAll(p, 0o700))
	}
	return errors.Join(errs...)
}
