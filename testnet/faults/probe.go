package faults

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// probed are the daemon metrics a probe sums, each by a name and the
// series it sums: a metric name, then label pairs the series must carry.
var probed = []struct{ name, metric, labels string }{
	{"cpu_s", "process_cpu_seconds_total", ""},
	{"attribution_queries", "commons_network_query_duration_seconds_count", `query="attribution"`},
	{"attribution_query_s", "commons_network_query_duration_seconds_sum", `query="attribution"`},
	{"dht_lookups", "commons_dht_lookup_duration_seconds_count", ""},
	{"dht_lookups_none", "commons_dht_lookup_duration_seconds_count", `result="none"`},
	{"refused", "commons_objects_refused_total", ""},
	{"gossip_refused", "commons_gossip_messages_total", `outcome="refused"`},
	{"gov_updates", "commons_governance_updates_total", ""},
	{"bans", "commons_p2p_bans_total", ""},
	{"rewards", "commons_p2p_rewards_total", ""},
}

// probe reads every node's metrics and returns one line per node of the
// sums probed names: what each daemon spent its CPU on.
func probe(ctx context.Context, c *Cluster) []string {
	var out []string
	for _, nd := range c.Nodes {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := nd.API().Metrics(cctx)
		cancel()
		if err != nil {
			out = append(out, fmt.Sprintf("node %d: metrics: %v", nd.K, err))
			continue
		}
		sums := make([]float64, len(probed))
		var penalties []string // commons_p2p_penalties_total by reason, those above 0
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				continue
			}
			sp := strings.LastIndexByte(line, ' ')
			if sp < 0 {
				continue
			}
			v, err := strconv.ParseFloat(line[sp+1:], 64)
			if err != nil {
				continue
			}
			series := line[:sp]
			name, labels, _ := strings.Cut(series, "{")
			if name == "commons_p2p_penalties_total" && v > 0 {
				penalties = append(penalties, fmt.Sprintf("%s %g", strings.TrimSuffix(labels, "}"), v))
			}
			for i, p := range probed {
				if name == p.metric && strings.Contains(labels, p.labels) {
					sums[i] += v
				}
			}
		}
		var parts []string
		for i, p := range probed {
			parts = append(parts, fmt.Sprintf("%s %.4g", p.name, sums[i]))
		}
		parts = append(parts, fmt.Sprintf("penalties given [%s]", strings.Join(penalties, "; ")))
		cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		peers, err := nd.API().Peers(cctx)
		cancel()
		if err == nil {
			var sc []string
			for _, p := range peers {
				for _, o := range c.Nodes {
					if o.PeerID == p.PeerID {
						sc = append(sc, fmt.Sprintf("%d:%.3g/%.3g", o.K, p.Score, p.Credit))
					}
				}
			}
			parts = append(parts, "scores/credit of peers "+strings.Join(sc, " "))
		}
		out = append(out, fmt.Sprintf("node %d: %s", nd.K, strings.Join(parts, ", ")))
	}
	return out
}
