// Command rss prints the resident set (VmRSS, and its peak VmHWM, from
// /proc/PID/status) of every running daemon of a swarm, then min, median
// and max, with the machine.
//
//	go run ./testnet/cmd/rss [-dir DIR]          measure a running swarm (default $COMMONS_TESTNET, else /tmp/commons-testnet)
//	go run ./testnet/cmd/rss -up N [-wait 15s]   bring up N nodes of its own, wait, measure, stop them
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

func main() {
	def := os.Getenv("COMMONS_TESTNET")
	if def == "" {
		def = "/tmp/commons-testnet"
	}
	dir := flag.String("dir", def, "the swarm to measure")
	up := flag.Int("up", 0, "bring up this many nodes of its own instead")
	wait := flag.Duration("wait", 15*time.Second, "with -up: how long to let the swarm settle before measuring")
	flag.Parse()
	if err := run(*dir, *up, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(1)
	}
}

func run(dir string, up int, wait time.Duration) error {
	var s *testnet.Swarm
	cmd := "go run ./testnet/cmd/rss -dir " + dir
	if up > 0 {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		defer testnet.CleanBuild()
		work, err := os.MkdirTemp("", "commons-rss-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		if s, err = testnet.Up(ctx, up, testnet.Options{Dir: filepath.Join(work, "swarm"), Log: os.Stderr}); err != nil {
			return err
		}
		defer s.Down()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		cmd = fmt.Sprintf("go run ./testnet/cmd/rss -up %d -wait %s", up, wait)
	} else {
		var err error
		if s, err = testnet.Open(dir); err != nil {
			return err
		}
	}
	var mb []float64
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "NODE\tPID\tRSS MB\tPEAK MB\t")
	for _, nd := range s.Nodes {
		pid := nd.PID()
		if pid == 0 {
			fmt.Fprintf(w, "%d\tstopped\t\t\t\n", nd.K)
			continue
		}
		rss, peak, err := testnet.Memory(pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d\t%d\t%.1f\t%.1f\t\n", nd.K, pid, float64(rss)/1024, float64(peak)/1024)
		mb = append(mb, float64(rss)/1024)
	}
	w.Flush()
	if len(mb) == 0 {
		return fmt.Errorf("no daemon of %s runs", s.Dir)
	}
	slices.Sort(mb)
	fmt.Printf("VmRSS in MB over the %d running daemons: min %.1f, median %.1f, max %.1f\n", len(mb), mb[0], testnet.Rank(mb, 0.5), mb[len(mb)-1])
	fmt.Println("command:", cmd)
	fmt.Println(testnet.Machine())
	return nil
}
