package node

import (
	"bufio"
	"context"
	"fmt"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/apiserver"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The peak resident memory of a real daemon while a bulk body is posted to
// it, streamed from a generator (never held in memory), one daemon per body:
// garbage lines of every kind (short, long, lines over the line limit), and
// valid claims (a set of distinct signed claims repeated: the repeats are
// merges). The body sizes are COMMONS_BULK_GARBAGE_MB and
// COMMONS_BULK_VALID_MB, default 1024 (the body limit) each:
//
//	COMMONS_LONG=1 go test -run TestMeasureBulkRSS -v -timeout 60m ./node/
func TestMeasureBulkRSS(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	bin := filepath.Join(t.TempDir(), "commons")
	build := exec.Command("go", "build", "-o", bin, "../cmd/commons")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	mb := func(name string) int64 {
		if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
			return v
		}
		return 1024
	}
	valid := claimEnvelopes(t, 4096)
	t.Run("garbage", func(t *testing.T) {
		measureBulkRSS(t, bin, mb("COMMONS_BULK_GARBAGE_MB")<<20, garbageLines())
	})
	t.Run("valid claims", func(t *testing.T) {
		measureBulkRSS(t, bin, mb("COMMONS_BULK_VALID_MB")<<20, func(i int) []byte { return valid[i%len(valid)] })
	})
}

// garbageLines returns line i of a garbage body: short lines, lines that
// look like envelopes, long lines, and now and then one over apiserver.MaxBulkLine.
func garbageLines() func(i int) []byte {
	long := []byte(`{"payloadType":"` + strings.Repeat("A", 64<<10) + `"}`)
	over := []byte(`{"payloadType":"` + strings.Repeat("B", apiserver.MaxBulkLine) + `"}`)
	return func(i int) []byte {
		switch {
		case i%200_000 == 199_999:
			return over
		case i%1000 == 999:
			return long
		case i%3 == 0:
			return fmt.Appendf(nil, "x%d", i)
		case i%3 == 1:
			return fmt.Appendf(nil, `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"did:key:z%d","sig":"AA=="}]}`, i)
		default:
			return fmt.Appendf(nil, "\x1b]0;garbage %d\x07 %s", i, strings.Repeat("\xff", 100))
		}
	}
}

// lineBody streams lines line(0), line(1), ... as long as the next one
// fits in size bytes.
type lineBody struct {
	line    func(i int) []byte
	i       int
	left    int64
	pending []byte
}

func (b *lineBody) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		next := append(b.line(b.i), '\n')
		if int64(len(next)) > b.left {
			return 0, io.EOF
		}
		b.pending = next
		b.i++
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	b.left -= int64(n)
	return n, nil
}

func measureBulkRSS(t *testing.T, bin string, size int64, line func(i int) []byte) {
	repo := filepath.Join(t.TempDir(), "repo")
	daemon := exec.Command(bin, "daemon", "--repo", repo, "--api", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0")
	logFile, err := os.Create(filepath.Join(t.TempDir(), "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	daemon.Stderr = logFile
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	var c *api.Client
	for range 300 {
		if c, err = NewClient(repo); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the daemon did not start: %v", err)
	}
	before := procStatus(t, daemon.Process.Pid)
	body := &lineBody{line: line, left: size}
	start := time.Now()
	results := 0
	sum, err := c.PutObjects(context.Background(), body, func(api.BulkResult) error { results++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	after := procStatus(t, daemon.Process.Pid)
	t.Logf("%d MiB body, %d lines in %s (%.0f lines/s): %d result lines, summary %+v", size>>20, body.i, took.Round(time.Second), float64(body.i)/took.Seconds(), results, sum)
	t.Logf("daemon before: VmRSS %d MB; after: VmRSS %d MB, peak VmHWM %d MB", before["VmRSS"]>>10, after["VmRSS"]>>10, after["VmHWM"]>>10)
	if sum.Error != "" || sum.Lines != body.i {
		t.Errorf("the upload stopped: %d lines of %d: %s", sum.Lines, body.i, sum.Error)
	}
	if peak := after["VmHWM"] << 10; peak >= 150e6 {
		t.Errorf("peak resident memory %d MB, want under 150 MB", peak/1e6)
	}
}

// procStatus reads the kB fields of /proc/PID/status.
func procStatus(t *testing.T, pid int) map[string]int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if f := strings.Fields(v); ok && len(f) == 2 && f[1] == "kB" {
			out[k], _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	return out
}
