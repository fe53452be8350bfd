// Command govlatency times how long a passing vote takes to reach every
// node of a swarm: testnet/gov-latency runs it on a swarm it brought up.
// Each run, the first repo's daemon proposes a set-param; once every node
// holds the proposal, the clock starts, the second repo's daemon votes yes
// (which passes it at threshold 2), and every daemon's GET /v1/gov/state is
// polled, all at once, until each reports the state hash the vote
// produced. It speaks to the daemons' HTTP API directly, so no CLI start-up
// is in the figures. It never changes anything but the governance of the
// swarm it is given.
//
//	govlatency [-runs M] [-poll 10ms] [-limit 30s] REPO_DIR...
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node"
)

func main() {
	runs := flag.Int("runs", 20, "how many proposals to pass")
	poll := flag.Duration("poll", 10*time.Millisecond, "how often each node's state is asked for")
	limit := flag.Duration("limit", 30*time.Second, "how long a run may take before it counts as missed")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: govlatency [-runs M] [-poll D] [-limit D] REPO_DIR... (the first proposes, the second votes)")
		os.Exit(2)
	}
	if err := run(flag.Args(), *runs, *poll, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "govlatency:", err)
		os.Exit(1)
	}
}

func run(repos []string, runs int, poll, limit time.Duration) error {
	clients := make([]*node.Client, len(repos))
	for i, r := range repos {
		c, err := node.NewClient(r)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	var all, last []time.Duration // every node's arrival; the last node's, per run
	missed := 0
	tag := time.Now().UnixNano()
	for r := 1; r <= runs; r++ {
		ctx := context.Background()
		p, err := clients[0].GovPropose(ctx, node.GovProposeRequest{Action: "set-param", Name: fmt.Sprintf("gov-latency-%d-%d", tag, r), Value: "1"})
		if err != nil {
			return fmt.Errorf("run %d: propose on node 1: %w", r, err)
		}
		if _, err := reach(clients, p.StateHash, poll, limit, time.Now()); err != nil {
			return fmt.Errorf("run %d: proposal %s: %w", r, p.ID, err)
		}
		t0 := time.Now()
		v, err := clients[1].GovVote(ctx, node.GovVoteRequest{Proposal: p.ID.String(), Vote: "yes"})
		tv := time.Since(t0)
		if err != nil {
			return fmt.Errorf("run %d: vote on node 2: %w", r, err)
		}
		if v.Status != "passed" {
			return fmt.Errorf("run %d: vote on node 2: proposal %s is %s, not passed", r, p.ID, v.Status)
		}
		times, err := reach(clients, v.StateHash, poll, limit, t0)
		if err != nil {
			missed++
			fmt.Fprintf(os.Stderr, "run %d: %v\n", r, err)
			continue
		}
		all = append(all, times...)
		l := slices.Max(times)
		last = append(last, l)
		fmt.Fprintf(os.Stderr, "run %d: vote %s: every node in %s (the vote call %s)\n", r, v.ID, ms(l), ms(tv))
	}
	fmt.Printf("from the vote until all %d nodes report the new state_hash: %s; missed (over the limit): %d of %d\n", len(repos), stats(last), missed, runs)
	fmt.Printf("from the vote until each node reports it (%d arrivals): %s\n", len(all), stats(all))
	fmt.Printf("polled every %s per node, all nodes at once; floor (one GET /v1/gov/state): %s\n", poll, floor(clients[0]))
	return nil
}

// reach polls every node at once until each reports the state hash want,
// and returns how long after t0 each did; an error when one did not within
// limit.
func reach(clients []*node.Client, want string, poll, limit time.Duration, t0 time.Time) ([]time.Duration, error) {
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

func stateHash(ctx context.Context, c *node.Client) (string, error) {
	raw, err := c.GovState(ctx)
	if err != nil {
		return "", err
	}
	var s struct {
		StateHash string `json:"state_hash"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s.StateHash, nil
}

// floor is the median of ten GET /v1/gov/state: what one poll costs.
func floor(c *node.Client) string {
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

// stats: min, median, p99 and max, in milliseconds, nearest rank.
func stats(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.999999) - 1
		return d[max(i, 0)]
	}
	return fmt.Sprintf("n %d, min %s, median %s, p99 %s, max %s", len(d), ms(d[0]), ms(rank(0.5)), ms(rank(0.99)), ms(d[len(d)-1]))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
