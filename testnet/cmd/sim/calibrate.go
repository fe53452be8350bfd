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

// calibrateCmd runs the model as the testnet commands' swarms run on
// this machine: N nodes on loopback, every daemon's work on the machine's
// cores, the costs timed against real daemons. With -latency it compares
// the model's add → attribution with the latency command's, in DHT mode
// (gossip off); with -gov, the model's gossip delivery with the
// gov-latency command's vote → every node. Each command runs now on a
// swarm of its own while a swarm of this command's is timed again and
// again, so that the costs are those of the same minutes, under the same
// load. Without either, the latency command's figures may be given
// (-real-median, -real-p95, with -swarm).
func calibrateCmd(args []string) error {
	fs := flag.NewFlagSet("calibrate", flag.ExitOnError)
	var m modelFlags
	m.register(fs, 60*time.Microsecond, 0, 300)
	n := fs.Int("n", 20, "nodes")
	latency := fs.Bool("latency", false, "run the latency command (-mode dht) now and compare")
	realRuns := fs.Int("real-runs", 30, "runs of the latency command")
	govRun := fs.Bool("gov", false, "run the gov-latency command now and compare the model's gossip with it")
	govRuns := fs.Int("gov-runs", 20, "runs of the gov-latency command")
	govPoll := fs.Duration("gov-poll", 10*time.Millisecond, "the gov-latency command's -poll")
	realMedian := fs.Duration("real-median", 0, "the latency command's median, when given")
	realP95 := fs.Duration("real-p95", 0, "the latency command's p95, when given")
	swarm := fs.String("swarm", "", "a running testnet swarm whose daemons' hops give the costs")
	fs.Parse(args)
	if m.cores == 0 {
		m.cores = runtime.NumCPU()
	}
	fmt.Printf("command: go run ./testnet/cmd/sim calibrate %s\n", joinArgs(args))
	fmt.Println(testnet.Machine())
	if *latency || *govRun {
		// A swarm like the commands', whose daemons are timed while
		// each command runs on its own.
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
	}
	if *latency {
		var lat latencyFigures
		load0 := loadAverage()
		c, clis, err := timedDuring(*swarm, func() (err error) {
			lat, err = runLatency(*n, *realRuns)
			return err
		})
		if err != nil {
			return err
		}
		load := [2]float64{load0, loadAverage()}
		if m.cli == 0 {
			m.cli = lat.floor
		}
		if err := calibrateLatency(&m, *n, c, clis, *swarm, lat.median, lat.p95, load); err != nil {
			return err
		}
	} else if !*govRun {
		load0 := loadAverage()
		var c costs
		var err error
		if *swarm != "" {
			if c, err = measureSwarm(*swarm, 20); err == nil {
				c.syncs, err = measureSyncs(30)
			}
		} else {
			c, err = m.costs()
		}
		if err != nil {
			return err
		}
		if m.cli == 0 {
			m.cli = 10 * time.Millisecond
		}
		if err := calibrateLatency(&m, *n, c, nil, *swarm, *realMedian, *realP95, [2]float64{load0, loadAverage()}); err != nil {
			return err
		}
	}
	if *govRun {
		var g govFigures
		load0 := loadAverage()
		c, _, err := timedDuring(*swarm, func() (err error) {
			g, err = runGovLatency(*n, *govRuns, *govPoll)
			return err
		})
		if err != nil {
			return err
		}
		if c.gossipHops, c.gossipCPU, err = measureGossip(200, gossipSize); err != nil {
			return err
		}
		if err := calibrateGossip(&m, *n, c, g, *govPoll, [2]float64{load0, loadAverage()}); err != nil {
			return err
		}
	}
	return nil
}

