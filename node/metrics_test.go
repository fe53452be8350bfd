package node

import (
	"bytes"
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/swarm"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// scrape fetches /metrics from n's API, as Prometheus does.
func scrape(t *testing.T, n *Node) []byte {
	t.Helper()
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	if _, err := http.Get(srv.URL + "/v1/id"); err != nil { // an API request, for its histogram
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", resp.StatusCode, err)
	}
	return body
}

// families gathers n's metrics, as /metrics serves them.
func families(t *testing.T, n *Node) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := n.metrics.Registry().Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	fs := make(map[string]*dto.MetricFamily, len(mfs))
	for _, f := range mfs {
		fs[f.GetName()] = f
	}
	return fs
}

// sample sums the series of family name whose labels include the given
// name-value pairs: a counter's or gauge's value, a histogram's count. ok
// is false when there is no such series.
func sample(fs map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
series:
	for _, m := range fs[name].GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue series
			}
		}
		v += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		ok = true
	}
	return v, ok
}

// promtool returns the path of promtool. It is part of the test suite's
// tools (.ci/run installs it): a machine without it fails the test,
// unless COMMONS_SKIP_PROMTOOL=1 says to go on without it ("").
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	if os.Getenv("COMMONS_SKIP_PROMTOOL") == "1" {
		t.Log("promtool is absent and COMMONS_SKIP_PROMTOOL=1: /metrics and the rules not linted")
		return ""
	}
	t.Fatal("promtool is absent: install it (Debian: apt-get install prometheus; or go install " +
		"github.com/prometheus/prometheus/cmd/promtool@latest), or set COMMONS_SKIP_PROMTOOL=1 to skip this test")
	return ""
}

// The /metrics of two nodes of a governed commons, after each has done
// what every metric counts, passes `promtool check metrics`; a count since
// start is a counter named _total and nothing else is; every latency
// histogram has seen what it times; and the governance gauges show the
// state.
func TestMetricsPromtoolClean(t *testing.T) {
	tool := promtool(t)
	// The announcer that provides each key times each provide
	// (commons_dht_provide_duration_seconds); the sweeper's provides go by
	// region.
	nodes := govSwarmWith(t, 2, 2, 2, nil, swarmOptions{gossip: true, announcer: swarm.AnnounceEach})
	a, b := nodes[0], nodes[1]
	ds := mustDataset(t, a.Node, "metrics corpus")
	if _, err := a.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds.ID, Role: "annotator", Weight: 0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GovPropose(t.Context(), api.GovProposeRequest{Action: "set-param", Name: "review-days", Value: "14"}); err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, a)
	waitFor(t, "the proposal reaches the other steward", func() bool {
		s := b.govState()
		return s != nil && s.Updates() == 1
	})
	if _, err := b.Attribution(t.Context(), ds.ID, api.QueryOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}

	for i, n := range nodes {
		body := scrape(t, n.Node)
		if tool != "" {
			cmd := exec.Command(tool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(body)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("node %d: promtool check metrics: %v\n%s", i, err, out)
			}
		}
		for name, f := range families(t, n.Node) {
			if !strings.HasPrefix(name, "commons_") {
				continue
			}
			if counter := f.GetType() == dto.MetricType_COUNTER; counter != strings.HasSuffix(name, "_total") {
				t.Errorf("node %d: %s is a %s: a count since start, and only that, is a counter named _total", i, name, f.GetType())
			}
		}
	}

	scrape(t, a.Node) // the API request its histogram times
	fa, fb := families(t, a.Node), families(t, b.Node)
	for _, c := range []struct {
		fs     map[string]*dto.MetricFamily
		name   string
		labels []string
	}{
		{fa, "commons_api_request_duration_seconds", []string{"route", "GET /v1/id"}},
		{fa, "commons_api_requests_total", []string{"route", "GET /v1/id", "code", "2xx"}},
		{fa, "commons_dht_provide_duration_seconds", nil},
		{fb, "commons_network_query_duration_seconds", []string{"query", "attribution"}},
		{fb, "commons_dht_lookup_duration_seconds", nil},
		{fa, "commons_governance_state_changes_total", nil},
		{fb, "commons_governance_state_changes_total", nil},
	} {
		if total, _ := sample(c.fs, c.name, c.labels...); total == 0 {
			t.Errorf("%s%v counts nothing", c.name, c.labels)
		}
	}
	// The example alerting rules of docs/OPERATING.md are valid, and name
	// only metrics that exist.
	const rules = "../docs/commons.rules.yml"
	if tool != "" {
		if out, err := exec.Command(tool, "check", "rules", rules).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", rules, err, out)
		}
	}
	text, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`commons_[a-z0-9_]+`).FindAllString(string(text), -1) {
		if base := strings.TrimSuffix(name, "_bucket"); fa[name] == nil && fa[base] == nil {
			t.Errorf("%s names %s, which /metrics does not serve", rules, name)
		}
	}
	for _, name := range []string{"commons_announce_provided_total", "commons_announce_failed_total", "commons_announce_rounds_total"} {
		if f := fa[name]; f.GetType() != dto.MetricType_COUNTER {
			t.Errorf("%s: %v, want the counter of the announcer's count since start", name, f)
		}
	}
	for name, want := range map[string]float64{
		"commons_governance_stewards":        2,
		"commons_governance_threshold":       2,
		"commons_governance_proposals_open":  1,
		"commons_governance_updates_applied": 1,
		"commons_governance_revoked_keys":    0,
	} {
		for i, fs := range []map[string]*dto.MetricFamily{fa, fb} {
			if got, ok := sample(fs, name); !ok || got != want {
				t.Errorf("node %d: %s = %v (present %v), want %v", i, name, got, ok, want)
			}
		}
	}
}

