package main

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/commons-p2p/commons/testnet"
)

// TestDaemonKill9KeepsAcknowledgedWrites kills the daemon with SIGKILL
// while clients are writing, restarts it on the same repo, and checks that
// every write the CLI reported as done is there.
func TestDaemonKill9KeepsAcknowledgedWrites(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := testnet.Start(t, repo)
	data := testnet.WriteTree(t, map[string]string{"a.txt": "crash test"})

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := testnet.Run(t, nil, "--repo", repo, "--json", "dataset", "add", data,
					"--name", fmt.Sprintf("writer %d item %d", w, i), "--license", "CC0-1.0")
				if r.Code != 0 {
					return // the daemon is gone
				}
				var p struct{ ID string }
				r.Decode(t, &p)
				mu.Lock()
				acked = append(acked, p.ID)
				n := len(acked)
				mu.Unlock()
				if n == 20 {
					d.Kill() // SIGKILL, mid-stream of the other writer
				}
			}
		})
	}
	<-d.Exited()
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}

	testnet.Start(t, repo)
	for _, id := range acked {
		var v struct{ ID, Name string }
		r := testnet.Run(t, nil, "--repo", repo, "--json", "dataset", "show", id)
		if r.Code != 0 {
			t.Errorf("acknowledged dataset %s lost after kill -9: %s", id, r)
			continue
		}
		r.Decode(t, &v)
		if v.ID != id {
			t.Errorf("dataset show %s returned %s", id, v.ID)
		}
	}
}
