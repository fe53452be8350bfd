package swarm

import (
	"log/slog"
	"sync"
	"time"

	"github.com/commons-p2p/commons/node/metrics"
)

// refusalLogEvery is the least time between two log lines of refused
// provider records: a flood refused record by record logs once a minute.
const refusalLogEvery = time.Minute

// refusals counts the provider records the DHT's Datastore refuses and
// logs them at most once per refusalLogEvery, with the count since the
// last line.
type refusals struct {
	log     *slog.Logger
	metrics *metrics.Swarm
	now     func() time.Time

	mu      sync.Mutex
	last    time.Time // zero: never logged
	pending map[string]int
}

func newRefusals(log *slog.Logger, m *metrics.Swarm, now func() time.Time) *refusals {
	if now == nil {
		now = time.Now
	}
	return &refusals{log: log, metrics: m, now: now, pending: map[string]int{}}
}

// refused is p2p.DatastoreLimits.Refused.
func (r *refusals) refused(reason string, n int) {
	if r.metrics != nil && r.metrics.ProviderRecordsRefused != nil {
		r.metrics.ProviderRecordsRefused.WithLabelValues(reason).Add(float64(n))
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending[reason] += n
	if !r.last.IsZero() && now.Sub(r.last) < refusalLogEvery && now.Sub(r.last) >= 0 {
		return
	}
	r.last = now
	args := make([]any, 0, 2*len(r.pending))
	for k, v := range r.pending {
		args = append(args, k, v)
	}
	clear(r.pending)
	r.log.Warn("dht: provider records refused since the last report (SPEC.md §7.2)", args...)
}
