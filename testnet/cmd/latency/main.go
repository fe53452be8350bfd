// Command latency measures how long a new dataset takes to become
// findable across a swarm: it brings up N nodes (default 20), then M
// times (default 20) runs `dataset add` of one new small file on a random
// node and times, from the moment add returns, until `attribution ID` on
// another random node names the publisher (polled every 100 ms, each poll
// a network query bounded by --timeout 5s). It prints min, median, p95 and
// max in milliseconds. Mode gossip is the default daemon (announce gossip
// and the DHT); mode dht sets "gossip": false in every config, so only the
// DHT path is measured; each mode gets a swarm of its own. The floor
// printed with each mode is what one CLI call costs when the answer is in
// the local index. With -local (mode gossip only) the polls are
// `attribution --local`: no query goes to the network, so the time is how
// long the announcement takes to arrive by gossip.
//
//	go run ./testnet/cmd/latency [-n N] [-runs M] [-mode gossip|dht|both] [-limit 30s] [-local]
package main

import (
	"context"
	crand "crypto/rand"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/testnet"
)

func main() {
	n := flag.Int("n", 20, "how many nodes")
	runs := flag.Int("runs", 20, "how many datasets to time")
	mode := flag.String("mode", "both", "gossip, dht or both")
	limit := flag.Duration("limit", 30*time.Second, "how long a run may take before it counts as not found")
	local := flag.Bool("local", false, "poll with attribution --local (mode gossip only)")
	flag.Parse()
	modes := map[string][]string{"gossip": {"gossip"}, "dht": {"dht"}, "both": {"gossip", "dht"}}[*mode]
	switch {
	case *n < 2:
		fail(2, "-n must be at least 2")
	case modes == nil:
		fail(2, "-mode gossip, dht or both")
	case *local && *mode != "gossip":
		fail(2, "-local measures gossip alone: give -mode gossip")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer testnet.CleanBuild()
	var results []string
	for _, m := range modes {
		line, err := measure(ctx, m, *n, *runs, *limit, *local)
		if err != nil {
			fail(1, err.Error())
		}
		results = append(results, line)
	}
	cmd := fmt.Sprintf("go run ./testnet/cmd/latency -n %d -runs %d -mode %s -limit %s", *n, *runs, *mode, *limit)
	if *local {
		cmd += " -local"
	}
	fmt.Println("command:", cmd)
	fmt.Println(testnet.Machine())
	fmt.Println(strings.Join(results, "\n"))
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "latency:", msg)
	os.Exit(code)
}

// measure brings up a swarm for mode m and returns one line of figures.
func measure(ctx context.Context, m string, n, runs int, limit time.Duration, local bool) (string, error) {
	work, err := os.MkdirTemp("", "commons-latency-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	s, err := testnet.Up(ctx, n, testnet.Options{Dir: filepath.Join(work, "swarm"), NoGossip: m == "dht", Log: os.Stderr})
	if err != nil {
		return "", err
	}
	defer s.Down()
	poll := []string{"--timeout", "5s"}
	if local {
		poll = []string{"--local"}
	}
	var samples []time.Duration
	missed := 0
	var q *testnet.Node
	var last api.Published
	for r := 1; r <= runs; r++ {
		p := s.Node(rand.IntN(n) + 1)
		q = s.Node(rand.IntN(n-1) + 1)
		if q.K >= p.K {
			q = s.Node(q.K + 1)
		}
		dir := filepath.Join(work, fmt.Sprintf("data-%s-%d", m, r))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(fmt.Sprintf("%s %d %s\n", m, r, crand.Text())), 0o644); err != nil {
			return "", err
		}
		var pub api.Published
		if err := p.CLI(ctx, "dataset", "add", dir, "--name", fmt.Sprintf("latency %s %d", m, r), "--license", "CC0-1.0", "--json").JSON(&pub); err != nil {
			return "", fmt.Errorf("dataset add on node %d: %w", p.K, err)
		}
		last = pub
		t0 := time.Now()
		found := false
		for time.Since(t0) < limit {
			var a api.Attribution
			args := append([]string{"attribution", pub.ID.String(), "--json"}, poll...)
			if q.CLI(ctx, args...).JSON(&a) == nil && a.Publisher == pub.Signer {
				samples = append(samples, time.Since(t0))
				found = true
				break
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if found {
			fmt.Fprintf(os.Stderr, "latency: %s run %d: node %d -> node %d: %s\n", m, r, p.K, q.K, testnet.Millis(samples[len(samples)-1]))
		} else {
			missed++
			fmt.Fprintf(os.Stderr, "latency: %s run %d: node %d -> node %d: not found within %s\n", m, r, p.K, q.K, limit)
		}
	}
	// The floor of the method: one CLI call answered from the local index.
	var floor []time.Duration
	for range 10 {
		t0 := time.Now()
		q.CLI(ctx, "attribution", last.ID.String(), "--json", "--local")
		floor = append(floor, time.Since(t0))
	}
	how := "gossip and DHT"
	if m == "dht" {
		how = "gossip off: DHT only"
	}
	return fmt.Sprintf("mode %s (%d nodes, %s, polled with attribution %s): %s; not found within %s: %d of %d; floor (attribution --local, 10 calls): median %s",
		m, n, how, strings.Join(poll, " "), testnet.Stats(samples, 0.95), limit, missed, runs, floorMedian(floor)), nil
}

func floorMedian(d []time.Duration) string {
	slices.Sort(d)
	return testnet.Millis(testnet.Rank(d, 0.5))
}
