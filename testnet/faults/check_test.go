package faults

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/testnet"
)

func TestMain(m *testing.M) { testnet.Main(m) }

// TestCheckerFindsPlantedFaults runs real daemons in namespaces and plants
// faults the checker must report: a node kept partitioned (what it never
// received is lost from it, and its state hash differs), then a node whose
// store is wiped after it alone acknowledged a dataset (lost everywhere).
// Before any fault the same checker passes.
func TestCheckerFindsPlantedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("real daemons in network namespaces: not with -short")
	}
	if err := Check(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	c, err := Up(ctx, Options{N: 3, Stewards: []int{1, 2}, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Down()
	w := NewWorkload(c)
	publish := func(k int) {
		t.Helper()
		p, err := c.Node(k).API().AddDataset(ctx, api.AddDatasetRequest{Name: "planted", License: "CC0-1.0", Files: randomFiles(1)})
		if err != nil {
			t.Fatal(err)
		}
		w.ack(Acked{ID: p.ID, Kind: "dataset", Node: k})
	}
	propose := func(k int, name string) {
		t.Helper()
		if _, err := c.Node(k).API().GovPropose(ctx, apiSetParam(name, "1")); err != nil {
			t.Fatal(err)
		}
	}

	// No fault: the checker passes.
	publish(1)
	propose(1, "before")
	var s Summary
	w.Check(ctx, &s, time.Now(), 30*time.Second)
	if !s.OK || s.Lost != 0 || len(s.StateHashes) != 1 {
		t.Fatalf("no fault planted, yet the checker says: %+v", s)
	}

	// Node 3 kept partitioned: a dataset and a passed proposal it never sees.
	if err := c.Net.Isolate(ctx, 3); err != nil {
		t.Fatal(err)
	}
	publish(1)
	propose(2, "while-3-is-cut-off")
	s = Summary{}
	w.Check(ctx, &s, time.Now(), 3*time.Second)
	if s.OK || s.Lost != 1 || len(s.StateHashes) != 2 {
		t.Fatalf("node 3 partitioned: want not OK, 1 lost, 2 state hashes; got %+v", s)
	}
	for _, l := range s.LostObjects {
		if l.From != 3 {
			t.Errorf("lost from node %d, want only from node 3: %+v", l.From, l)
		}
	}
	if err := c.Net.Heal(ctx); err != nil {
		t.Fatal(err)
	}

	// Node 2 alone acknowledges a dataset, then loses its disk.
	if err := c.Net.Isolate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	publish(2)
	c.Node(2).Kill()
	if err := c.Node(2).WipeStore(); err != nil {
		t.Fatal(err)
	}
	if err := c.Net.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Node(2).Start(ctx); err != nil {
		t.Fatal(err)
	}
	s = Summary{}
	w.Check(ctx, &s, time.Now(), 5*time.Second)
	if s.OK || s.Lost != 1 || len(s.LostObjects) != 3 || !strings.Contains(strings.Join(s.Faults, " "), "not found") {
		t.Fatalf("node 2's store wiped: want not OK and its dataset lost from all 3 nodes; got %+v", s)
	}
	if len(s.Crashes) != 0 {
		t.Errorf("a kill by the harness counted as a crash: %+v", s.Crashes)
	}

	// Node 3 dies unasked (killed behind the harness's back, as the
	// kernel's OOM killer would): a crash.
	nd := c.Node(3)
	nd.mu.Lock()
	proc, exited := nd.cmd.Process, nd.exited
	nd.mu.Unlock()
	proc.Signal(syscall.SIGKILL)
	<-exited
	s = Summary{}
	w.Check(ctx, &s, time.Now(), 5*time.Second)
	if s.OK || len(s.Crashes) != 1 || s.Crashes[0].Node != 3 {
		t.Fatalf("node 3 died unasked: want not OK and one crash of node 3; got %+v", s)
	}
}
