package swarm

import (
	"slices"
	"testing"

	"github.com/commons-p2p/commons/node/metrics"
)

// The reason label of commons_gossip_not_stored_total takes the labels of
// the verdicts that refuse, and only those, so that each series a
// refusal counts in exists from the start.
func TestNotStoredReasonsAreTheRefusingVerdicts(t *testing.T) {
	var got []string
	for v := range verdictNames {
		if l := Verdict(v).Label(); l != "" {
			got = append(got, l)
		}
	}
	if want := metrics.NotStoredReasons; !slices.Equal(got, want) {
		t.Errorf("labels of the refusing verdicts %q, want metrics.NotStoredReasons %q", got, want)
	}
}
