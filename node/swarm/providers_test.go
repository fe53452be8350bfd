package swarm

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/commons-p2p/commons/node/metrics"
	"github.com/commons-p2p/commons/node/p2p"
)

// TestProviderRefusalsCountedAndLogged: every provider record the
// Datastore refuses is counted under its reason, and a flood of refusals
// logs one line a minute, with the count since the last.
func TestProviderRefusalsCountedAndLogged(t *testing.T) {
	if got, want := []string{p2p.RefusedRecords, p2p.RefusedBytes, p2p.RefusedDisk}, metrics.ProviderRefusalReasons; !slices.Equal(got, want) {
		t.Fatalf("the Datastore's reasons %q, the metric's %q", got, want)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	m := &metrics.Swarm{ProviderRecordsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"reason"})}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRefusals(log, m, func() time.Time { return now })
	for i := range 100 {
		r.refused(p2p.RefusedRecords, 2)
		if i == 50 {
			r.refused(p2p.RefusedDisk, 1)
		}
		now = now.Add(time.Second)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.ProviderRecordsRefused)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, c := range fams[0].GetMetric() {
		counted[c.GetLabel()[0].GetValue()] = c.GetCounter().GetValue()
	}
	if counted["records"] != 200 || counted["disk"] != 1 {
		t.Errorf("refusals counted %v, want records 200 and disk 1", counted)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("100 s of refusals logged %d lines, want 2 (one a minute):\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[1], "records=120") || !strings.Contains(lines[1], "disk=1") {
		t.Errorf("the second line does not count the refusals since the first: %s", lines[1])
	}
}
