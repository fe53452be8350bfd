package testnet

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node"
)

// Daemon is one `commons daemon` of a test, outside any swarm: on the repo
// and with the flags the test gives, on free loopback ports, its stderr
// kept.
type Daemon struct {
	Repo   string
	flags  []string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

// Start runs `commons daemon --repo REPO --api 127.0.0.1:0 --listen
// /ip4/127.0.0.1/tcp/0 FLAGS...` from Build's binary, with Env, and waits
// until its API answers GET /v1/id (at most 30 s). It fails t when the
// daemon exits first. The daemon is stopped (Stop) when the test ends.
func Start(t testing.TB, repo string, flags ...string) *Daemon {
	t.Helper()
	d := &Daemon{Repo: repo, flags: flags, stderr: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"}, flags...)
	d.cmd = Command(t, args...)
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() { d.Stop(t) })

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-d.exited:
			t.Fatalf("daemon exited with %v before it served:\n%s", d.cmd.ProcessState, d.stderr)
		default:
		}
		if d.answers() {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not answer GET /v1/id within 30s:\n%s", d.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answers says whether the API the repo names answers GET /v1/id.
func (d *Daemon) answers() bool {
	c, err := node.NewClient(d.Repo)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.ID(ctx)
	return err == nil
}

// Restart stops the daemon (Stop) and starts another on its repo with its
// flags.
func (d *Daemon) Restart(t testing.TB) *Daemon {
	t.Helper()
	d.Stop(t)
	return Start(t, d.Repo, d.flags...)
}

// Stop interrupts the daemon (SIGINT), waits until it has exited, and
// returns its exit code; after 20 s it kills it and fails t. Stopping a
// daemon that has exited returns its code.
func (d *Daemon) Stop(t testing.TB) int {
	select {
	case <-d.exited:
		return d.cmd.ProcessState.ExitCode()
	default:
	}
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("daemon did not stop within 20s of SIGINT:\n%s", d.stderr)
	}
	return d.cmd.ProcessState.ExitCode()
}

// Signal sends the daemon sig and returns at once.
func (d *Daemon) Signal(sig os.Signal) error { return d.cmd.Process.Signal(sig) }

// Kill kills the daemon (SIGKILL, as a crash would) and returns at once.
func (d *Daemon) Kill() error { return d.cmd.Process.Kill() }

// Exited is closed once the daemon has exited.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// State is how the daemon exited; nil while it runs.
func (d *Daemon) State() *os.ProcessState {
	select {
	case <-d.exited:
		return d.cmd.ProcessState
	default:
		return nil
	}
}

// Stderr is what the daemon has written on stderr so far.
func (d *Daemon) Stderr() string { return d.stderr.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