// Every labelled series exists from the start, at 0, so that a rate or an
// alert sees the first event.
func TestMetricsLabelledSeriesFromStart(t *testing.T) {
	n := newTestNode(t)
	n.Handler("") // as the daemon does at start: the routes' series exist from here
	fs := families(t, n)
	for _, c := range []struct{ name, label, value string }{
		{"commons_objects_stored_total", "kind", "revocation"},
		{"commons_objects_refused_total", "reason", "no space"},
		{"commons_store_objects", "kind", "derivation"},
		{"commons_api_requests_total", "code", "5xx"},
		{"commons_api_requests_total", "route", "guard"},
		{"commons_api_request_duration_seconds", "route", "POST /v1/objects/bulk"},
		{"commons_gossip_messages_total", "outcome", "dropped"},
		{"commons_gossip_not_stored_total", "reason", "stranger budget"},
		{"commons_network_query_duration_seconds", "query", "locate"},
		{"commons_dht_lookup_duration_seconds", "result", "none"},
		{"commons_dht_provide_duration_seconds", "result", "failed"},
	} {
		if _, ok := sample(fs, c.name, c.label, c.value); !ok {
			t.Errorf("no series %s{%s=%q} before any event", c.name, c.label, c.value)
		}
	}
}

// The gauges of objects held by kind count what the store holds, so a
// restarted node shows what it held before, while the counters since start
// begin again at 0; the governance gauges likewise show the state.
func TestStoreObjectsGaugeAfterRestart(t *testing.T) {
	n := govSwarmWith(t, 1, 1, 1, nil, swarmOptions{})[0]
	genesis := genesisOf(t, n)
	ds := mustDataset(t, n.Node, "first")
	mustDataset(t, n.Node, "second")
	claim, err := n.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds.ID, Role: "annotator", Weight: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Endorse(t.Context(), api.EndorseRequest{Subject: claim.ID, Standard: "pii-scrubbed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.GovPropose(t.Context(), api.GovProposeRequest{Action: "set-param", Name: "review-days", Value: "14"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"dataset": 2, "attribution": 1, "endorsement": 1, "derivation": 0, "revocation": 0}
	check := func(when string, storedSinceStart float64) {
		t.Helper()
		fs := families(t, n.Node)
		for kind, w := range want {
			if got, ok := sample(fs, "commons_store_objects", "kind", kind); !ok || got != w {
				t.Errorf("%s: commons_store_objects{kind=%q} = %v (present %v), want %v", when, kind, got, ok, w)
			}
		}
		if got, _ := sample(fs, "commons_objects_stored_total", "kind", "dataset"); got != storedSinceStart {
			t.Errorf("%s: commons_objects_stored_total{kind=\"dataset\"} = %v, want %v", when, got, storedSinceStart)
		}
		if got, _ := sample(fs, "commons_governance_updates_applied"); got != 1 {
			t.Errorf("%s: commons_governance_updates_applied = %v, want 1", when, got)
		}
	}
	check("before the restart", 2)
	n.stop()
	n = startNetNode(t, n.dir, genesis, swarmOptions{})
	check("after the restart", 0)
	if _, err := n.Revoke(t.Context(), claim.ID, api.RevokeRequest{Reason: "entered by mistake"}); err != nil {
		t.Fatal(err)
	}
	want["revocation"] = 1
	check("after a revocation", 0)
}
