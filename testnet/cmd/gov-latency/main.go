// Command gov-latency measures how long a passing vote takes to reach
// every node of a swarm: it brings up N nodes (default 20) whose stewards
// are nodes 1-3 (threshold 2), then M times (default 20) node 1 proposes a
// set-param and, once every node holds the proposal, the clock starts and
// node 2 votes yes, which passes it; every daemon's GET /v1/gov/state is
// polled, all at once (each every -poll, default 10ms), until each
// reports the state hash the vote produced. It speaks to the daemons'
// HTTP API directly, so no CLI start-up is in the figures. It prints the
// median and p99 over the runs (of the last node's time), the same over
// every node's arrival, and what one poll costs.
//
//	go run ./testnet/cmd/gov-latency [-n N] [-runs M] [-poll 10ms] [-limit 30s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/testnet"
)

func main() {
	n := flag.Int("n", 20, "how many nodes (at least 3: three stewards)")
	runs := flag.Int("runs", 20, "how many proposals to pass")
	poll := flag.Duration("poll", 10*time.Millisecond, "how often each node's state is asked for")
	limit := flag.Duration("limit", 30*time.Second, "how long a run may take before it counts as missed")
	flag.Parse()
	if *n < 3 {
		fmt.Fprintln(os.Stderr, "gov-latency: -n must be at least 3 (three stewards)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out, err := measure(ctx, *n, *runs, *poll, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gov-latency:", err)
		os.Exit(1)
	}
	fmt.Printf("command: go run ./testnet/cmd/gov-latency -n %d -runs %d -poll %s -limit %s\n", *n, *runs, *poll, *limit)
	fmt.Println(testnet.Machine())
	fmt.Print(out)
}

func measure(ctx context.Context, n, runs int, poll, limit time.Duration) (string, error) {
	defer testnet.CleanBuild()
	work, err := os.MkdirTemp("", "commons-gov-latency-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	s, err := testnet.Up(ctx, n, testnet.Options{Dir: filepath.Join(work, "swarm"), Stewards: 3, Log: os.Stderr})
	if err != nil {
		return "", err
	}
	defer s.Down()
	clients := make([]*api.Client, n)
	for i, nd := range s.Nodes {
		if clients[i], err = nd.Client(); err != nil {
			return "", err
		}
	}
	return run(clients, runs, poll, limit)
}

func run(clients []*api.Client, runs int, poll, limit time.Duration) (string, error) {
	var all, last []time.Duration // every node's arrival; the last node's, per run
	missed := 0
	tag := time.Now().UnixNano()
	for r := 1; r <= runs; r++ {
		ctx := context.Background()
		p, err := clients[0].GovPropose(ctx, api.GovProposeRequest{Action: "set-param", Name: fmt.Sprintf("gov-latency-%d-%d", tag, r), Value: "1"})
		if err != nil {
			return "", fmt.Errorf("run %d: propose on node 1: %w", r, err)
		}
		if _, err := reach(clients, p.StateHash, poll, limit, time.Now()); err != nil {
			return "", fmt.Errorf("run %d: proposal %s: %w", r, p.ID, err)
		}
		t0 := time.Now()
		v, err := clients[1].GovVote(ctx, api.GovVoteRequest{Proposal: p.ID, Vote: "yes"})
		tv := time.Since(t0)
		if err != nil {
			return "", fmt.Errorf("run %d: vote on node 2: %w", r, err)
		}
		if v.Status != "passed" {
			return "", fmt.Errorf("run %d: vote on node 2: proposal %s is %s, not passed", r, p.ID, v.Status)
		}
		times, err := reach(clients, v.StateHash, poll, limit, t0)
		if err != nil {
			missed++
			fmt.Fprintf(os.Stderr, "gov-latency: run %d: %v\n", r, err)
			continue
		}
		all = append(all, times...)
		l := slices.Max(times)
		last = append(last, l)
		fmt.Fprintf(os.Stderr, "gov-latency: run %d: vote %s: every node in %s (the vote call %s)\n", r, v.ID, testnet.Millis(l), testnet.Millis(tv))
	}
	return fmt.Sprintf("from the vote until all %d nodes report the new state_hash: %s; missed (over the limit): %d of %d\n", len(clients), testnet.Stats(last, 0.99), missed, runs) +
		fmt.Sprintf("from the vote until each node reports it (%d arrivals): %s\n", len(all), testnet.Stats(all, 0.99)) +
		fmt.Sprintf("polled every %s per node, all nodes at once; floor (one GET /v1/gov/state): %s\n", poll, floor(clients[0])), nil
}

// reach polls every node at once until each reports the state hash want,
// and returns how long after t0 each did; an error when one did not within
// limit.
func reach(clients []*api.Client, want string, poll, limit time.Duration, t0 time.Time) ([]time.Duration, error) {
	ctx, cancel := context.WithDeadline(context.Background(), t0.Add(limit))
	defer cancel()
	times := make([]time.Duration, len(clients))
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for {
				got, err := stateHash(ctx, c)
				if err == nil && got == want {
					times[i] = time.Since(t0)
					return
				}
				select {
				case <-ctx.Done():
					errs[i] = fmt.Errorf("node %d: state_hash %s, not %s, after %s (%v)", i+1, got, want, limit, err)
					return
				case <-time.After(poll):
				}
			}
		})
	}
	wg.Wait()
	return times, errors.Join(errs...)
}

func stateHash(ctx context.Context, c *api.Client) (string, error) {
	st, err := c.GovState(ctx)
	if err != nil {
		return "", err
	}
	return st.StateHash, nil
}

// floor is the median of ten GET /v1/gov/state: what one poll costs.
func floor(c *api.Client) string {
	var d []time.Duration
	for range 10 {
		t0 := time.Now()
		if _, err := stateHash(context.Background(), c); err != nil {
			return err.Error()
		}
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	return fmt.Sprintf("median %.1f ms", float64(d[len(d)/2].Microseconds())/1000)
}
