package testnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// Node is one daemon of a swarm: its repo, its fixed loopback ports, and
// its identity as last seen (a key rotation changes DID and PeerID; Start
// reads them again).
type Node struct {
	K       int
	Repo    string
	APIPort int // the HTTP API's port
	P2PPort int // the libp2p TCP port
	DID     protocol.DID
	PeerID  string

	swarm  *Swarm
	cmd    *exec.Cmd     // the daemon this process started, while it runs
	exited chan struct{} // closed when cmd has exited
	client *api.Client
}

// Grace is how long Stop waits after SIGTERM before SIGKILL: the daemon
// lets API requests finish for up to 10 s.
var Grace = 15 * time.Second

func (nd *Node) apiAddr() string    { return "127.0.0.1:" + strconv.Itoa(nd.APIPort) }
func (nd *Node) listenAddr() string { return "/ip4/127.0.0.1/tcp/" + strconv.Itoa(nd.P2PPort) }

// Addr is the node's libp2p address, /ip4/127.0.0.1/tcp/PORT/p2p/PEER.
func (nd *Node) Addr() string { return nd.listenAddr() + "/p2p/" + nd.PeerID }

// LogPath is the file the daemon's output is appended to.
func (nd *Node) LogPath() string { return filepath.Join(nd.Repo, "daemon.log") }

func (nd *Node) pidPath() string { return filepath.Join(nd.Repo, "daemon.pid") }

// CLI runs `commons --repo REPO ARGS...` and returns what it printed and
// its exit code; it never fails itself (a binary that cannot run gives
// code -1).
func (nd *Node) CLI(ctx context.Context, args ...string) Result {
	return nd.swarm.run(ctx, append([]string{"--repo", nd.Repo}, args...)...)
}

// CLIInput is CLI with stdin.
func (nd *Node) CLIInput(ctx context.Context, stdin io.Reader, args ...string) Result {
	return nd.swarm.runIn(ctx, stdin, append([]string{"--repo", nd.Repo}, args...)...)
}

// Client returns a client of the node's daemon's HTTP API, found as the
// CLI finds it (the repo's api and api.token files).
func (nd *Node) Client() (*api.Client, error) {
	if nd.client != nil {
		return nd.client, nil
	}
	c, err := node.NewClient(nd.Repo)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", nd.K, err)
	}
	nd.client = c
	return c, nil
}

// Running says whether the node's daemon runs.
func (nd *Node) Running() bool {
	_, ok := nd.pid()
	return ok
}

// PID is the daemon's process ID, or 0 when it does not run.
func (nd *Node) PID() int {
	pid, _ := nd.pid()
	return pid
}

// pid reads daemon.pid; a PID is believed only while the process lives
// and its command line names the node's repo, so that a stale pid file
// never leads to signalling someone else's process.
func (nd *Node) pid() (int, bool) {
	b, err := os.ReadFile(nd.pidPath())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, pidIs(pid, nd.Repo)
}

func pidIs(pid int, repo string) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil || strings.Contains(string(status), "\nState:\tZ") {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, a := range strings.Split(string(cmdline), "\x00") {
		if a == repo {
			return true
		}
	}
	return false
}

// Start starts the node's daemon, unless it runs, and waits until it
// answers and, in a swarm of more than one, has a peer.
func (nd *Node) Start(ctx context.Context) error { return nd.swarm.Start(ctx, nd) }

// bootstrap is whom the node joins through: at its first start its
// predecessor in the line (node 1 with Star; node 1 joins through
// Options.Bootstrap); at a later start every other running node, since the
// one it first joined through may be down or may have a new peer ID.
func (nd *Node) bootstrap(restart bool) []string {
	s := nd.swarm
	var out []string
	switch {
	case nd.K == 1:
		out = append(out, s.state.Bootstrap...)
	case restart:
	case s.state.Star:
		out = append(out, s.Node(1).Addr())
	default:
		out = append(out, s.Node(nd.K-1).Addr())
	}
	if restart {
		for _, o := range s.Nodes {
			if o != nd && o.Running() {
				out = append(out, o.Addr())
			}
		}
	}
	return out
}

