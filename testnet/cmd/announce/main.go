// Command announce measures how long a daemon takes to announce many keys
// on the DHT of a swarm of real daemons on loopback, and what it costs the
// daemon. It brings up -n daemons (gossip off, so that each key is
// announced by its publisher alone), and for each kind of announcer named
// in -announcers, in turn: sets it in the config of a node of its own
// (node 1, node 2, …) and restarts that node, writes -keys small files of
// distinct contents, publishes them as one dataset with `commons dataset
// add` (a manifest: one file key per entry, SPEC.md §7.2), and waits until
// the node's metrics say that every key was provided and none is queued.
// It samples the daemon's CPU time (utime+stime of /proc/PID/stat) and
// memory (VmRSS, VmHWM) and prints, for each announcer: the time to
// publish, the time from the start of the publication to the last key
// provided, the keys provided per second, the daemon's average cores over
// the announcing, and its memory.
//
//	go run ./testnet/cmd/announce [-n 20] [-keys 10000] [-announcers each,sweep] [-timeout 60m]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

func main() {
	n := flag.Int("n", 20, "daemons in the swarm")
	keys := flag.Int("keys", 10000, "files published, each a key to announce")
	kinds := flag.String("announcers", "each,sweep", "the announcers measured, in turn, each on a node of its own")
	timeout := flag.Duration("timeout", 60*time.Minute, "how long one announcer may take")
	keep := flag.Bool("keep", false, "keep the swarm's directory")
	flag.Parse()
	if err := run(*n, *keys, strings.Split(*kinds, ","), *timeout, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "announce:", err)
		os.Exit(1)
	}
}

func run(n, keys int, kinds []string, timeout time.Duration, keep bool) error {
	if len(kinds) > n {
		return fmt.Errorf("%d announcers need %d nodes, not %d", len(kinds), len(kinds), n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer testnet.CleanBuild()
	work, err := os.MkdirTemp("", "commons-announce-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Println("swarm in", work)
	}
	t0 := time.Now()
	s, err := testnet.Up(ctx, n, testnet.Options{Dir: filepath.Join(work, "swarm"), NoGossip: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer s.Down()
	fmt.Printf("%d daemons up in %s\n", n, time.Since(t0).Round(time.Second))
	var lines []string
	for i, kind := range kinds {
		nd := s.Node(i + 1)
		r, err := measure(ctx, nd, kind, keys, filepath.Join(work, "data-"+kind), timeout)
		if err != nil {
			return fmt.Errorf("announcer %s: %w", kind, err)
		}
		fmt.Println(r)
		lines = append(lines, r)
	}
	fmt.Printf("command: go run ./testnet/cmd/announce -n %d -keys %d -announcers %s\n", n, keys, strings.Join(kinds, ","))
	fmt.Println(testnet.Machine())
	return nil
}

func measure(ctx context.Context, nd *testnet.Node, kind string, keys int, data string, timeout time.Duration) (string, error) {
	if err := setAnnouncer(nd.Repo, kind); err != nil {
		return "", err
	}
	if err := nd.Restart(ctx); err != nil {
		return "", err
	}
	if err := nd.WaitPeers(ctx, time.Minute); err != nil {
		return "", err
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", err
	}
	for i := range keys {
		dir := filepath.Join(data, fmt.Sprintf("d%03d", i%1000))
		if i < 1000 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), fmt.Appendf(nil, "%s %d\n", kind, i), 0o644); err != nil {
			return "", err
		}
	}
	// Let the start's own announcements (the store's few keys) settle.
	m0, err := waitIdle(ctx, nd, time.Minute)
	if err != nil {
		return "", err
	}
	pid := nd.PID()
	cpu0, err := cpuTicks(pid)
	if err != nil {
		return "", err
	}
	start := time.Now()
	if r := nd.CLI(ctx, "dataset", "add", data, "--name", "announce "+kind, "--license", "CC0-1.0", "--json"); r.Code != 0 {
		return "", fmt.Errorf("dataset add: %s", r)
	}
	published := time.Since(start)
	var m metricsRead
	deadline := time.Now().Add(timeout)
	last := time.Now()
	for {
		if m, err = readMetrics(nd); err != nil {
			return "", err
		}
		if m.provided-m0.provided >= float64(keys) && m.queued == 0 && m.retrying == 0 {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("after %s: %.0f of %d keys provided, %.0f queued, %.0f failed", timeout, m.provided-m0.provided, keys, m.queued, m.failed-m0.failed)
		}
		if time.Since(last) > 30*time.Second {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "%s: %s, %.0f keys provided, %.0f queued, %.0f failed\n", kind, time.Since(start).Round(time.Second), m.provided-m0.provided, m.queued, m.failed-m0.failed)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	wall := time.Since(start)
	cpu1, err := cpuTicks(pid)
	if err != nil {
		return "", err
	}
	rss, peak, err := testnet.Memory(pid)
	if err != nil {
		return "", err
	}
	cores := float64(cpu1-cpu0) / clockTicks / wall.Seconds()
	return fmt.Sprintf("announcer %s: %d files published in %s; %.0f keys provided (%.0f failed) %s after the start of the publication, %.0f keys/s; daemon %.2f cores on average, VmRSS %.0f MB, VmHWM %.0f MB",
		kind, keys, published.Round(100*time.Millisecond), m.provided-m0.provided, m.failed-m0.failed, wall.Round(100*time.Millisecond),
		(m.provided-m0.provided)/wall.Seconds(), cores, float64(rss)/1024, float64(peak)/1024), nil
}

// waitIdle waits until the node's announcer has nothing queued and its
// count of provided keys stays the same for 5 s, and returns its metrics.
func waitIdle(ctx context.Context, nd *testnet.Node, limit time.Duration) (metricsRead, error) {
	deadline := time.Now().Add(limit)
	prev, err := readMetrics(nd)
	for err == nil {
		select {
		case <-ctx.Done():
			return prev, ctx.Err()
		case <-time.After(5 * time.Second):
		}
		var m metricsRead
		if m, err = readMetrics(nd); err != nil {
			break
		}
		if (m.provided == prev.provided && m.queued == 0) || time.Now().After(deadline) {
			return m, nil
		}
		prev = m
	}
	return prev, err
}

type metricsRead struct{ provided, failed, queued, retrying float64 }

// readMetrics reads the announce counts of the node's /metrics.
func readMetrics(nd *testnet.Node) (metricsRead, error) {
	req, err := http.NewRequest("GET", "http://127.0.0.1:"+strconv.Itoa(nd.APIPort)+"/metrics", nil)
	if err != nil {
		return metricsRead{}, err
	}
	if tok, err := os.ReadFile(filepath.Join(nd.Repo, "api.token")); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return metricsRead{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return metricsRead{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var m metricsRead
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch name {
		case "commons_announce_provided_total":
			m.provided, found = v, found+1
		case "commons_announce_failed_total":
			m.failed = v
		case "commons_announce_queued":
			m.queued = v
		case "commons_announce_retrying":
			m.retrying = v
		}
	}
	if found == 0 {
		return m, fmt.Errorf("node %d's metrics have no commons_announce_provided_total", nd.K)
	}
	return m, sc.Err()
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times:
// 100 on Linux on every architecture Go runs on.
const clockTicks = 100

// cpuTicks is the CPU time of process pid, user and system, in clock
// ticks (fields 14 and 15 of /proc/PID/stat).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return u + s, nil
}

// setAnnouncer writes "announcer" into a repo's config.
func setAnnouncer(repo, kind string) error {
	path := filepath.Join(repo, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c["announcer"] = kind
	out, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o600)
}
