package main

// Attacks on the user's own files through `dataset add`, run through the
// real binary: a link out of the tree, hidden files published unasked,
// and a hash that Ctrl-C must stop before anything is published.

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

type datasetAddedJSON struct {
	publishedJSON
	Skipped struct {
		Hidden int      `json:"hidden"`
		VCS    int      `json:"vcs"`
		Paths  []string `json:"paths"`
	} `json:"skipped"`
}

func datasetCount(t *testing.T, repo string) int {
	t.Helper()
	var list []struct{ ID string }
	testnet.RunJSON(t, &list, "dataset", "list", "--repo", repo, "--json")
	return len(list)
}

// A link in the tree to a file outside it is refused, naming the link and
// where it points, and nothing is published; --follow-links publishes it.
func TestDatasetAddLinkOutOfTree(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	secret := filepath.Join(testnet.WriteTree(t, map[string]string{"shadow": "ab"}), "shadow")
	dir := testnet.WriteTree(t, map[string]string{"a.txt": "public"})
	link := filepath.Join(dir, "shadow-link")
	if err := os.Symlink(secret, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	target, err := filepath.EvalSymlinks(secret)
	if err != nil {
		t.Fatal(err)
	}
	testnet.RunFails(t, nil, []string{`symbolic link "` + link + `" points outside the tree, to "` + target + `"`, "--follow-links"},
		"dataset", "add", dir, "--name", "Leaky", "--license", "MIT", "--repo", repo)
	if n := datasetCount(t, repo); n != 0 {
		t.Fatalf("%d datasets published after the refusal, want none", n)
	}

	var ds datasetAddedJSON
	testnet.RunJSON(t, &ds, "dataset", "add", dir, "--name", "Followed", "--license", "MIT", "--follow-links", "--repo", repo, "--json")
	var shown datasetJSON
	testnet.RunJSON(t, &shown, "dataset", "show", ds.ID, "--repo", repo, "--json")
	if len(shown.Files) != 2 || shown.Files[1].Name != "shadow-link" || shown.Files[1].SHA256 != sha256Hex("ab") {
		t.Errorf("with --follow-links: %+v, want a.txt and shadow-link as the file it points to", shown.Files)
	}
}

// Dotfiles and .git are skipped by default, and the summary says so, in
// JSON and in text; --include-hidden publishes them.
func TestDatasetAddSkipsHidden(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	dir := testnet.WriteTree(t, map[string]string{
		"a.txt":       "public",
		".env":        "TOKEN=secret",
		".git/config": "[remote]",
		".git/HEAD":   "ref: refs/heads/main",
	})
	var ds datasetAddedJSON
	testnet.RunJSON(t, &ds, "dataset", "add", dir, "--name", "Clean", "--license", "MIT", "--repo", repo, "--json")
	if ds.Files != 1 || ds.Skipped.Hidden != 1 || ds.Skipped.VCS != 1 || !slices.Equal(ds.Skipped.Paths, []string{".env", ".git/"}) {
		t.Errorf("dataset add --json: %+v, want 1 file and .env, .git/ skipped", ds)
	}
	var shown datasetJSON
	testnet.RunJSON(t, &shown, "dataset", "show", ds.ID, "--repo", repo, "--json")
	if len(shown.Files) != 1 || shown.Files[0].Name != "a.txt" {
		t.Errorf("published %+v, want a.txt alone", shown.Files)
	}

	r := testnet.Run(t, nil, "dataset", "add", dir, "--name", "Clean, again", "--license", "MIT", "--repo", repo)
	if r.Code != 0 || !strings.Contains(r.Stdout, "skipped:") || !strings.Contains(r.Stdout, `1 hidden, 1 version control (--include-hidden publishes them): ".env" ".git/"`) {
		t.Errorf("text summary does not say what was skipped:\n%s", r)
	}

	testnet.RunJSON(t, &ds, "dataset", "add", dir, "--name", "Everything", "--license", "MIT", "--include-hidden", "--repo", repo, "--json")
	if ds.Files != 4 || ds.Skipped.Hidden+ds.Skipped.VCS != 0 || ds.Skipped.Paths == nil {
		t.Errorf("with --include-hidden: %+v, want 4 files and nothing skipped", ds)
	}

	only := testnet.WriteTree(t, map[string]string{".env": "TOKEN=secret"})
	testnet.RunFails(t, nil, []string{"holds no files but 1 hidden or version-control entries", "--include-hidden"},
		"dataset", "add", only, "--name", "Nothing", "--license", "MIT", "--repo", repo)
}

// Ctrl-C while a large file is being hashed stops the command with
// "interrupted", and nothing is published.
func TestDatasetAddInterrupted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds the file being hashed through /proc")
	}
	repo := filepath.Join(t.TempDir(), "repo")
	testnet.Start(t, repo)
	dir := t.TempDir()
	big := filepath.Join(dir, "sparse.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 30); err != nil { // sparse: minutes to hash, no disk taken
		f.Close()
		t.Skip("no sparse file of 64 GiB here:", err)
	}
	f.Close()
	if big, err = filepath.EvalSymlinks(big); err != nil { // as /proc names it
		t.Fatal(err)
	}

	cmd := testnet.Command(t, "dataset", "add", dir, "--name", "Big", "--license", "MIT", "--repo", repo)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	// Interrupt once the file is open, that is while it is being hashed.
	fds := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "fd")
	for deadline := time.Now().Add(time.Minute); !holds(fds, big); time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("dataset add exited before it opened the file: %v\n%s", cmd.ProcessState, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dataset add did not open the file within a minute")
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatal("dataset add still hashing a minute after Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || stderr.String() != "commons: interrupted\n" || stdout.Len() != 0 {
		t.Errorf("after Ctrl-C: exit %d, stdout %q, stderr %q; want exit 1 and `commons: interrupted`", code, stdout.String(), stderr.String())
	}
	if n := datasetCount(t, repo); n != 0 {
		t.Errorf("%d datasets published after Ctrl-C, want none", n)
	}
}

// holds reports whether one of the descriptors listed in fds is path.
func holds(fds, path string) bool {
	entries, _ := os.ReadDir(fds)
	for _, e := range entries {
		if p, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && p == path {
			return true
		}
	}
	return false
}
