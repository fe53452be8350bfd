package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/testnet"
	"github.com/commons-p2p/commons/testnet/sim"
)

// modelFlags are the model's parameters common to scale and calibrate.
type modelFlags struct {
	seed                       uint64
	rtt, jitter, rto, deadDial time.Duration
	loss, offline, dialRTTs    float64
	cores, conns               int
	stretch                    float64
	hops                       string
	hopCPU                     string
	background                 string
	cli                        time.Duration
	runs, gossip               int
	old, compare, announce     bool
}

// modelName says which behaviour of the daemon the model follows.
func (m *modelFlags) modelName() string {
	if m.old {
		return "old (one stream per peer, as kad-dht's sender; the subject's search ending at its fetch only)"
	}
	return "now (requests to one peer at once, a stream each; the subject's search ending once it is held)"
}

func (m *modelFlags) register(fs *flag.FlagSet, rtt, jitter time.Duration, runs int) {
	fs.Uint64Var(&m.seed, "seed", 1, "seed of every random choice")
	fs.DurationVar(&m.rtt, "rtt", rtt, "round-trip time between any two nodes")
	fs.DurationVar(&m.jitter, "jitter", jitter, "standard deviation of a one-way delay")
	fs.Float64Var(&m.loss, "loss", 0, "chance a message loses a packet (TCP resends it after -rto)")
	fs.DurationVar(&m.rto, "rto", 200*time.Millisecond, "TCP's retransmission timeout")
	fs.Float64Var(&m.offline, "offline", 0, "fraction of nodes down, still in routing tables")
	fs.DurationVar(&m.deadDial, "dead-dial", 0, "how long a dial to a node down takes to fail (default one RTT)")
	fs.Float64Var(&m.dialRTTs, "dial-rtts", 4, "round trips of a new connection before its first request")
	fs.IntVar(&m.conns, "conns", sim.DefaultConnHigh, "connections each node keeps")
	fs.IntVar(&m.cores, "cores", 0, "every node's CPU work on this many shared cores (0: a CPU per node)")
	fs.Float64Var(&m.stretch, "stretch", 1, "factor on every CPU cost")
	fs.StringVar(&m.hops, "hops", "", "hop costs written by measure -o (default: measured now)")
	fs.StringVar(&m.background, "background", "measured", "with -cores: threads of other work always runnable, sharing the cores with the nodes' work: measured (from the CPU time and the wait for a core measured with the hops; none when no wait was), or a number (0: none, each core serves one piece of work at a time)")
	fs.StringVar(&m.hopCPU, "hop-cpu", "measured", "what of a hop is CPU, the rest a wait that holds no core: measured (the CPU time measured with the hops; whole when none was), lookups (the CPU time of whole lookups over the model's requests in one), least (the least hop), whole, or a duration")
	fs.DurationVar(&m.cli, "cli", 0, "cost of one CLI call around its search")
	fs.IntVar(&m.runs, "runs", runs, "attributions timed per size")
	fs.IntVar(&m.gossip, "gossip", 20, "gossip messages timed per size")
	fs.BoolVar(&m.old, "old", false, "model the daemon as it was: one DHT request at a time per peer (kad-dht's sender), the subject's search ending at its fetch only")
	fs.BoolVar(&m.compare, "compare", true, "also run the old model (-old) on the same network and draws, and print the ratios now/old")
	fs.BoolVar(&m.announce, "announce", false, "scale: the announce topic on in the add → attribution loop: the node holds the dataset when the gossip model of that size delivers it (one delivery drawn per loop; needs -gossip)")
}

// params returns the model's parameters for n nodes, with the costs
// measured (or read from -hops).
func (m *modelFlags) params(n int, c costs) (sim.Params, error) {
	cpu, err := hopCPU(m.hopCPU, c)
	if err != nil {
		return sim.Params{}, err
	}
	bg, err := background(m.background, c, m.cores)
	if err != nil {
		return sim.Params{}, err
	}
	// A gossip message costs a node a gossip hop's CPU time when one was
	// measured, else a DHT hop's (the model before it timed gossip).
	validate := sim.Rank(sortedCopy(c.hops), 0.5)
	if cpu > 0 {
		validate = min(validate, cpu)
		if c.gossipCPU > 0 {
			validate = c.gossipCPU
		}
	}
	return sim.Params{
		OneStreamPerPeer: m.old, SubjectUntilFetched: m.old,
		N: n, Seed: m.seed, RTT: m.rtt, Jitter: m.jitter, Loss: m.loss, RTO: m.rto,
		DialRTTs: m.dialRTTs, Offline: m.offline, DeadDial: m.deadDial, Cores: m.cores, Background: bg, Stretch: m.stretch, ConnHigh: m.conns,
		HopCosts: c.hops, HopCPU: cpu, Syncs: c.syncs, Dial: c.dial / 2, Validate: validate,
	}, nil
}

