package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/commons-p2p/commons/testnet/sim"
)

// govFigures are what the gov-latency command printed: from the vote
// until the last node reports the new state hash (median, p99 over the
// runs), until each node does (over every arrival), the vote calls, and
// one poll's cost.
type govFigures struct {
	lastMedian, lastP99, eachMedian, eachP99 time.Duration
	votes                                    []time.Duration
	floor                                    time.Duration
}

var (
	govLast  = regexp.MustCompile(`until all \d+ nodes report the new state_hash: n \d+, min \d+ ms, median (\d+) ms, p99 (\d+) ms`)
	govEach  = regexp.MustCompile(`until each node reports it \(\d+ arrivals\): n \d+, min \d+ ms, median (\d+) ms, p99 (\d+) ms`)
	govFloor = regexp.MustCompile(`floor \(one GET /v1/gov/state\): median ([\d.]+) ms`)
	govVote  = regexp.MustCompile(`\(the vote call (\d+) ms\)`)
)

// runGovLatency runs the gov-latency command and returns its figures.
func runGovLatency(n, runs int, poll time.Duration) (govFigures, error) {
	var g govFigures
	cmd := exec.Command("go", "run", "./testnet/cmd/gov-latency", "-n", strconv.Itoa(n), "-runs", strconv.Itoa(runs), "-poll", poll.String())
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	out, err := cmd.Output()
	if err != nil {
		return g, fmt.Errorf("gov-latency: %w", err)
	}
	os.Stdout.Write(out)
	last, each, floor := govLast.FindSubmatch(out), govEach.FindSubmatch(out), govFloor.FindSubmatch(out)
	if last == nil || each == nil || floor == nil {
		return g, fmt.Errorf("gov-latency: no figures in its output")
	}
	g.lastMedian, g.lastP99 = msOf(last[1]), msOf(last[2])
	g.eachMedian, g.eachP99 = msOf(each[1]), msOf(each[2])
	g.floor = msOf(floor[1])
	for _, v := range govVote.FindAllSubmatch(stderr.Bytes(), -1) {
		g.votes = append(g.votes, msOf(v[1]))
	}
	if len(g.votes) == 0 {
		return g, fmt.Errorf("gov-latency: no vote call timed in its log")
	}
	return g, nil
}

// calibrateGossip runs the model's gossip as the gov-latency command
// sees it and compares the two. One run of the model: node 2's vote call
// (drawn from the command's own, timed run by run) publishes the update
// when it returns; the model's GossipSub carries it to every node (mesh,
// IHAVE/IWANT, each node's validation on the machine's shared cores);
// each node then stores it (a synced write drawn from those timed) and
// is seen to hold it at its next poll (every poll plus one poll's cost,
// at a phase of its own), one poll's cost later. The publisher is seen at
// its first poll after its call returns. The command's polls start with
// the vote, all at once, rather than at a random phase: the same when
// arrivals spread over several polls, as at 20 nodes, not when they fall
// within the first (a few nodes on a quiet machine).
func calibrateGossip(m *modelFlags, n int, c costs, real govFigures, poll time.Duration, load [2]float64) error {
	fmt.Printf("\nvote → every node (the gov-latency command, gossip on)\n")
	if err := countRequests(m, n, &c); err != nil {
		return err
	}
	fmt.Printf("costs: one-hop lookup on loopback (this process to each daemon) %s; %s; a gossip hop between two hosts of this process %s, CPU time %.3f ms; a synced write %s; vote call %s; one poll %.1f ms; %d cores shared by every node; load average %.2f before, %.2f after\n",
		sim.Summary(c.hops), cpuLine(c, m.cores), sim.Summary(c.gossipHops), ms(c.gossipCPU), sim.Summary(c.syncs), sim.Summary(real.votes), ms(real.floor), m.cores, load[0], load[1])
	fmt.Printf("real (gov-latency -n %d): the last node median %.0f ms, p99 %.0f ms; each node median %.0f ms, p99 %.0f ms\n",
		n, ms(real.lastMedian), ms(real.lastP99), ms(real.eachMedian), ms(real.eachP99))
	for _, a := range accountings {
		if a.hopCPU == "lookups" && c.lookupN == 0 {
			continue
		}
		p, err := a.on(m).params(n, c)
		if err != nil {
			return err
		}
		net, err := sim.Build(p)
		if err != nil {
			return err
		}
		var last, each []time.Duration
		missed := 0
		for i := range m.runs {
			g := net.Gossip(i, 10*time.Second)
			rng := rand.New(rand.NewPCG(m.seed, uint64(i)))
			seen := func() time.Duration {
				return time.Duration(rng.Int64N(int64(poll+real.floor))) + real.floor
			}
			vote := real.votes[rng.IntN(len(real.votes))]
			arrivals := []time.Duration{vote + seen()}
			for _, d := range g.Delivered {
				arrivals = append(arrivals, vote+d+c.syncs[rng.IntN(len(c.syncs))]+seen())
			}
			if len(g.Delivered) < g.Online {
				missed++
				continue
			}
			each = append(each, arrivals...)
			last = append(last, slices.Max(arrivals))
		}
		slices.Sort(last)
		slices.Sort(each)
		lm, lp, em, ep := sim.Rank(last, 0.5), sim.Rank(last, 0.99), sim.Rank(each, 0.5), sim.Rank(each, 0.99)
		fmt.Printf("  %-6s (validation %.3f ms of CPU, %.2f threads of other work): model, the last node median %.0f, p99 %.0f ms; each node median %.0f, p99 %.0f ms; %d of %d messages missed a node; model/real: last node median %.2f, p99 %.2f; each node median %.2f, p99 %.2f\n",
			a.name, ms(p.Validate), p.Background, ms(lm), ms(lp), ms(em), ms(ep), missed, m.runs,
			ratio(lm, real.lastMedian), ratio(lp, real.lastP99), ratio(em, real.eachMedian), ratio(ep, real.eachP99))
	}
	return nil
}

func ratio(model, real time.Duration) float64 {
	if real == 0 {
		return 0
	}
	return float64(model) / float64(real)
}
