//go:build unix && !linux

package store_test

import "time"

func threadCPUTime() (time.Duration, bool) { return 0, false }
