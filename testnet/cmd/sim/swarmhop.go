package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	protocolid "github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/testnet"
)

// measureSwarm times hops to the real daemons of the swarm in dir, under
// the load of the moment: for each daemon, a host of this process whose
// DHT knows that daemon alone (kad-dht's routing-table and query
// filters), and lookups of keys no one provides, each a GET_PROVIDERS to
// that daemon and its answer. The time includes the daemon's wait for a
// core among the swarm's processes, which an in-process measure lacks.
// It also times new connections to the daemons.
func measureSwarm(dir string, perNode int) (costs, error) {
	var c costs
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := testnet.Open(dir)
	if err != nil {
		return c, err
	}
	cl, err := s.Node(1).Client()
	if err != nil {
		return c, err
	}
	id, err := cl.ID(ctx)
	if err != nil {
		return c, err
	}
	network, err := protocol.ParseNetworkID(id.Network)
	if err != nil {
		return c, err
	}
	type probe struct {
		n      *dhtNode
		target peer.AddrInfo
	}
	var probes []probe
	defer func() {
		for _, p := range probes {
			p.n.close()
		}
	}()
	var dials []time.Duration
	proto := protocolid.ID(network.ProtocolPrefix() + "/kad/1.0.0")
	for _, nd := range s.Nodes {
		addr, err := ma.NewMultiaddr(nd.Addr())
		if err != nil {
			return c, err
		}
		target, err := peer.AddrInfoFromP2pAddr(addr)
		if err != nil {
			return c, err
		}
		only := func(_ any, p peer.ID) bool { return p == target.ID }
		n, err := newDHTNodeOf(network, dht.RoutingTableFilter(only), dht.QueryFilter(func(_ any, ai peer.AddrInfo) bool { return ai.ID == target.ID }))
		if err != nil {
			return c, err
		}
		probes = append(probes, probe{n, *target})
		t0 := time.Now()
		if err := n.h.Connect(ctx, *target); err != nil {
			return c, fmt.Errorf("connect to node %d: %w", nd.K, err)
		}
		st, err := n.h.NewStream(ctx, target.ID, proto)
		if err != nil {
			return c, fmt.Errorf("stream to node %d: %w", nd.K, err)
		}
		dials = append(dials, time.Since(t0))
		st.Close()
		if err := p2p.WaitForPeers(ctx, n.d); err != nil {
			return c, err
		}
	}
	// Both sides' CPU time over the timed hops: this process and every
	// daemon, by the scheduler's statistics, less what they spend idle
	// over as long a time just after (their upkeep).
	pids := []int{os.Getpid()}
	for _, nd := range s.Nodes {
		pids = append(pids, nd.PID())
	}
	var before schedTime
	var start time.Time
	for i := range perNode + 2 {
		if i == 2 { // the first two warm the streams
			if before, err = schedOf(pids); err != nil {
				return c, err
			}
			start = time.Now()
		}
		for _, p := range probes {
			key := protocol.ObjectID([]byte(fmt.Sprintf("probe %d %d %s", time.Now().UnixNano(), i, p.n.h.ID()))).Cid()
			t0 := time.Now()
			if _, err := p2p.FindProviders(ctx, p.n.d, key, 1); err != nil {
				return c, err
			}
			if i >= 2 {
				c.hops = append(c.hops, time.Since(t0))
			}
		}
	}
	after, err := schedOf(pids)
	if err != nil {
		return c, err
	}
	time.Sleep(time.Since(start))
	idle, err := schedOf(pids)
	if err != nil {
		return c, err
	}
	upkeep := idle.sub(after)
	c.sched, c.cpuHops = after.sub(before), len(c.hops)
	c.sched.run = max(c.sched.run-upkeep.run, 0)
	c.sched.wait = max(c.sched.wait-upkeep.wait, 0)
	c.dial = median(dials)
	// A whole lookup, from a host that knows every daemon.
	all, err := newDHTNodeOf(network)
	if err != nil {
		return c, err
	}
	defer all.close()
	for _, p := range probes {
		if err := all.h.Connect(ctx, p.target); err != nil {
			return c, err
		}
	}
	// Its table takes every daemon it has room for (K per bucket): wait
	// until it holds them all or stops growing.
	for last, still := -1, 0; all.d.RoutingTable().Size() < len(probes) && still < 10 && ctx.Err() == nil; {
		time.Sleep(50 * time.Millisecond)
		if size := all.d.RoutingTable().Size(); size == last {
			still++
		} else {
			last, still = size, 0
		}
	}
	lookups := func(i, at int) (time.Duration, error) {
		var wg sync.WaitGroup
		errs := make([]error, at)
		t0 := time.Now()
		for j := range at {
			key := protocol.ObjectID([]byte(fmt.Sprintf("lookup %d %d %d", time.Now().UnixNano(), i, j))).Cid()
			wg.Go(func() { _, errs[j] = p2p.FindProviders(ctx, all.d, key, 0) })
		}
		wg.Wait()
		return time.Since(t0), errors.Join(errs...)
	}
	var lookupStart time.Time
	for i := range perNode + 2 {
		if i == 2 {
			if before, err = schedOf(pids); err != nil {
				return c, err
			}
			lookupStart = time.Now()
		}
		one, err := lookups(i, 1)
		if err != nil {
			return c, err
		}
		three, err := lookups(i, 3)
		if err != nil {
			return c, err
		}
		if i >= 2 {
			c.lookups = append(c.lookups, one)
			c.lookups3 = append(c.lookups3, three)
		}
	}
	if after, err = schedOf(pids); err != nil {
		return c, err
	}
	time.Sleep(time.Since(lookupStart))
	if idle, err = schedOf(pids); err != nil {
		return c, err
	}
	upkeep = idle.sub(after)
	c.lookupSched, c.lookupN = after.sub(before), 4*len(c.lookups)
	c.lookupSched.run = max(c.lookupSched.run-upkeep.run, 0)
	c.lookupSched.wait = max(c.lookupSched.wait-upkeep.wait, 0)
	return c, nil
}
