package main

import (
	"context"
	crand "crypto/rand"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	protocolid "github.com/libp2p/go-libp2p/core/protocol"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
	"github.com/commons-p2p/commons/testnet/sim"
)

// costs are what the model charges per message, measured on real hosts.
type costs struct {
	hops []time.Duration // one GET_PROVIDERS lookup of one hop, on a connection held
	dial time.Duration   // median: connect, identify, a stream opened
	// lookups are whole lookups of keys no one provides, from a host
	// that knows every daemon of a swarm (measure -swarm only).
	lookups  []time.Duration
	lookups3 []time.Duration // three at once, as an attribution makes them
	syncs    []time.Duration // a synced write of 1 KiB to a file in the temporary directory
	// sched is what the processes on both sides of the timed hops
	// spent, by the kernel's scheduler statistics, over cpuHops hops:
	// on a CPU, and waiting for one.
	sched   schedTime
	cpuHops int
	// lookupSched is the same over lookupN whole lookups of keys no one
	// provides (measure -swarm only), and requestsPerLookup how many
	// requests the model's lookup on that swarm makes (calibrate sets
	// it), which give the CPU of one request in a whole lookup.
	lookupSched       schedTime
	lookupN           int
	requestsPerLookup float64
	// gossipHops are gossip hops between two hosts of this process and
	// gossipCPU their CPU time, both sides (measureGossip).
	gossipHops []time.Duration
	gossipCPU  time.Duration
	// attributions are the CPU times of attributions of a dataset never
	// seen on the swarm, every daemon (attributionCPU).
	attributions []time.Duration
}

// lookupCPU is the CPU time of one whole lookup, every side (0 if
// unknown).
func (c costs) lookupCPU() time.Duration {
	if c.lookupN == 0 {
		return 0
	}
	return c.lookupSched.run / time.Duration(c.lookupN)
}

// cpu is the CPU time of one hop, both sides: what the processes spent
// on a CPU over the timed hops, per hop (0 if unknown).
func (c costs) cpu() time.Duration {
	if c.cpuHops == 0 {
		return 0
	}
	return c.sched.run / time.Duration(c.cpuHops)
}

// queued is a hop's wait for a core, both sides.
func (c costs) queued() time.Duration {
	if c.cpuHops == 0 {
		return 0
	}
	return c.sched.wait / time.Duration(c.cpuHops)
}

// add appends d's samples to c.
func (c *costs) add(d costs) {
	c.hops = append(c.hops, d.hops...)
	c.lookups = append(c.lookups, d.lookups...)
	c.lookups3 = append(c.lookups3, d.lookups3...)
	c.syncs = append(c.syncs, d.syncs...)
	c.dial = d.dial
	c.sched.run += d.sched.run
	c.sched.wait += d.sched.wait
	c.cpuHops += d.cpuHops
	c.lookupSched.run += d.lookupSched.run
	c.lookupSched.wait += d.lookupSched.wait
	c.lookupN += d.lookupN
	c.attributions = append(c.attributions, d.attributions...)
}