// timedDuring runs run and, until it returns, times hops, lookups and
// CLI calls against the daemons of the swarm in dir, again and again.
func timedDuring(dir string, run func() error) (costs, []time.Duration, error) {
	var c costs
	s, err := testnet.Open(dir)
	if err != nil {
		return c, nil, err
	}
	var clis []time.Duration // the CLI's floor, call by call
	done := make(chan error, 1)
	go func() { done <- run() }()
	for {
		part, err := measureSwarm(dir, 2)
		if err != nil {
			return c, nil, err
		}
		c.add(part)
		floor, err := cliFloor(dir, 5)
		if err != nil {
			return c, nil, err
		}
		clis = append(clis, floor...)
		// An attribution's CPU, asked on a node other than the
		// publisher (node 1) and the CLI's (node 2), in turn.
		k := 3 + len(c.attributions)%max(len(s.Nodes)-2, 1)
		if cpu, ok, err := attributionCPU(dir, min(k, len(s.Nodes))); err != nil {
			return c, nil, err
		} else if ok {
			c.attributions = append(c.attributions, cpu)
		}
		select {
		case err := <-done:
			if err != nil {
				return c, nil, err
			}
			c.syncs, err = measureSyncs(30)
			return c, clis, err
		default:
		}
	}
}

// accounting is one way of charging a measured hop: what of it is CPU
// (-hop-cpu) and what the cores are shared with (-background).
type accounting struct {
	name, hopCPU, background, says string
}

// accountings are the ways calibrate compares.
var accountings = []accounting{
	{"whole", "whole", "0", "each hop whole as CPU, a core serving one piece of work at a time"},
	{"wait", "measured", "0", "a hop's CPU time on a core, the rest of the hop a wait that holds none"},
	{"shared", "measured", "measured", "a hop's CPU time on cores shared with the other work measured"},
	{"lookup", "lookups", "measured", "a request's CPU time in whole lookups on cores shared with the other work measured"},
}

// countRequests sets c.requestsPerLookup: the mean requests one lookup
// of a key no one provides has answered in the model of n nodes.
func countRequests(m *modelFlags, n int, c *costs) error {
	p, err := accountings[0].on(m).params(n, *c)
	if err != nil {
		return err
	}
	net, err := sim.Build(p)
	if err != nil {
		return err
	}
	total := 0
	for i := range 100 {
		_, r := net.LookupsCounted(i, 1)
		total += r
	}
	c.requestsPerLookup = float64(total) / 100
	return nil
}

// cpuLine tells the CPU time measured for hops and whole lookups.
func cpuLine(c costs, cores int) string {
	bg, _ := background("measured", c, cores)
	s := fmt.Sprintf("of a hop (both sides, the scheduler's statistics), CPU time %.3f ms and a wait for a core %.3f ms: %.2f threads of other work on %d cores", ms(c.cpu()), ms(c.queued()), bg, cores)
	if c.lookupN > 0 && c.requestsPerLookup > 0 {
		s += fmt.Sprintf("; a whole lookup of a key no one provides, CPU time %.2f ms, a wait %.2f ms (%d lookups), over the model's %.1f requests in one: %.3f ms of CPU a request",
			ms(c.lookupCPU()), ms(c.lookupSched.wait/time.Duration(c.lookupN)), c.lookupN, c.requestsPerLookup, ms(c.lookupCPU())/c.requestsPerLookup)
	}
	return s
}

func (a accounting) on(m *modelFlags) *modelFlags {
	mm := *m
	mm.hopCPU, mm.background = a.hopCPU, a.background
	return &mm
}

