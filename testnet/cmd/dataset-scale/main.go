// Command dataset-scale measures a national archive's dataset on real
// daemons: it writes a tree of N files of 4 KiB (kept in -tree for the
// next run), brings up a swarm of -n daemons, and on node 1
//
//  1. times `find TREE -type f -print0 | xargs -0 -P 2 sha256sum`, the
//     baseline, then `commons dataset add TREE`, the caches dropped before
//     each (when run as root), and reports the ratio and the peak resident
//     memory of the CLI (its rusage) and of the daemon (VmHWM);
//  2. changes -change of the files (scattered at random, and again as one
//     run of neighbours), adds each new version with --parent, and reports
//     the manifest bytes the daemon stored new against the first version's;
//  3. with -locates M, waits (at most -wait) until node 1 has announced its
//     keys, then times `locate sha256:X` of M random files, each on a
//     random other node that never saw the dataset, and reports p50/p95.
//
// Every file's content is derived from its number, so the tree is the same
// in every run.
//
//	go run ./testnet/cmd/dataset-scale [-files 100000] [-n 20] [-tree DIR] [-change 0.01] [-locates 50] [-wait 30m]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

const fileSize = 4096

func main() {
	files := flag.Int("files", 100_000, "how many files of 4 KiB")
	n := flag.Int("n", 20, "how many daemons")
	tree := flag.String("tree", "", "where the tree is kept (default /tmp/commons-scale-FILES)")
	change := flag.Float64("change", 0.01, "the share of files a new version changes")
	locates := flag.Int("locates", 50, "how many files to locate from other nodes (0: none)")
	wait := flag.Duration("wait", 30*time.Minute, "how long to wait for node 1's announcements before locating")
	flag.Parse()
	if *tree == "" {
		*tree = fmt.Sprintf("/tmp/commons-scale-%d", *files)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *files, *n, *tree, *change, *locates, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "dataset-scale:", err)
		os.Exit(1)
	}
}

// path is where file i of the tree lives: 1000 files to a directory.
func path(tree string, i int) string {
	return filepath.Join(tree, fmt.Sprintf("d%04d", i/1000), fmt.Sprintf("f%07d.bin", i))
}

// content is file i's bytes in version v: a ChaCha8 stream seeded by both.
func content(i, v int) []byte {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i))
	binary.BigEndian.PutUint64(seed[8:], uint64(v))
	b := make([]byte, fileSize)
	rand.NewChaCha8(seed).Read(b)
	return b
}

// writeTree writes the files whose version differs from want (all of them
// the first time); versions are kept in TREE/.versions, one byte a file,
// outside what dataset add publishes (a dotfile).
func writeTree(tree string, files int, want func(i int) int) error {
	vpath := filepath.Join(tree, ".versions")
	have, err := os.ReadFile(vpath)
	if err != nil || len(have) != files {
		have = bytes.Repeat([]byte{0xff}, files)
	}
	written := 0
	for i := range files {
		v := want(i)
		if int(have[i]) == v {
			continue
		}
		p := path(tree, i)
		if i%1000 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, content(i, v), 0o644); err != nil {
			return err
		}
		have[i] = byte(v)
		written++
	}
	if written > 0 {
		fmt.Fprintf(os.Stderr, "wrote %d files\n", written)
	}
	return os.WriteFile(vpath, have, 0o644)
}

// dropCaches empties the page cache, so that files are read from disk; it
// says whether it could.
func dropCaches() bool {
	exec.Command("sync").Run()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200) == nil
}

type timed struct {
	wall    time.Duration
	maxRSS  int64 // kB, of the process (rusage)
	stdout  []byte
	userSys time.Duration
}

func runTimed(ctx context.Context, name string, args ...string) (timed, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	t := timed{wall: time.Since(t0), stdout: out.Bytes()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.maxRSS = ru.Maxrss
		t.userSys = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		return t, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, errb.Bytes())
	}
	return t, nil
}

type added struct {
	ID       string `json:"id"`
	Files    int    `json:"files"`
	Manifest *struct {
		Chunks    int   `json:"chunks"`
		Bytes     int64 `json:"bytes"`
		NewChunks int   `json:"new_chunks"`
		NewBytes  int64 `json:"new_bytes"`
	} `json:"manifest"`
	Diff *struct {
		Added, Removed, Changed int64
	} `json:"diff"`
}

