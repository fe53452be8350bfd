package node

import (
	"fmt"
	"github.com/commons-p2p/commons/node/api"
	"os"
	"slices"
	"testing"
	"time"
)

// The measurements of governance over a swarm of 20 nodes in one process,
// with a daemon's gossip heartbeat (1 s) and heads interval (10 s):
//
//	COMMONS_LONG=1 go test -run 'TestGovMeasure' -v -timeout 10m ./node/

func longTests() bool { return os.Getenv("COMMONS_LONG") == "1" }

// TestGovMeasureVote: from a vote on one node to the new state hash on
// every node, median and p99 over 100 votes.
func TestGovMeasureVote(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	nodes := govSwarmWith(t, 20, 3, 2, nil, swarmOptions{gossip: true, defaults: true})
	var took []time.Duration
	for i := range 100 {
		p := propose(t, nodes[i%3], api.GovProposeRequest{Action: "set-param", Name: "round", Value: fmt.Sprint(i)})
		voter := nodes[(i+1)%3]
		waitFor(t, "the proposal reaches the voter", func() bool { _, ok := voter.govState().Proposal(p.ID); return ok })
		start := time.Now()
		v := vote(t, voter, p.ID, true)
		for _, n := range nodes {
			for n.govState().Hash() != v.StateHash {
				if time.Since(start) > 30*time.Second {
					t.Fatalf("vote %d: a node never reached the state", i)
				}
				time.Sleep(time.Millisecond)
			}
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("vote to the same state hash on 20 nodes, 100 votes: median %s, p99 %s, max %s",
		took[len(took)/2].Round(time.Millisecond), took[98].Round(time.Millisecond), took[99].Round(time.Millisecond))
}

// TestGovMeasureHeal: a swarm of 20 split in halves that vote differently;
// from the moment the halves can reach each other again (the nodes at the
// cut dial across it) to one state hash on every node.
func TestGovMeasureHeal(t *testing.T) {
	if !longTests() {
		t.Skip("a measurement: COMMONS_LONG=1")
	}
	for run := range 5 {
		part := newPartition()
		nodes := govSwarmWith(t, 20, 4, 2, part, swarmOptions{gossip: true, defaults: true})
		part.splitBy(nodes, func(i int) int { return i % 2 }) // stewards 0, 2 | 1, 3
		time.Sleep(2 * time.Second)
		for i := range 5 {
			a := propose(t, nodes[0], api.GovProposeRequest{Action: "set-param", Name: fmt.Sprint("left", i), Value: "v"})
			waitFor(t, "left", func() bool { _, ok := nodes[2].govState().Proposal(a.ID); return ok })
			vote(t, nodes[2], a.ID, true)
			propose(t, nodes[1], api.GovProposeRequest{Action: "set-param", Name: fmt.Sprint("right", i), Value: "v"})
		}
		var left, right []*netNode
		for i, n := range nodes {
			if i%2 == 0 {
				left = append(left, n)
			} else {
				right = append(right, n)
			}
		}
		sameState(t, left)
		sameState(t, right)
		part.set(false)
		start := time.Now()
		for i := 1; i < 20; i += 2 { // the network comes back: each dials its line neighbour
			nodes[i].Connect(t.Context(), nodes[i-1].net.Addrs()[0])
		}
		sameState(t, nodes)
		t.Logf("run %d: one state hash on 20 nodes %s after the halves were joined", run, time.Since(start).Round(time.Millisecond))
		for _, n := range nodes {
			n.stop()
		}
	}
}
