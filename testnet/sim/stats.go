package sim

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Rank is the nearest-rank q-quantile of sorted (0 for none), as the
// testnet measurements compute theirs.
func Rank(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Summary is p50, p95, p99 and max of samples, in milliseconds.
func Summary(samples []time.Duration) string {
	s := slices.Clone(samples)
	slices.Sort(s)
	if len(s) == 0 {
		return "no samples"
	}
	format := "%.0f"
	if s[len(s)-1] < 10*time.Millisecond {
		format = "%.2f"
	}
	ms := func(d time.Duration) string { return fmt.Sprintf(format, float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s ms (n %d)", ms(Rank(s, 0.5)), ms(Rank(s, 0.95)), ms(Rank(s, 0.99)), ms(s[len(s)-1]), len(s))
}