func run(ctx context.Context, files, n int, tree string, change float64, locates int, wait time.Duration) error {
	fmt.Printf("machine: %s\n", testnet.Machine())
	if err := writeTree(tree, files, func(int) int { return 0 }); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "commons-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	defer testnet.CleanBuild()
	s, err := testnet.Up(ctx, n, testnet.Options{Dir: filepath.Join(work, "swarm"), NoGossip: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer s.Down()
	one := s.Node(1)
	cli := func(nd *testnet.Node, args ...string) []string {
		return append([]string{"--repo", nd.Repo, "--json"}, args...)
	}

	// 1. dataset add against sha256sum, cold caches.
	cold := dropCaches()
	base, err := runTimed(ctx, "sh", "-c", "find "+tree+" -type f -not -name .versions -print0 | xargs -0 -P 2 sha256sum > /dev/null")
	if err != nil {
		return err
	}
	dropCaches()
	t, err := runTimed(ctx, s.Bin, cli(one, "dataset", "add", tree, "--name", "scale", "--license", "CC0-1.0")...)
	if err != nil {
		return err
	}
	var first added
	if err := json.Unmarshal(t.stdout, &first); err != nil {
		return fmt.Errorf("dataset add printed %q: %w", t.stdout, err)
	}
	_, daemonPeak, err := testnet.Memory(one.PID())
	if err != nil {
		return err
	}
	fmt.Printf("dataset add of %d files of 4 KiB (caches dropped: %v): %.1f s; find|xargs -P 2 sha256sum: %.1f s; ratio %.2f (goal ≤ 1)\n",
		files, cold, t.wall.Seconds(), base.wall.Seconds(), t.wall.Seconds()/base.wall.Seconds())
	fmt.Printf("  CLI: peak RSS %.1f MB, CPU %.1f s; daemon: peak RSS %.1f MB (goal < 200 MB each)\n",
		float64(t.maxRSS)/1024, t.userSys.Seconds(), float64(daemonPeak)/1024)
	if first.Manifest != nil {
		fmt.Printf("  manifest: %d chunks, %d bytes (%.1f bytes a file)\n", first.Manifest.Chunks, first.Manifest.Bytes, float64(first.Manifest.Bytes)/float64(files))
	}

	// 2. New versions: change scattered at random, then as one run
	// (none with -change 0).
	k := max(1, int(change*float64(files)))
	if change <= 0 {
		k = 0
	}
	r := rand.New(rand.NewPCG(1, 2))
	scattered := map[int]bool{}
	for len(scattered) < k {
		scattered[r.IntN(files)] = true
	}
	start := r.IntN(files - k + 1)
	versions := []struct {
		name    string
		version int
		changed func(i int) bool
	}{
		{"scattered", 1, func(i int) bool { return scattered[i] }},
		{"one run", 2, func(i int) bool { return i >= start && i < start+k }},
	}
	if k == 0 {
		versions = nil
	}
	for _, v := range versions {
		if err := writeTree(tree, files, func(i int) int {
			if v.changed(i) {
				return v.version
			}
			return 0
		}); err != nil {
			return err
		}
		t, err := runTimed(ctx, s.Bin, cli(one, "dataset", "add", tree, "--name", "scale", "--version", strconv.Itoa(v.version+1),
			"--license", "CC0-1.0", "--parent", first.ID)...)
		if err != nil {
			return err
		}
		var next added
		if err := json.Unmarshal(t.stdout, &next); err != nil {
			return err
		}
		if next.Manifest == nil || first.Manifest == nil || next.Diff == nil {
			return fmt.Errorf("dataset add of a new version printed no manifest or diff: %s", t.stdout)
		}
		fmt.Printf("new version, %d files changed (%s): %.1f s; manifest bytes new to the daemon %d of %d, %.1f%% of the first version's (goal ≤ 5%%); diff +%d -%d ~%d\n",
			k, v.name, t.wall.Seconds(), next.Manifest.NewBytes, next.Manifest.Bytes,
			100*float64(next.Manifest.NewBytes)/float64(first.Manifest.Bytes), next.Diff.Added, next.Diff.Removed, next.Diff.Changed)
	}
	if err := writeTree(tree, files, func(int) int { return 0 }); err != nil {
		return err
	}
	if locates == 0 || n < 2 {
		return nil
	}

	// 3. locate from nodes that never saw the dataset.
	t0 := time.Now()
	deadline := t0.Add(wait)
	for {
		prov, keys, err := announced(ctx, one)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "node 1 announced %.0f keys (last round %.0f)\n", prov, keys)
		if prov >= float64(files) || time.Now().After(deadline) {
			fmt.Printf("announcing: %.0f provides done by node 1 after %.0f s\n", prov, time.Since(t0).Seconds())
			if rss, peak, err := testnet.Memory(one.PID()); err == nil {
				fmt.Printf("  daemon of node 1 once announced: RSS %.1f MB, peak RSS %.1f MB\n", float64(rss)/1024, float64(peak)/1024)
			}
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
		}
	}
	var took []time.Duration
	missed := 0
	for range locates {
		i := r.IntN(files)
		nd := s.Node(2 + r.IntN(n-1))
		want := sha256Hex(content(i, 0))
		t, err := runTimed(ctx, s.Bin, cli(nd, "locate", "sha256:"+want, "--timeout", "10s")...)
		if err != nil {
			return err
		}
		var loc struct {
			Datasets []struct{ Path string } `json:"datasets"`
		}
		if err := json.Unmarshal(t.stdout, &loc); err != nil {
			return err
		}
		if len(loc.Datasets) == 0 {
			missed++
			continue
		}
		took = append(took, t.wall)
	}
	slices.Sort(took)
	fmt.Printf("locate of one file from a node that never saw it (CLI wall time): %s; not found %d of %d\n", testnet.Stats(took, 0.95), missed, locates)
	return nil
}

// announced reads node 1's announce metrics: provides done, and the keys
// of its last round.
func announced(ctx context.Context, nd *testnet.Node) (provided, lastRound float64, err error) {
	c, err := nd.Client()
	if err != nil {
		return 0, 0, err
	}
	body, err := c.Metrics(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "commons_announce_provided_total":
			provided = v
		case "commons_announce_last_round_keys":
			lastRound = v
		}
	}
	if provided == 0 && lastRound == 0 && !strings.Contains(string(body), "commons_announce") {
		return 0, 0, errors.New("the daemon's metrics have no announce counts")
	}
	return provided, lastRound, nil
}

func sha256Hex(b []byte) string {
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}