// measureSyncs times n synced writes of 1 KiB to a file of the
// temporary directory, where the testnet swarms keep their stores.
func measureSyncs(n int) ([]time.Duration, error) {
	f, err := os.CreateTemp("", "commons-sim-sync-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 1024)
	var out []time.Duration
	for range n {
		if _, err := f.Write(buf); err != nil {
			return nil, err
		}
		t0 := time.Now()
		if err := f.Sync(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// measureCmd measures the costs on real libp2p hosts in this process, as
// the daemon makes them (p2p.NewHost on TCP loopback, p2p.NewDHT on a
// Badger datastore): a lookup that asks one peer, which answers with its
// record, over a connection held; and a new connection to a peer until a
// stream of the DHT's protocol is open on it.
func measureCmd(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	n := fs.Int("n", 200, "lookups to time")
	dials := fs.Int("dials", 20, "new connections to time")
	out := fs.String("o", "", "write the hop costs here, one per line, for -hops of scale and calibrate")
	swarm := fs.String("swarm", "", "time hops to the daemons of the testnet swarm in this directory instead")
	fs.Parse(args)
	var c costs
	var err error
	if *swarm != "" {
		c, err = measureSwarm(*swarm, max(*n/20, 1))
	} else {
		c, err = measure(*n, *dials)
	}
	if err == nil {
		c.syncs, err = measureSyncs(30)
	}
	if err == nil {
		c.gossipHops, c.gossipCPU, err = measureGossip(*n, gossipSize)
	}
	if err != nil {
		return err
	}
	fmt.Printf("command: go run ./testnet/cmd/sim measure %s\n", strings.Join(args, " "))
	fmt.Println(testnet.Machine())
	where := "two hosts in this process"
	if *swarm != "" {
		where = "to each daemon of " + *swarm
	}
	fmt.Printf("one-hop lookup on a held connection (%s, loopback): %s\n", where, sim.Summary(c.hops))
	fmt.Printf("of which CPU time (both sides, the scheduler's statistics): %.3f ms a hop; waiting for a core: %.3f ms a hop\n", ms(c.cpu()), ms(c.queued()))
	fmt.Printf("new connection until a DHT stream is open: median %.1f ms\n", ms(c.dial))
	fmt.Printf("a synced write of 1 KiB: %s\n", sim.Summary(c.syncs))
	fmt.Printf("a gossip hop of %d bytes between two hosts of this process, publish to delivery: %s; CPU time %.3f ms a hop, both sides\n", gossipSize, sim.Summary(c.gossipHops), ms(c.gossipCPU))
	if len(c.lookups) > 0 {
		fmt.Printf("whole lookup of a key no one provides, from a host connected to every daemon: %s\n", sim.Summary(c.lookups))
		fmt.Printf("three such lookups at once, until the last ends: %s\n", sim.Summary(c.lookups3))
	}
	if *out != "" {
		var b strings.Builder
		for _, h := range c.hops {
			fmt.Fprintln(&b, h)
		}
		fmt.Fprintln(&b, "dial", c.dial)
		if c.cpuHops > 0 {
			fmt.Fprintln(&b, "cpu", c.cpu())
		}
		if c.gossipCPU > 0 {
			fmt.Fprintln(&b, "gossip-cpu", c.gossipCPU)
		}
		for _, d := range c.syncs {
			fmt.Fprintln(&b, "sync", d)
		}
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type dhtNode struct {
	h   host.Host
	d   *dht.IpfsDHT
	ds  *p2p.Datastore
	dir string
}

func (n *dhtNode) close() {
	n.d.Close()
	n.h.Close()
	n.ds.Close()
	os.RemoveAll(n.dir)
}

func (n *dhtNode) info() peer.AddrInfo { return peer.AddrInfo{ID: n.h.ID(), Addrs: n.h.Addrs()} }

var simNetwork = protocol.NetworkIDOf([]byte("commons scale model"))

func newDHTNode() (*dhtNode, error) { return newDHTNodeOf(simNetwork) }

func newDHTNodeOf(network protocol.NetworkID, extra ...dht.Option) (*dhtNode, error) {
	k, err := protocol.GenerateKey(crand.Reader)
	if err != nil {
		return nil, err
	}
	h, err := p2p.NewHost(p2p.HostConfig{Key: k, Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "commons-sim-")
	if err != nil {
		h.Close()
		return nil, err
	}
	ds, err := p2p.OpenDatastore(dir, p2p.DatastoreLimits{})
	if err != nil {
		h.Close()
		return nil, err
	}
	d, err := p2p.NewDHT(h, network, p2p.DHTOptions{Datastore: ds, Extra: extra})
	if err != nil {
		h.Close()
		ds.Close()
		return nil, err
	}
	return &dhtNode{h: h, d: d, ds: ds, dir: dir}, nil
}

func measure(lookups, dials int) (costs, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var c costs
	a, err := newDHTNode()
	if err != nil {
		return c, err
	}
	defer a.close()
	b, err := newDHTNode()
	if err != nil {
		return c, err
	}
	defer b.close()
	if err := a.h.Connect(ctx, b.info()); err != nil {
		return c, err
	}
	if err := p2p.WaitForPeers(ctx, a.d); err != nil {
		return c, err
	}
	keys := make([]protocol.ID, lookups+10)
	for i := range keys {
		keys[i] = protocol.ObjectID([]byte(crand.Text()))
		if err := p2p.ProvideLocal(ctx, b.d, keys[i].Cid()); err != nil {
			return c, err
		}
	}
	self := []int{os.Getpid()}
	var before schedTime
	for i, k := range keys {
		if i == 10 { // the first warm the connection's streams
			if before, err = schedOf(self); err != nil {
				return c, err
			}
		}
		t0 := time.Now()
		found, err := p2p.FindProviders(ctx, a.d, k.Cid(), 1)
		took := time.Since(t0)
		if err != nil || len(found) != 1 {
			return c, fmt.Errorf("measure: lookup %d found %d providers: %v", i, len(found), err)
		}
		if i >= 10 {
			c.hops = append(c.hops, took)
		}
	}
	after, err := schedOf(self)
	if err != nil {
		return c, err
	}
	c.sched, c.cpuHops = after.sub(before), len(c.hops)
	proto := protocolid.ID(simNetwork.ProtocolPrefix() + "/kad/1.0.0")
	var took []time.Duration
	for range dials {
		s, err := newDHTNode()
		if err != nil {
			return c, err
		}
		t0 := time.Now()
		err = a.h.Connect(ctx, s.info())
		if err == nil {
			var st interface{ Close() error }
			st, err = a.h.NewStream(ctx, s.h.ID(), proto)
			if err == nil {
				took = append(took, time.Since(t0))
				st.Close()
			}
		}
		s.close()
		if err != nil {
			return c, fmt.Errorf("measure: new connection: %w", err)
		}
	}
	c.dial = median(took)
	return c, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return sim.Rank(s, 0.5)
}
