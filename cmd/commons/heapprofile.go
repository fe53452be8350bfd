package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// heapProfileEnv names the file prefix under which a daemon writes a heap
// profile each time the heap it uses grows by heapProfileStep past its
// largest so far: PREFIX.PID, replaced whole each time, so that after a
// run it holds the heap at its peak. A measurement aid (docs/PERFORMANCE.md);
// unset, nothing is sampled.
const heapProfileEnv = "COMMONS_HEAPPROFILE"

const heapProfileStep = 16 << 20

// profileHeapPeaks samples the heap every 100 ms until ctx ends, when
// COMMONS_HEAPPROFILE is set.
func profileHeapPeaks(ctx context.Context) {
	prefix := os.Getenv(heapProfileEnv)
	if prefix == "" {
		return
	}
	path := fmt.Sprintf("%s.%d", prefix, os.Getpid())
	go func() {
		var ms runtime.MemStats
		var most uint64
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse < most+heapProfileStep {
				continue
			}
			most = ms.HeapInuse
			tmp := path + ".tmp"
			f, err := os.Create(tmp)
			if err != nil {
				return
			}
			err = pprof.Lookup("heap").WriteTo(f, 0)
			if cerr := f.Close(); err == nil && cerr == nil {
				os.Rename(tmp, path)
			}
		}
	}()
}
