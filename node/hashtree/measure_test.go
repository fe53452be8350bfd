package hashtree

// The goal of `dataset add` for a national archive: hashing 10^6 files of
// 4 KiB, cold, in no more wall time than `find | xargs -P 2 sha256sum` on
// the same tree in the same run, in a process of less than 200 MB. Run
//
//	COMMONS_LONG=1 go test -run TestMeasureStream -v -timeout 60m ./node/hashtree/
//
// with COMMONS_HASH_FILES=1000000 for the goal (about 4.3 GB in the
// temporary directory; COMMONS_HASH_DIR=DIR keeps the tree there across
// runs; COMMONS_HASH_WORKERS=N sets Stream's workers). As root, the page cache is dropped before each side, so that
// both read from the disk.

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

const measureChildEnv = "COMMONS_HASH_CHILD"

func TestMeasureStream(t *testing.T) {
	if os.Getenv("COMMONS_LONG") != "1" {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	n := 100_000
	if s := os.Getenv("COMMONS_HASH_FILES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("COMMONS_HASH_FILES=%q: want a number of files", s)
		}
	}
	dir := os.Getenv("COMMONS_HASH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, fmt.Sprintf("tree-%d", n))
	start := time.Now()
	if err := measureTree(dir, n); err != nil {
		t.Fatal(err)
	}
	t.Logf("tree of %d files of 4 KiB in %s, ready in %.1f s", n, dir, time.Since(start).Seconds())

	baseline := func() (time.Duration, int64) {
		cmd := exec.Command("sh", "-c", `find "$0" -type f -print0 | xargs -0 -P 2 sha256sum >/dev/null`, dir)
		cmd.Stderr = os.Stderr
		return measureRun(t, cmd)
	}
	streamed := func() (time.Duration, int64) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMeasureStreamChild$", "-test.v")
		cmd.Env = append(os.Environ(), measureChildEnv+"="+dir)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return measureRun(t, cmd)
	}
	// Each side twice, in turns, each from a cold cache.
	for round := range 2 {
		dropCaches(t)
		find, _ := baseline()
		dropCaches(t)
		took, rss := streamed()
		t.Logf("round %d: Stream + manifest.Builder %.2f s, peak RSS %.1f MB; find | xargs -P 2 sha256sum %.2f s; ratio %.2f (goal ≤ 1), %.0f files/s",
			round+1, took.Seconds(), float64(rss)/1e6, find.Seconds(), took.Seconds()/find.Seconds(), float64(n)/took.Seconds())
	}
}

// TestMeasureStreamChild is the process TestMeasureStream times: Stream of
// the tree, each file added to a manifest whose chunks are dropped.
func TestMeasureStreamChild(t *testing.T) {
	dir := os.Getenv(measureChildEnv)
	if dir == "" {
		t.Skip("run by TestMeasureStream")
	}
	var chunks, chunkBytes int64
	b := manifest.NewBuilder(func(id manifest.ChunkID, chunk []byte) error {
		chunks++
		chunkBytes += int64(len(chunk))
		return nil
	})
	var last Progress
	var walked time.Duration
	start := time.Now()
	workers, _ := strconv.Atoi(os.Getenv("COMMONS_HASH_WORKERS"))
	sum, err := Stream(context.Background(), dir, TreeOptions{Workers: workers}, func(p Progress) {
		if p.Listed && !last.Listed {
			walked = time.Since(start)
		}
		last = p
	}, func(f File) error {
		d, err := protocol.ParseDigest(f.SHA256)
		if err != nil {
			return err
		}
		return b.Add(manifest.Entry{Path: f.Name, Size: f.Size, Digest: d})
	})
	if err != nil {
		t.Fatal(err)
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d bytes in %.2f s, the walk %.2f s of it; manifest %s: %d chunks, %d bytes; last progress %+v",
		sum.Files, sum.Bytes, time.Since(start).Seconds(), walked.Seconds(), root.ID, chunks, chunkBytes, last)
}

// measureRun runs cmd and returns its wall time and the peak resident
// memory of its largest process.
func measureRun(t *testing.T, cmd *exec.Cmd) (time.Duration, int64) {
	t.Helper()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	took := time.Since(start)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		return took, 0
	}
	return took, ru.Maxrss * 1024 // kilobytes on Linux
}

// dropCaches empties the page cache, as root; elsewhere it says it could
// not, and the figures are of a warm cache.
func dropCaches(t *testing.T) {
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200); err != nil {
		t.Logf("page cache not dropped (%v): the files are read warm", err)
	}
}

// measureTree writes n files of 4 KiB of random bytes under dir, a
// thousand to a directory, unless a tree of n files is there already.
func measureTree(dir string, n int) error {
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	buf := make([]byte, 4096)
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%04d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%07d", i)), buf, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(done, nil, 0o644)
}
