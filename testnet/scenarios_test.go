//go:build unix

package testnet

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestScenarios runs testnet/scenarios/all: it builds the binary, brings up
// a swarm of five daemons on loopback and a few more for the outsider
// scenario, and checks publishing, claims, a restart and that outsiders stay
// out. About 20-40 s on two cores.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found: the testnet scripts need it")
	}
	timeout := 4 * time.Minute
	if d, ok := t.Deadline(); ok && time.Until(d)-10*time.Second < timeout {
		timeout = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "scenarios/all")
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	// The daemons run in the script's process group: killing the group on
	// a timeout leaves none behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever a failed teardown left
	}
	t.Logf("scenarios/all in %s:\n%s", time.Since(start).Round(100*time.Millisecond), out)
	if err != nil {
		t.Fatalf("scenarios/all: %v", err)
	}
}
