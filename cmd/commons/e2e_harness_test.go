package main

// The harness of the end-to-end tests: it builds the real binary once, runs
// it, starts and stops real daemons, and reads the contract's JSON.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/repo"
)

var (
	e2eDir   string // holds the binary and a fake HOME
	buildBin sync.Once
	bin      string
	buildErr error
)

func TestMain(m *testing.M) {
	var err error
	if e2eDir, err = os.MkdirTemp("", "commons-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(e2eDir)
	os.Exit(code)
}

// commonsBinary builds the binary once, the first time a test needs it.
func commonsBinary(t *testing.T) string {
	t.Helper()
	buildBin.Do(func() {
		bin = filepath.Join(e2eDir, "commons")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// commons runs the binary with stdin (may be nil) and waits for it.
func commons(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, commonsBinary(t), args...)
	cmd.Env = e2eEnv()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("commons %s: %v", strings.Join(args, " "), err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// e2eEnv keeps the tests away from the user's ~/.commons and $COMMONS_PATH.
func e2eEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, repo.EnvPath+"=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+filepath.Join(e2eDir, "home"))
}

// ok runs a command that must succeed and decodes its stdout, which must be
// exactly one JSON document, into v.
func ok(t *testing.T, v any, args ...string) {
	t.Helper()
	r := commons(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("commons %s:\n%s", strings.Join(args, " "), r)
	}
	oneJSON(t, r.stdout, v)
}

func oneJSON(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON document:\n%s", s)
	}
}

// fails runs a command that must fail with exit code 1 and a one-line
// message on stderr that contains every one of want; stdout must be empty.
func fails(t *testing.T, stdin []byte, want []string, args ...string) result {
	t.Helper()
	r := commons(t, stdin, args...)
	if r.code != 1 {
		t.Fatalf("commons %s: want exit 1\n%s", strings.Join(args, " "), r)
	}
	if r.stdout != "" {
		t.Errorf("commons %s: printed on stdout while failing: %q", strings.Join(args, " "), r.stdout)
	}
	msg := strings.TrimSuffix(r.stderr, "\n")
	if !strings.HasPrefix(msg, "commons: ") || strings.Contains(msg, "\n") {
		t.Errorf("commons %s: stderr is not one `commons: ...` line: %q", strings.Join(args, " "), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("commons %s: stderr %q does not say %q", strings.Join(args, " "), msg, w)
		}
	}
	return r
}

// daemon is a `commons daemon` subprocess.
type daemon struct {
	repo   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

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

// startDaemon runs a daemon on repo with free ports and the flags in extra,
// and waits until `commons id` answers. The daemon is interrupted when the
// test ends.
func startDaemon(t *testing.T, repo string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{repo: repo, stderr: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0"}, extra...)
	d.cmd = exec.Command(commonsBinary(t), args...)
	d.cmd.Env = e2eEnv()
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() { d.stop(t) })

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-d.exited:
			t.Fatalf("daemon exited with %v before it served:\n%s", d.cmd.ProcessState, d.stderr)
		default:
		}
		if _, err := os.Stat(filepath.Join(repo, "api")); err == nil {
			if r := commons(t, nil, "id", "--repo", repo, "--json"); r.code == 0 {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not answer `commons id` within 30s:\n%s", d.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop interrupts the daemon and returns its exit code.
func (d *daemon) stop(t *testing.T) int {
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

// writeTree writes files (slash paths → contents) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
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

func sha256Hex(s string) string { d := sha256.Sum256([]byte(s)); return hex.EncodeToString(d[:]) }

// JSON shapes the tests read: the contract's field names, as strings.
type (
	idJSON struct {
		DID    string   `json:"did"`
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
		Repo   string   `json:"repo"`
	}
	peerJSON struct {
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
		Score  *float64 `json:"score"` // a pointer, to tell an absent score from 0
	}
	keyJSON struct {
		Name string `json:"name"`
		DID  string `json:"did"`
	}
	publishedJSON struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Signer  string `json:"signer"`
		Files   int    `json:"files"`
		Bytes   int64  `json:"bytes"`
		Signers int    `json:"signers"`
	}
	fileJSON struct {
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	datasetJSON struct {
		ID        string     `json:"id"`
		Name      string     `json:"name"`
		License   string     `json:"license"`
		Publisher string     `json:"publisher"`
		Parents   []string   `json:"parents"`
		Files     []fileJSON `json:"files"`
	}
	contributorJSON struct {
		DID     string   `json:"did"`
		Role    string   `json:"role"`
		Weight  float64  `json:"weight"`
		Trust   string   `json:"trust"`
		Claim   string   `json:"claim"`
		Signers []string `json:"signers"`
	}
	attributionJSON struct {
		Subject      string            `json:"subject"`
		Contributors []contributorJSON `json:"contributors"`
		Lineage      []struct {
			ID           string            `json:"id"`
			Contributors []contributorJSON `json:"contributors"`
		} `json:"lineage"`
	}
	locateJSON struct {
		SHA256   string `json:"sha256"`
		Datasets []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"datasets"`
	}
)

func (a attributionJSON) claim(t *testing.T, id string) contributorJSON {
	t.Helper()
	for _, c := range a.Contributors {
		if c.Claim == id {
			return c
		}
	}
	t.Fatalf("attribution of %s does not list claim %s: %+v", a.Subject, id, a.Contributors)
	return contributorJSON{}
}

func trustOf(t *testing.T, repo, subject, claim string) contributorJSON {
	t.Helper()
	var a attributionJSON
	ok(t, &a, "attribution", subject, "--repo", repo, "--json")
	if a.Subject != subject {
		t.Errorf("attribution subject = %q, want %q", a.Subject, subject)
	}
	return a.claim(t, claim)
}
