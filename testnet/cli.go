package testnet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CLI outside a swarm, for tests of one repo at a time: Build's binary,
// run with HOME in Build's directory and no COMMONS_PATH, as a swarm runs
// its own.

// Bin is Build's binary, built at the first call of the process; an error
// fails t.
func Bin(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Env is the environment of Build's binary in a test: the process's own,
// without COMMONS_PATH, with HOME in Build's directory (so that nothing
// reaches the user's own repo).
func Env(t testing.TB) []string {
	return homeEnv(filepath.Join(filepath.Dir(Bin(t)), "home"))
}

// Command is `commons ARGS...` of Build's binary with Env, to run as the
// caller wants.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(Bin(t), args...)
	cmd.Env = Env(t)
	return cmd
}

// Run runs `commons ARGS...` with stdin (nil: none) and returns what it
// printed and its exit code; it fails t only when the binary cannot run or
// runs for more than a minute.
func Run(t testing.TB, stdin []byte, args ...string) Result {
	t.Helper()
	return RunEnv(t, nil, stdin, args...)
}

// RunEnv is Run with env added to Env (a later KEY=VALUE wins).
func RunEnv(t testing.TB, env []string, stdin []byte, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Bin(t), args...)
	cmd.Env = append(Env(t), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Code: -1}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
	}
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || ctx.Err() != nil) {
		t.Fatalf("commons %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// RunJSON runs `commons ARGS...`, fails t unless it exits 0, and decodes
// its stdout, which must be exactly one JSON document, into v (not nil).
func RunJSON(t testing.TB, v any, args ...string) Result {
	t.Helper()
	r := Run(t, nil, args...)
	r.Decode(t, v)
	return r
}

// RunFails runs `commons ARGS...` with stdin (nil: none) and fails t
// unless it fails as the CLI fails: exit code 1, nothing on stdout, and
// one line on stderr, `commons: MESSAGE`, that says every one of want.
func RunFails(t testing.TB, stdin []byte, want []string, args ...string) Result {
	t.Helper()
	r := Run(t, stdin, args...)
	r.WantFailure(t, want...)
	return r
}

// Decode decodes stdout, which must be exactly one JSON document of a run
// that exited 0, into v; it fails t otherwise.
func (r Result) Decode(t testing.TB, v any) {
	t.Helper()
	if err := r.JSON(v); err != nil {
		t.Fatal(err)
	}
}

// WantFailure fails t unless the run failed as the CLI fails: exit code 1,
// nothing on stdout, and one line on stderr, `commons: MESSAGE`, that says
// every one of want.
func (r Result) WantFailure(t testing.TB, want ...string) {
	t.Helper()
	args := strings.Join(r.Args, " ")
	if r.Code != 1 {
		t.Fatalf("commons %s: want exit 1\n%s", args, r)
	}
	if r.Stdout != "" {
		t.Errorf("commons %s: printed on stdout while failing: %q", args, r.Stdout)
	}
	msg := strings.TrimSuffix(r.Stderr, "\n")
	if !strings.HasPrefix(msg, "commons: ") || strings.Contains(msg, "\n") {
		t.Errorf("commons %s: stderr is not one `commons: ...` line: %q", args, r.Stderr)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("commons %s: stderr %q does not say %q", args, msg, w)
		}
	}
}

// WriteTree writes files (slash-separated paths → contents) under a new
// directory of t's and returns the directory.
func WriteTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Main runs a test binary's tests, then removes the binary Build made, and
// exits with the tests' code: TestMain(m) { testnet.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	CleanBuild()
	os.Exit(code)
}
