package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// schedTime is what the kernel's scheduler statistics say processes
// spent: on a CPU, and runnable but waiting for one.
type schedTime struct {
	run, wait time.Duration
}

func (a schedTime) sub(b schedTime) schedTime { return schedTime{a.run - b.run, a.wait - b.wait} }

// schedOf sums /proc/PID/task/*/schedstat over the threads of the
// processes pids (nanoseconds on a CPU, nanoseconds waiting on a run
// queue). A thread that ended between two readings takes its time with
// it; the Go runtime rarely ends one.
func schedOf(pids []int) (schedTime, error) {
	var t schedTime
	for _, pid := range pids {
		stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
		if err != nil || len(stats) == 0 {
			return t, fmt.Errorf("scheduler statistics of process %d: none (%v)", pid, err)
		}
		for _, f := range stats {
			b, err := os.ReadFile(f)
			if err != nil {
				continue // the thread ended
			}
			fields := bytes.Fields(b)
			if len(fields) < 2 {
				return t, fmt.Errorf("%s: %q: want nanoseconds run and waited", f, b)
			}
			run, err1 := strconv.ParseInt(string(fields[0]), 10, 64)
			wait, err2 := strconv.ParseInt(string(fields[1]), 10, 64)
			if err1 != nil || err2 != nil {
				return t, fmt.Errorf("%s: %q: want nanoseconds run and waited", f, b)
			}
			t.run += time.Duration(run)
			t.wait += time.Duration(wait)
		}
	}
	return t, nil
}