// background is the other work sharing the cores, as -background says:
// measured, a hop alone took CPU × (1+Background)/cores, so that
// Background = cores × (CPU + wait)/CPU − 1 from the scheduler's
// statistics of the hops.
func background(mode string, c costs, cores int) (float64, error) {
	if mode == "measured" {
		if c.cpu() == 0 || cores == 0 {
			return 0, nil
		}
		return max(float64(cores)*float64(c.cpu()+c.queued())/float64(c.cpu())-1, 0), nil
	}
	v, err := strconv.ParseFloat(mode, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("-background %q: want measured or a number of threads, 0 or more", mode)
	}
	return v, nil
}

// hopCPU is the CPU of one hop as -hop-cpu says (0: the whole hop).
func hopCPU(mode string, c costs) (time.Duration, error) {
	switch mode {
	case "measured":
		return c.cpu(), nil
	case "least":
		if len(c.hops) == 0 {
			return 0, nil
		}
		return slices.Min(c.hops), nil
	case "whole":
		return 0, nil
	case "lookups":
		if c.lookupN == 0 || c.requestsPerLookup == 0 {
			return 0, fmt.Errorf("-hop-cpu lookups: no whole lookups timed (calibrate -latency or -gov measures them)")
		}
		return time.Duration(float64(c.lookupCPU()) / c.requestsPerLookup), nil
	}
	d, err := time.ParseDuration(mode)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("-hop-cpu %q: want measured, least, whole or a duration above 0", mode)
	}
	return d, nil
}

func sortedCopy(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// costs returns the hop costs of -hops, or measures them.
func (m *modelFlags) costs() (costs, error) {
	if m.hops == "" {
		c, err := measure(100, 10)
		if err == nil {
			c.syncs, err = measureSyncs(30)
		}
		return c, err
	}
	b, err := os.ReadFile(m.hops)
	if err != nil {
		return costs{}, err
	}
	var c costs
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kind, value, ok := strings.Cut(line, " ")
		if !ok {
			kind, value = "hop", line
		}
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil {
			return costs{}, fmt.Errorf("%s: %w", m.hops, err)
		}
		switch kind {
		case "dial":
			c.dial = d
		case "cpu":
			// the file holds the CPU of one hop: count it as one hop's
			c.sched.run, c.cpuHops = d, 1
		case "gossip-cpu":
			c.gossipCPU = d
		case "sync":
			c.syncs = append(c.syncs, d)
		default:
			c.hops = append(c.hops, d)
		}
	}
	if len(c.hops) == 0 || c.dial == 0 {
		return costs{}, fmt.Errorf("%s: no hops or no dial: write it with measure -o", m.hops)
	}
	return c, nil
}

func scaleCmd(args []string) error {
	fs := flag.NewFlagSet("scale", flag.ExitOnError)
	var m modelFlags
	m.register(fs, 100*time.Millisecond, 10*time.Millisecond, 200)
	sizes := fs.String("sizes", "100,1000,10000", "network sizes")
	fs.Parse(args)
	c, err := m.costs()
	if err != nil {
		return err
	}
	fmt.Printf("command: go run ./testnet/cmd/sim scale %s\n", strings.Join(args, " "))
	fmt.Println(testnet.Machine())
	cpu, err := hopCPU(m.hopCPU, c)
	if err != nil {
		return err
	}
	fmt.Printf("costs: one-hop lookup on loopback %s (half to each side); of a hop, CPU %s (-hop-cpu %s), the rest a wait that holds no CPU; new connection %.1f ms of CPU; a synced write %s\n",
		sim.Summary(c.hops), cpuString(cpu), m.hopCPU, ms(c.dial), sim.Summary(c.syncs))
	fmt.Printf("model: RTT %s ± %s, loss %.3g, offline %.3g, a new connection %.3g RTT before its request, K %d, alpha %d, beta %d, %d connections kept\n",
		m.rtt, m.jitter, m.loss, m.offline, m.dialRTTs, sim.DefaultBucketSize, sim.DefaultAlpha, sim.DefaultBeta, m.conns)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-sizes: %w", err)
		}
		if err := scale(&m, n, c); err != nil {
			return err
		}
	}
	return nil
}

// attributions is what scale prints of one model's attributions.
type attributions struct {
	query, e2e, fetched []time.Duration
	hops                []int
	found, e2eFound     int
	requests, calls     int
	dials, gossiped     int
}

