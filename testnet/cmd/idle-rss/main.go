// Command idle-rss measures the resident memory of an idle daemon: it
// builds the binary, starts one daemon on a fresh repo (a commons of one)
// with a store of -objects files published (default 0), waits, and prints
// VmRSS and VmHWM from /proc.
//
//	go run ./testnet/cmd/idle-rss [-wait 20s] [-objects N]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/commons-p2p/commons/testnet"
)

func main() {
	wait := flag.Duration("wait", 20*time.Second, "how long the daemon idles before it is measured")
	objects := flag.Int("objects", 0, "how many files to publish in one dataset first")
	flag.Parse()
	if err := run(*wait, *objects); err != nil {
		fmt.Fprintln(os.Stderr, "idle-rss:", err)
		os.Exit(1)
	}
}

func run(wait time.Duration, objects int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer testnet.CleanBuild()
	work, err := os.MkdirTemp("", "commons-idle-rss-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	s, err := testnet.Up(ctx, 1, testnet.Options{Dir: filepath.Join(work, "swarm")})
	if err != nil {
		return err
	}
	defer s.Down()
	nd := s.Node(1)
	if objects > 0 {
		data := filepath.Join(work, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			return err
		}
		for i := 1; i <= objects; i++ {
			if err := os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d", i)), fmt.Appendf(nil, "%d\n", i), 0o644); err != nil {
				return err
			}
		}
		if r := nd.CLI(ctx, "dataset", "add", data, "--name", "idle", "--license", "CC0-1.0", "--json"); r.Code != 0 {
			return fmt.Errorf("dataset add: %s", r)
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
	}
	rss, peak, err := testnet.Memory(nd.PID())
	if err != nil {
		return err
	}
	fmt.Printf("idle daemon after %s, %d files published: VmRSS %.1f MB, VmHWM %.1f MB\n", wait, objects, float64(rss)/1024, float64(peak)/1024)
	fmt.Printf("command: go run ./testnet/cmd/idle-rss -wait %s -objects %d\n", wait, objects)
	fmt.Println(testnet.Machine())
	return nil
}
