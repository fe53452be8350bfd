//go:build unix

package testnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestScenarios builds the binary and runs testnet/scenarios/all twice,
// with announce gossip and without (every find is then a network query
// through the DHT): each run brings up a swarm of five daemons on loopback
// and a few more for the outsider scenario, and checks publishing, claims,
// a restart, that outsiders stay out, and governance (votes, catching up,
// revocation, refusal, delisting). 25-40 s in all on two cores, the build
// included.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real daemons; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found: the testnet scripts need it")
	}
	// One build for both runs: the scripts copy $COMMONS_BIN when set.
	bin := filepath.Join(t.TempDir(), "commons")
	build := exec.Command("go", "build", "-o", bin, "./cmd/commons")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct{ name, flag string }{{"gossip", ""}, {"dht", "--no-gossip"}} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"scenarios/all"}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			runScript(t, bash, []string{"COMMONS_BIN=" + bin}, args...)
		})
	}
}

// runScript runs a script under bash in its own process group, which is
// killed on the way out: the daemons it starts run in that group, so none
// outlives the test, even when the script is stopped by the timeout.
func runScript(t *testing.T, bash string, env []string, args ...string) {
	timeout := 3 * time.Minute
	if d, ok := t.Deadline(); ok && time.Until(d)-10*time.Second < timeout {
		timeout = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, args...)
	cmd.Env = append(append(os.Environ(), "TMPDIR="+t.TempDir()), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever a failed teardown left
	}
	t.Logf("%v in %s:\n%s", args, time.Since(start).Round(100*time.Millisecond), out)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}