func runAttributions(net *sim.Network, runs int, o sim.AttributionOptions) attributions {
	var r attributions
	for i := range runs {
		a := net.Attribution(i, o)
		if a.Found {
			r.found++
			r.query = append(r.query, a.Query)
			r.fetched = append(r.fetched, a.Fetched)
			r.hops = append(r.hops, a.Hops)
		}
		r.requests += a.Requests
		r.dials += a.Dials
		if a.EndToEndFound {
			r.e2eFound++
			r.e2e = append(r.e2e, a.EndToEnd)
			r.calls += a.Calls
			if a.Gossiped {
				r.gossiped++
			}
		}
	}
	slices.Sort(r.hops)
	return r
}

func (r attributions) print(runs int, announce bool) {
	fmt.Printf("  attribution of a dataset never seen, records in place: %s; found %d of %d\n", sim.Summary(r.query), r.found, runs)
	if len(r.hops) > 0 {
		fmt.Printf("  of which the dataset fetched (the provider's lookup, a connection to it, the fetch): %s\n", sim.Summary(r.fetched))
		fmt.Printf("  lookup hops to the provider record: mean %.2f, p95 %d, max %d; per attribution (three lookups), requests answered: mean %.0f, new connections: mean %.1f\n",
			mean(r.hops), r.hops[(len(r.hops)*95+99)/100-1], r.hops[len(r.hops)-1], float64(r.requests)/float64(runs), float64(r.dials)/float64(runs))
	}
	how := "gossip off"
	if announce {
		how = fmt.Sprintf("the announce topic on: %d of %d held by it first", r.gossiped, r.e2eFound)
	}
	fmt.Printf("  add → attribution on another node (the latency command's loop, polled every 100 ms; %s): %s; found %d of %d, %.2f calls each\n",
		how, sim.Summary(r.e2e), r.e2eFound, runs, float64(r.calls)/float64(max(r.e2eFound, 1)))
}

// ratios prints now/old of the p50, p95 and p99 of each figure.
func ratios(now, old attributions) {
	q := func(name string, a, b []time.Duration) string {
		sa, sb := sortedCopy(a), sortedCopy(b)
		r := func(p float64) float64 {
			return float64(sim.Rank(sa, p)) / float64(max(sim.Rank(sb, p), 1))
		}
		return fmt.Sprintf("%s p50 %.2f, p95 %.2f, p99 %.2f", name, r(0.5), r(0.95), r(0.99))
	}
	fmt.Printf("  now/old: %s; %s; %s\n", q("attribution", now.query, old.query), q("fetched", now.fetched, old.fetched), q("add → attribution", now.e2e, old.e2e))
}

func scale(m *modelFlags, n int, c costs) error {
	t0 := time.Now()
	p, err := m.params(n, c)
	if err != nil {
		return err
	}
	net, err := sim.Build(p)
	if err != nil {
		return err
	}
	built := time.Since(t0)
	rt := 0
	for _, node := range net.Nodes {
		rt += node.RT.Size()
	}
	fmt.Printf("\n%d nodes: built in %.1f s, routing tables of %.0f peers on average\n", n, built.Seconds(), float64(rt)/float64(n))
	t0 = time.Now()
	var each, last []time.Duration
	complete := 1.0
	for i := range m.gossip {
		g := net.Gossip(i, 10*time.Second)
		each = append(each, g.Delivered...)
		last = append(last, g.Last)
		complete = min(complete, g.Complete())
	}
	gossipTook := time.Since(t0)
	o := sim.AttributionOptions{CLI: m.cli}
	if m.announce {
		if len(each) == 0 {
			return fmt.Errorf("-announce: no gossip timed (-gossip 0)")
		}
		o.Announce = each
	}
	t0 = time.Now()
	model := net
	if m.old {
		model = net.Old()
	}
	now := runAttributions(model, m.runs, o)
	fmt.Printf("  %s:\n", m.modelName())
	now.print(m.runs, m.announce)
	if m.compare && !m.old {
		fmt.Printf("  old (one stream per peer, as kad-dht's sender; the subject's search ending at its fetch only), same network and draws:\n")
		old := runAttributions(net.Old(), m.runs, o)
		old.print(m.runs, m.announce)
		ratios(now, old)
	}
	fmt.Printf("  (attributions in %.1f s)\n", time.Since(t0).Seconds())
	if m.gossip > 0 {
		fmt.Printf("  gossip, each node's delivery: %s\n", sim.Summary(each))
		fmt.Printf("  gossip, the last node's: %s; least share of online nodes reached: %.4f (%d messages in %.1f s)\n",
			sim.Summary(last), complete, m.gossip, gossipTook.Seconds())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("  memory: %.0f MB from the OS (Go runtime)\n", float64(ms.Sys)/(1<<20))
	return nil
}

func mean(v []int) float64 {
	s := 0
	for _, x := range v {
		s += x
	}
	return float64(s) / float64(max(len(v), 1))
}

func cpuString(cpu time.Duration) string {
	if cpu == 0 {
		return "the whole hop"
	}
	return fmt.Sprintf("%.3f ms at most", ms(cpu))
}
