package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/testnet"
	"github.com/commons-p2p/commons/testnet/sim"
)

// calibrateCmd runs the model as the latency command's swarm runs on this
// machine: N nodes on loopback, every daemon's work on the machine's
// cores, each call paying the CLI's floor, the costs timed against real
// daemons; and compares its add → attribution figures with the latency
// command's, in DHT mode (gossip off), run now (-latency: a swarm of the
// command's own is timed again and again while the latency command runs)
// or given (-real-median, -real-p95, with -swarm).
func calibrateCmd(args []string) error {
	fs := flag.NewFlagSet("calibrate", flag.ExitOnError)
	var m modelFlags
	m.register(fs, 60*time.Microsecond, 0, 300)
	n := fs.Int("n", 20, "nodes")
	latency := fs.Bool("latency", false, "run the latency command (-mode dht) now and compare")
	realRuns := fs.Int("real-runs", 30, "runs of the latency command")
	realMedian := fs.Duration("real-median", 0, "the latency command's median, when given")
	realP95 := fs.Duration("real-p95", 0, "the latency command's p95, when given")
	swarm := fs.String("swarm", "", "a running testnet swarm whose daemons' hops give the costs")
	fs.Parse(args)
	if m.cores == 0 {
		m.cores = runtime.NumCPU()
	}
	load0 := loadAverage()
	// The costs: hops timed against the daemons of a running swarm, or
	// between two hosts of this process.
	var c, real costs
	var clis []time.Duration // the CLI's floor, call by call
	var err error
	if *latency {
		// A swarm like the latency command's, whose daemons are timed
		// while the latency command runs on its own: the costs are
		// those of the same minutes, under the same load.
		if *swarm == "" {
			dir, err := os.MkdirTemp("", "commons-sim-swarm-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			s, err := testnet.Up(context.Background(), *n, testnet.Options{Dir: filepath.Join(dir, "swarm"), NoGossip: true})
			if err != nil {
				return err
			}
			defer s.Down()
			*swarm = s.Dir
		}
		type result struct {
			med, p95, floor time.Duration
			err             error
		}
		done := make(chan result, 1)
		go func() {
			var r result
			r.med, r.p95, r.floor, r.err = runLatency(*n, *realRuns)
			done <- r
		}()
		var res result
	measuring:
		for {
			part, err := measureSwarm(*swarm, 2)
			if err != nil {
				return err
			}
			real.hops = append(real.hops, part.hops...)
			real.lookups = append(real.lookups, part.lookups...)
			real.lookups3 = append(real.lookups3, part.lookups3...)
			real.dial = part.dial
			floor, err := cliFloor(*swarm, 5)
			if err != nil {
				return err
			}
			clis = append(clis, floor...)
			select {
			case res = <-done:
				break measuring
			default:
			}
		}
		if res.err != nil {
			return res.err
		}
		*realMedian, *realP95 = res.med, res.p95
		if m.cli == 0 {
			m.cli = res.floor
		}
		c = real
		if c.syncs, err = measureSyncs(30); err != nil {
			return err
		}
	} else if *swarm != "" {
		if real, err = measureSwarm(*swarm, 20); err != nil {
			return err
		}
		c = real
		if c.syncs, err = measureSyncs(30); err != nil {
			return err
		}
	} else if c, err = m.costs(); err != nil {
		return err
	}
	if m.cli == 0 {
		m.cli = 10 * time.Millisecond
	}
	load := (load0 + loadAverage()) / 2
	p := m.params(*n, c)
	net, err := sim.Build(p)
	if err != nil {
		return err
	}
	var e2e, query []time.Duration
	missed, calls := 0, 0
	for i := range m.runs {
		a := net.Attribution(i, sim.AttributionOptions{CLI: m.cli, CLIs: clis})
		if a.EndToEndFound {
			e2e = append(e2e, a.EndToEnd)
			calls += a.Calls
		} else {
			missed++
		}
		query = append(query, a.Query)
	}
	slices.Sort(e2e)
	fmt.Printf("command: go run ./testnet/cmd/sim calibrate %s\n", joinArgs(args))
	fmt.Println(testnet.Machine())
	where := "two hosts in this process"
	if *swarm != "" {
		where = "this process to each daemon of " + *swarm
	}
	cli := m.cli.String()
	if len(clis) > 0 {
		cli = sim.Summary(clis) + " (attribution --local, timed call by call)"
	}
	fmt.Printf("costs: one-hop lookup on loopback (%s) %s, spent half by each side; new connection %.1f ms; a synced write %s; CLI call %s; %d cores shared by every node; load average %.2f during the runs\n",
		where, sim.Summary(c.hops), ms(c.dial), sim.Summary(c.syncs), cli, m.cores, load)
	fmt.Printf("model, %d nodes, add → attribution on another node: %s; not found %d; %.2f calls each\n", *n, sim.Summary(e2e), missed, float64(calls)/float64(max(len(e2e), 1)))
	fmt.Printf("model, one attribution call once the records are in place: %s\n", sim.Summary(query))
	if len(real.lookups) > 0 {
		var one, three []time.Duration
		for i := range 100 {
			one = append(one, net.Lookups(i, 1))
			three = append(three, net.Lookups(i, 3))
		}
		fmt.Printf("a lookup of a key no one provides: model %s; real %s\n", sim.Summary(one), sim.Summary(real.lookups))
		fmt.Printf("three at once: model %s; real %s\n", sim.Summary(three), sim.Summary(real.lookups3))
	}
	if *realMedian > 0 {
		med, p95 := sim.Rank(e2e, 0.5), sim.Rank(e2e, 0.95)
		fmt.Printf("real (latency -mode dht): median %.0f ms, p95 %.0f ms; model/real: median %.2f, p95 %.2f\n",
			ms(*realMedian), ms(*realP95), float64(med)/float64(*realMedian), float64(p95)/float64(*realP95))
	}
	return nil
}

// cliFloor times calls of `attribution --local` on node 2 of the swarm
// in dir, of a dataset node 1 publishes: the latency command's floor,
// call by call.
func cliFloor(dir string, calls int) ([]time.Duration, error) {
	ctx := context.Background()
	s, err := testnet.Open(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.MkdirTemp("", "commons-sim-data-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(data)
	if err := os.WriteFile(filepath.Join(data, "f"), []byte(data), 0o644); err != nil {
		return nil, err
	}
	var pub api.Published
	if err := s.Node(1).CLI(ctx, "dataset", "add", data, "--name", "floor", "--license", "CC0-1.0", "--json").JSON(&pub); err != nil {
		return nil, fmt.Errorf("dataset add: %w", err)
	}
	q := s.Node(2)
	// Node 2 fetches the dataset once node 1's announcement is out.
	for deadline := time.Now().Add(30 * time.Second); ; {
		r := q.CLI(ctx, "attribution", pub.ID.String(), "--json", "--timeout", "10s")
		if r.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("attribution on node 2: %s", r.Stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var out []time.Duration
	for range calls {
		t0 := time.Now()
		q.CLI(ctx, "attribution", pub.ID.String(), "--json", "--local")
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// loadAverage is the machine's one-minute load average, 0 if unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(string(f[0]), 64)
	return v
}

func joinArgs(a []string) string {
	var b bytes.Buffer
	for i, s := range a {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

var (
	latencyFigures = regexp.MustCompile(`median (\d+) ms, p95 (\d+) ms`)
	latencyFloor   = regexp.MustCompile(`floor \(attribution --local, 10 calls\): median (\d+) ms`)
)

// runLatency runs the latency command in DHT mode and returns its median,
// p95 and floor.
func runLatency(n, runs int) (median, p95, floor time.Duration, err error) {
	cmd := exec.Command("go", "run", "./testnet/cmd/latency", "-n", strconv.Itoa(n), "-runs", strconv.Itoa(runs), "-mode", "dht")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("latency: %w", err)
	}
	os.Stdout.Write(out)
	f := latencyFigures.FindSubmatch(out)
	fl := latencyFloor.FindSubmatch(out)
	if f == nil || fl == nil {
		return 0, 0, 0, fmt.Errorf("latency: no figures in its output")
	}
	msOf := func(b []byte) time.Duration {
		v, _ := strconv.Atoi(string(b))
		return time.Duration(v) * time.Millisecond
	}
	return msOf(f[1]), msOf(f[2]), msOf(fl[1]), nil
}
