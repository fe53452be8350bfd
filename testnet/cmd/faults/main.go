// Command faults runs one fault schedule on real commons daemons, each in
// a network namespace of its own, and prints one JSON summary: what was
// acknowledged and lost, the nodes' state hashes, crashes, refused objects
// held, and latency figures. It exits 1 when the checker found a fault, 2
// on a usage error, and 77 when this machine cannot run it (not root, or
// iproute2 or nftables missing), saying why.
//
//	go run ./testnet/cmd/faults [-schedule partition|latency|churn|clock|equivocation|flood] [-n N] [-duration D] [-rtt 100ms] [-jitter 0] [-loss 1]
//
// partition (the short run, 6 daemons, about 30 s) is the default.
// -flood-peer is the hostile peer the flood schedule starts in a
// namespace of its own.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/commons-p2p/commons/testnet"
	"github.com/commons-p2p/commons/testnet/faults"
)

func main() {
	name := flag.String("schedule", "partition", "the schedule: "+strings.Join(faults.Names(), ", "))
	var cfg faults.Config
	flag.IntVar(&cfg.N, "n", 0, "daemons (0: the schedule's default)")
	flag.DurationVar(&cfg.Duration, "duration", 0, "how long the faults last (0: the schedule's default)")
	flag.DurationVar(&cfg.RTT, "rtt", 0, "round trip between two nodes, latency (0: 100ms)")
	flag.DurationVar(&cfg.Jitter, "jitter", 0, "jitter per link, latency")
	flag.Float64Var(&cfg.Loss, "loss", 0, "loss per link and direction in percent, latency (0: 1)")
	flag.StringVar(&cfg.Keep, "keep", "", "a directory where each daemon's log is copied at the end (CLUSTER/nodeK.log)")
	flag.StringVar(&cfg.LogLevel, "log-level", "", "the daemons' --log-level (debug: each network search logs where its time went)")
	floodPeer := flag.String("flood-peer", "", "run as the hostile peer of the flood schedule, configured by this file (the schedule starts it)")
	floodStats := flag.String("flood-stats", "", "where the hostile peer writes what it did")
	flag.Parse()
	if *floodPeer != "" {
		os.Exit(hostile(*floodPeer, *floodStats))
	}
	run, ok := faults.Schedules[*name]
	if !ok || flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "faults: no schedule %q (schedules: %s)\n", *name, strings.Join(faults.Names(), ", "))
		os.Exit(2)
	}
	if err := faults.Check(); err != nil {
		fmt.Fprintf(os.Stderr, "%v; skipped\n", err)
		os.Exit(77)
	}
	cfg.Log = os.Stderr
	if self, err := os.Executable(); err == nil {
		cfg.Self = self
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer testnet.CleanBuild()
	s, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		testnet.CleanBuild()
		os.Exit(1)
	}
	s.Command = "go run ./testnet/cmd/faults " + strings.Join(os.Args[1:], " ")
	s.Machine = faults.Machine()
	out, _ := json.MarshalIndent(s, "", "  ")
	fmt.Println(string(out))
	if !s.OK {
		fmt.Fprintf(os.Stderr, "faults: the checker found %d faults:\n  %s\n", len(s.Faults), strings.Join(s.Faults, "\n  "))
		testnet.CleanBuild()
		os.Exit(1)
	}
}

// hostile runs the flood schedule's hostile peer until SIGTERM.
func hostile(config, stats string) int {
	b, err := os.ReadFile(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	var fc faults.FloodConfig
	if err := json.Unmarshal(b, &fc); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := faults.Flood(ctx, fc)
	if stats != "" {
		os.WriteFile(stats, []byte(st.String()), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults: hostile peer:", err)
		return 1
	}
	return 0
}
