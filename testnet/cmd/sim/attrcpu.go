package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/testnet"
)

// attributionCPU is what one attribution of a dataset never seen costs
// the daemons of the swarm in dir in CPU time, all of them, by the
// scheduler's statistics: node 1 publishes a new dataset; once its
// announcement has had time to go out, node k asks for its attribution
// through the API (no CLI), and the daemons' CPU is read before the call
// and a second after it returns (the node's announcing of what it
// fetched included), less what they spend idle over as long just after.
// ok is false when the call did not find the dataset.
func attributionCPU(dir string, k int) (cpu time.Duration, ok bool, err error) {
	ctx := context.Background()
	s, err := testnet.Open(dir)
	if err != nil {
		return 0, false, err
	}
	data, err := os.MkdirTemp("", "commons-sim-attr-")
	if err != nil {
		return 0, false, err
	}
	defer os.RemoveAll(data)
	if err := os.WriteFile(filepath.Join(data, "f"), []byte(fmt.Sprintf("%s %d", data, time.Now().UnixNano())), 0o644); err != nil {
		return 0, false, err
	}
	var pub api.Published
	if err := s.Node(1).CLI(ctx, "dataset", "add", data, "--name", "cpu", "--license", "CC0-1.0", "--json").JSON(&pub); err != nil {
		return 0, false, fmt.Errorf("dataset add: %w", err)
	}
	time.Sleep(3 * time.Second) // the provide under way goes out
	cl, err := s.Node(k).Client()
	if err != nil {
		return 0, false, err
	}
	var pids []int
	for _, nd := range s.Nodes {
		pids = append(pids, nd.PID())
	}
	before, err := schedOf(pids)
	if err != nil {
		return 0, false, err
	}
	start := time.Now()
	a, err := cl.Attribution(ctx, pub.ID, api.QueryOptions{Timeout: 5 * time.Second})
	time.Sleep(time.Second)
	after, err2 := schedOf(pids)
	if err2 != nil {
		return 0, false, err2
	}
	time.Sleep(time.Since(start))
	idle, err2 := schedOf(pids)
	if err2 != nil {
		return 0, false, err2
	}
	if err != nil || a.Kind != "dataset" {
		return 0, false, nil
	}
	spent := after.sub(before).run - idle.sub(after).run
	return max(spent, 0), true, nil
}
