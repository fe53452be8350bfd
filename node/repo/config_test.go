package repo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
			err := c.Validate()
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
	if err := c.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
}

// TestConfigStorage: the storage section of config.json is optional, its
// fields are read as documented, and bad values are refused with what was
// wrong.
func TestConfigStorage(t *testing.T) {
	trusted := randomDID(t)
	cases := []struct {
		name, storage string
		want          Storage
		err           string
	}{
		{"absent", ``, Storage{}, ""},
		{"set", `, "storage": {"signer_objects": 10, "signer_bytes": 1048576, "peer_objects": 40, "peer_bytes": 4194304, "min_free": 0.25, "max_bytes": 1073741824, "trusted": ["` + trusted.String() + `"]}`,
			Storage{SignerObjects: 10, SignerBytes: 1 << 20, PeerObjects: 40, PeerBytes: 4 << 20, MinFree: 0.25, MaxBytes: 1 << 30, Trusted: []protocol.DID{trusted}}, ""},
		{"negative", `, "storage": {"peer_bytes": -1}`, Storage{}, "storage: negative value"},
		{"provider records", `, "storage": {"provider_records": 1000, "provider_bytes": 1048576}`, Storage{ProviderRecords: 1000, ProviderBytes: 1 << 20}, ""},
		{"negative provider records", `, "storage": {"provider_records": -1}`, Storage{}, "storage: negative value"},
		{"negative provider bytes", `, "storage": {"provider_bytes": -1}`, Storage{}, "storage: negative value"},
		{"whole disk", `, "storage": {"min_free": 1}`, Storage{}, "min_free 1"},
		{"not a did", `, "storage": {"trusted": ["alice"]}`, Storage{}, "alice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			body := `{"api": "127.0.0.1:5780", "listen": ["/ip4/127.0.0.1/tcp/0"]` + c.storage + `}`
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := readConfig(path)
			if err == nil {
				err = cfg.Validate()
			}
			if c.err != "" {
				if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want invalid mentioning %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Storage, c.want) {
				t.Fatalf("storage %+v, want %+v", cfg.Storage, c.want)
			}
			// A config without the section writes none back.
			if err := writeConfig(path, cfg); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if got := strings.Contains(string(b), `"storage"`); got != (c.storage != "") {
				t.Errorf("written config has a storage section: %v\n%s", got, b)
			}
		})
	}
}

// TestConfigAnnouncer: announcer is "sweep", "each" or absent (the
// sweeper); anything else is refused with what is allowed.
func TestConfigAnnouncer(t *testing.T) {
	for _, c := range []struct{ field, want, err string }{
		{``, "", ""},
		{`, "announcer": "sweep"`, "sweep", ""},
		{`, "announcer": "each"`, "each", ""},
		{`, "announcer": "fast"`, "", `announcer "fast": want "sweep"`},
	} {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, []byte(`{"api": "127.0.0.1:5780", "listen": ["/ip4/127.0.0.1/tcp/0"]`+c.field+`}`), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := readConfig(path)
		if err == nil {
			err = cfg.Validate()
		}
		if c.err != "" {
			if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want invalid mentioning %q", c.field, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Announcer != c.want {
			t.Errorf("%s: announcer %q, %v; want %q", c.field, cfg.Announcer, err, c.want)
		}
	}
}