// calibrateLatency runs the model's add → attribution at n nodes and
// compares it with the latency command's median and p95, when given.
func calibrateLatency(m *modelFlags, n int, c costs, clis []time.Duration, swarm string, realMedian, realP95 time.Duration, load [2]float64) error {
	where := "two hosts in this process"
	if swarm != "" {
		where = "this process to each daemon of " + swarm
	}
	cli := m.cli.String()
	if len(clis) > 0 {
		cli = sim.Summary(clis) + " (attribution --local, timed call by call)"
	}
	least := time.Duration(0)
	if len(c.hops) > 0 {
		least = slices.Min(c.hops)
	}
	if err := countRequests(m, n, &c); err != nil {
		return err
	}
	fmt.Printf("\nadd → attribution (the latency command, -mode dht)\n")
	fmt.Printf("costs: one-hop lookup on loopback (%s) %s, the least %.3f ms; %s; new connection %.1f ms; a synced write %s; CLI call %s; %d cores shared by every node; load average %.2f before, %.2f after\n",
		where, sim.Summary(c.hops), ms(least), cpuLine(c, m.cores), ms(c.dial), sim.Summary(c.syncs), cli, m.cores, load[0], load[1])
	model := func(mm *modelFlags) (e2e, query []time.Duration, missed, calls int, net *sim.Network, err error) {
		p, err := mm.params(n, c)
		if err != nil {
			return
		}
		if net, err = sim.Build(p); err != nil {
			return
		}
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
		return
	}
	e2e, query, missed, calls, net, err := model(m)
	if err != nil {
		return err
	}
	if len(c.attributions) > 0 {
		// The model's CPU of one attribution, on the shared accounting.
		p, err := accountings[2].on(m).params(n, c)
		if err != nil {
			return err
		}
		shared, err := sim.Build(p)
		if err != nil {
			return err
		}
		var modelled time.Duration
		for i := range 100 {
			modelled += shared.Attribution(i, sim.AttributionOptions{CLI: m.cli, CLIs: clis}).CPU
		}
		modelled /= 100
		// Much of the real one's is off the answer's path (the API, the
		// announcing of the fetched keys), so that it is told, not
		// charged.
		fmt.Printf("an attribution of a dataset never seen through the API, CPU time of every daemon, a second after it included: real %s (mean %.1f ms); the model's %.1f ms (shared)\n",
			sim.Summary(c.attributions), ms(meanOf(c.attributions)), ms(modelled))
	}
	cpu, _ := hopCPU(m.hopCPU, c)
	bg, _ := background(m.background, c, m.cores)
	fmt.Printf("model (-hop-cpu %s: CPU %s; -background %s: %.2f threads), %d nodes, add → attribution on another node: %s; not found %d; %.2f calls each\n", m.hopCPU, cpuString(cpu), m.background, bg, n, sim.Summary(e2e), missed, float64(calls)/float64(max(len(e2e), 1)))
	fmt.Printf("model, one attribution call once the records are in place: %s\n", sim.Summary(query))
	if len(c.lookups) > 0 {
		var one, three []time.Duration
		for i := range 100 {
			one = append(one, net.Lookups(i, 1))
			three = append(three, net.Lookups(i, 3))
		}
		fmt.Printf("a lookup of a key no one provides: model %s; real %s\n", sim.Summary(one), sim.Summary(c.lookups))
		fmt.Printf("three at once: model %s; real %s\n", sim.Summary(three), sim.Summary(c.lookups3))
	}
	if m.compare && !m.old {
		// The model of the daemon as it was, same accounting and draws.
		mo := *m
		mo.old = true
		oe2e, oquery, omissed, _, onet, err := model(&mo)
		if err != nil {
			return err
		}
		oq := sortedCopy(oquery)
		q := sortedCopy(query)
		fmt.Printf("old model (%s): add → attribution %s; not found %d; one call %s\n", mo.modelName(), sim.Summary(oe2e), omissed, sim.Summary(oquery))
		fmt.Printf("now/old: add → attribution median %.2f, p95 %.2f; one call median %.2f, p95 %.2f",
			ratio(sim.Rank(e2e, 0.5), sim.Rank(oe2e, 0.5)), ratio(sim.Rank(e2e, 0.95), sim.Rank(oe2e, 0.95)),
			ratio(sim.Rank(q, 0.5), sim.Rank(oq, 0.5)), ratio(sim.Rank(q, 0.95), sim.Rank(oq, 0.95)))
		var one, three, oone, othree []time.Duration
		for i := range 100 {
			one = append(one, net.Lookups(i, 1))
			three = append(three, net.Lookups(i, 3))
			oone = append(oone, onet.Lookups(i, 1))
			othree = append(othree, onet.Lookups(i, 3))
		}
		for _, d := range [][]time.Duration{one, three, oone, othree} {
			slices.Sort(d)
		}
		fmt.Printf("; one lookup / three at once p50 %.1f / %.1f ms against %.1f / %.1f ms (three/one %.2f against %.2f)\n",
			ms(sim.Rank(one, 0.5)), ms(sim.Rank(three, 0.5)), ms(sim.Rank(oone, 0.5)), ms(sim.Rank(othree, 0.5)),
			ratio(sim.Rank(three, 0.5), sim.Rank(one, 0.5)), ratio(sim.Rank(othree, 0.5), sim.Rank(oone, 0.5)))
		if realMedian > 0 {
			fmt.Printf("old model/real: median %.2f, p95 %.2f\n", ratio(sim.Rank(oe2e, 0.5), realMedian), ratio(sim.Rank(oe2e, 0.95), realP95))
		}
	}
	if realMedian > 0 {
		med, p95 := sim.Rank(e2e, 0.5), sim.Rank(e2e, 0.95)
		fmt.Printf("real (latency -mode dht): median %.0f ms, p95 %.0f ms; model/real: median %.2f, p95 %.2f\n",
			ms(realMedian), ms(realP95), float64(med)/float64(realMedian), float64(p95)/float64(realP95))
		for _, a := range accountings {
			if a.hopCPU == "lookups" && c.lookupN == 0 {
				continue
			}
			e2e, _, _, _, net, err := model(a.on(m))
			if err != nil {
				return err
			}
			var one, three []time.Duration
			for i := range 100 {
				one = append(one, net.Lookups(i, 1))
				three = append(three, net.Lookups(i, 3))
			}
			slices.Sort(one)
			slices.Sort(three)
			med, p95 := sim.Rank(e2e, 0.5), sim.Rank(e2e, 0.95)
			fmt.Printf("  %-6s (-hop-cpu %s -background %s: %s): median %.0f ms, p95 %.0f ms; model/real: median %.2f, p95 %.2f; one lookup / three at once p50 %.1f / %.1f ms\n",
				a.name, a.hopCPU, a.background, a.says, ms(med), ms(p95), float64(med)/float64(realMedian), float64(p95)/float64(realP95), ms(sim.Rank(one, 0.5)), ms(sim.Rank(three, 0.5)))
		}
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
	latencyLine  = regexp.MustCompile(`median (\d+) ms, p95 (\d+) ms`)
	latencyFloor = regexp.MustCompile(`floor \(attribution --local, 10 calls\): median (\d+) ms`)
)

type latencyFigures struct{ median, p95, floor time.Duration }

func msOf(b []byte) time.Duration {
	v, _ := strconv.ParseFloat(string(b), 64)
	return time.Duration(v * float64(time.Millisecond))
}

// runLatency runs the latency command in DHT mode and returns its median,
// p95 and floor.
func runLatency(n, runs int) (latencyFigures, error) {
	cmd := exec.Command("go", "run", "./testnet/cmd/latency", "-n", strconv.Itoa(n), "-runs", strconv.Itoa(runs), "-mode", "dht")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return latencyFigures{}, fmt.Errorf("latency: %w", err)
	}
	os.Stdout.Write(out)
	f := latencyLine.FindSubmatch(out)
	fl := latencyFloor.FindSubmatch(out)
	if f == nil || fl == nil {
		return latencyFigures{}, fmt.Errorf("latency: no figures in its output")
	}
	return latencyFigures{msOf(f[1]), msOf(f[2]), msOf(fl[1])}, nil
}

func meanOf(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return sum / time.Duration(max(len(d), 1))
}
