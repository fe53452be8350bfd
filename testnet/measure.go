package testnet

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Machine is one line naming the machine, for figures: CPUs and their
// model, memory, kernel, Go and the load average.
func Machine() string {
	cpu := procField("/proc/cpuinfo", "model name")
	mem := "?"
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		mem = fmt.Sprintf("%.1f GiB", kb/1048576)
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	gov := runtime.Version()
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		gov = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("machine: %d CPUs (%s), %s, Linux %s, %s, load %s", runtime.NumCPU(), cpu, mem, kernel, gov, load)
}

// procField is the value of "NAME: value" (or "NAME\t: value") in a /proc
// file, trimmed; "?" when absent.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// Memory is a process's resident set and its peak, in kB, from
// /proc/PID/status (VmRSS, VmHWM).
func Memory(pid int) (rss, peak int, err error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	rss, err = strconv.Atoi(strings.TrimSuffix(procField(path, "VmRSS"), " kB"))
	if err != nil {
		return 0, 0, fmt.Errorf("read VmRSS of %d: %w", pid, err)
	}
	peak, err = strconv.Atoi(strings.TrimSuffix(procField(path, "VmHWM"), " kB"))
	if err != nil {
		return 0, 0, fmt.Errorf("read VmHWM of %d: %w", pid, err)
	}
	return rss, peak, nil
}

// Rank is the nearest-rank p-quantile (0 < p <= 1) of sorted samples.
func Rank[T any](sorted []T, p float64) T {
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Stats is "n N, min …, median …, pP …, max …" of durations in
// milliseconds, nearest rank, with the quantile p (0.95, 0.99).
func Stats(d []time.Duration, p float64) string {
	if len(d) == 0 {
		return "no samples"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return fmt.Sprintf("n %d, min %s, median %s, p%.0f %s, max %s", len(d), Millis(d[0]), Millis(Rank(d, 0.5)), p*100, Millis(Rank(d, p)), Millis(d[len(d)-1]))
}

// Millis writes d in whole milliseconds.
func Millis(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
