package swarm

import "github.com/commons-p2p/commons/node/metrics"

// registerMetrics adds the gauges of the network and of the disk
// watermark (SPEC.md §7.4) to the node's metrics. Each scrape reads the
// disk at most every diskCheckInterval.
func (s *Swarm) registerMetrics() {
	b := s.budget
	s.cfg.Metrics.RegisterGauges(metrics.SwarmReads{
		Peers:            func() int { return len(s.host.Network().Peers()) },
		RoutingTableSize: func() int { return s.dht.RoutingTable().Size() },
		Announcer: func() metrics.Announcer {
			c := s.ann.Counts()
			c.Queued += s.pending.Load()
			return c
		},
		Disk: func() metrics.Disk {
			d, _ := b.DiskNow()
			return metrics.Disk{Free: d.Free, Total: d.Total, Store: d.Store}
		},
		PastWatermark: b.PastWatermark,
		MinFreeRatio:  b.limits.MinFree,
		MaxBytes:      b.limits.MaxBytes,
	})
}
