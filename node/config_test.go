package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

func TestConfigLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		want   string // in the error; "" for none
	}{
		{"defaults", Limits{}, ""},
		{"inbound within the default max_conns", Limits{MaxConnsInbound: 100}, ""},
		{"inbound within max_conns", Limits{MaxConns: 300, MaxConnsInbound: 200}, ""},
		{"inbound above the default max_conns", Limits{MaxConnsInbound: 200}, "max_conns_inbound 200 is above max_conns 128"},
		{"inbound above max_conns", Limits{MaxConns: 64, MaxConnsInbound: 65}, "max_conns_inbound 65 is above max_conns 64"},
		{"negative inbound", Limits{MaxConnsInbound: -1}, "negative value"},
		{"watermarks", Limits{ConnLow: 50, ConnHigh: 10}, "conn_low 50 is above conn_high 10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig()
			c.Limits = tc.limits
			err := c.validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if !protocol.IsKind(err, protocol.Invalid) || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validate: %v, want an invalid error containing %q", err, tc.want)
			}
		})
	}
	// A config written before max_conns_inbound existed reads as before.
	var c Config
	if err := json.Unmarshal([]byte(`{"api":"127.0.0.1:5780","limits":{"conn_low":10,"conn_high":20,"max_conns":40}}`), &c); err != nil {
		t.Fatal(err)
	}
	if want := (Limits{ConnLow: 10, ConnHigh: 20, MaxConns: 40}); c.Limits != want {
		t.Errorf("limits %+v, want %+v", c.Limits, want)
	}
	if err := c.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}