// Start starts the daemons of nodes that do not run, one at a time, each
// once it answers, then waits until each has a peer when the swarm has
// more than one node.
func (s *Swarm) Start(ctx context.Context, nodes ...*Node) error {
	for _, nd := range nodes {
		if err := nd.start(ctx, true); err != nil {
			return err
		}
	}
	if s.N() > 1 {
		for _, nd := range nodes {
			if err := nd.WaitPeers(ctx, 30*time.Second); err != nil {
				return err
			}
		}
	}
	return nil
}

func (nd *Node) start(ctx context.Context, restart bool) error {
	if nd.Running() {
		return nil
	}
	s := nd.swarm
	args := []string{"daemon", "--repo", nd.Repo, "--genesis", s.GenesisPath(), "--api", nd.apiAddr(), "--listen", nd.listenAddr()}
	for _, b := range nd.bootstrap(restart) {
		args = append(args, "--bootstrap", b)
	}
	logf, err := os.OpenFile(nd.LogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- start %s\n", time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(s.Bin, args...)
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	if s.state.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	} else {
		cmd.SysProcAttr = dieWithParent()
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("node %d: start the daemon: %w", nd.K, err)
	}
	logf.Close()
	nd.cmd, nd.exited, nd.client = cmd, make(chan struct{}), nil
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(cmd, nd.exited)
	if err := os.WriteFile(nd.pidPath(), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	if err := nd.waitReady(ctx, 30*time.Second); err != nil {
		return err
	}
	return nil
}

// waitReady waits until the daemon answers GET /v1/id, and takes its DID
// and peer ID from the answer.
func (nd *Node) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if nd.exited != nil {
			select {
			case <-nd.exited:
				return fmt.Errorf("node %d: the daemon exited (%v):\n%s", nd.K, nd.cmd.ProcessState, nd.LogTail(20))
			default:
			}
		}
		if c, err := node.NewClient(nd.Repo); err == nil {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			id, err := c.ID(actx)
			cancel()
			if err == nil {
				nd.client = c
				if id.DID != nd.DID || id.PeerID != nd.PeerID {
					nd.DID, nd.PeerID = id.DID, id.PeerID
					if err := nd.swarm.save(); err != nil {
						return err
					}
				}
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

// WaitPeers waits until the node is connected to a peer.
func (nd *Node) WaitPeers(ctx context.Context, limit time.Duration) error {
	c, err := nd.Client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		peers, err := c.Peers(ctx)
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

// Stop sends the daemon SIGTERM and waits until it has exited, sending
// SIGKILL after Grace. Stopping a node that does not run does nothing.
func (nd *Node) Stop() error { return nd.signal(syscall.SIGTERM) }

// Kill stops the daemon with SIGKILL, as a crash would.
func (nd *Node) Kill() error { return nd.signal(syscall.SIGKILL) }

// Restart stops the daemon, then starts it again.
func (nd *Node) Restart(ctx context.Context) error {
	if err := nd.Stop(); err != nil {
		return err
	}
	return nd.Start(ctx)
}

func (nd *Node) signal(sig syscall.Signal) error {
	defer func() { nd.client = nil }()
	pid, ok := nd.pid()
	if !ok {
		os.Remove(nd.pidPath())
		return nil
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("node %d: signal %d: %w", nd.K, pid, err)
	}
	gone := func() bool {
		if nd.exited != nil && nd.cmd != nil && nd.cmd.Process.Pid == pid {
			select {
			case <-nd.exited:
				return true
			default:
				return false
			}
		}
		return !pidIs(pid, nd.Repo)
	}
	deadline := time.Now().Add(Grace)
	for !gone() {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		time.Sleep(20 * time.Millisecond)
	}
	os.Remove(nd.pidPath())
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
