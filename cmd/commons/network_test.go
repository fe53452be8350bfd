package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

func TestParseQueryOptions(t *testing.T) {
	tests := []struct {
		args  []string
		want  api.QueryOptions
		usage string // a usage error containing this
		err   string // another error containing this
	}{
		{args: nil, want: api.QueryOptions{}},
		{args: []string{"--local"}, want: api.QueryOptions{Local: true}},
		{args: []string{"--timeout", "5s"}, want: api.QueryOptions{Timeout: 5 * time.Second}},
		{args: []string{"--timeout=1m30s"}, want: api.QueryOptions{Timeout: 90 * time.Second}},
		{args: []string{"--timeout", "250ms"}, want: api.QueryOptions{Timeout: 250 * time.Millisecond}},
		{args: []string{"--timeout", api.MaxQueryTimeout.String()}, want: api.QueryOptions{Timeout: api.MaxQueryTimeout}},
		{args: []string{"--timeout", "5"}, usage: `--timeout "5" is not a duration`},
		{args: []string{"--timeout", "soon"}, usage: `--timeout "soon" is not a duration`},
		{args: []string{"--timeout="}, usage: `--timeout "" is not a duration`},
		{args: []string{"--timeout", "0s"}, usage: "--timeout 0s is not positive"},
		{args: []string{"--timeout", "-5s"}, usage: "--timeout -5s is not positive"},
		{args: []string{"--local", "--timeout", "5s"}, usage: "--local and --timeout exclude each other"},
		{args: []string{"--timeout", "6m"}, usage: "--timeout 6m is above 5m,"},
		{args: []string{"--timeout", "1h"}, usage: "the longest a daemon searches the network"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			a, err := parseArgs(tt.args, queryFlags)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseQueryOptions(a)
			var ue *usageError
			switch {
			case tt.usage != "":
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.usage) {
					t.Fatalf("got %v, want a usage error with %q", err, tt.usage)
				}
			case tt.err != "":
				if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error (not a usage error) with %q", err, tt.err)
				}
				if protocol.KindOf(err) != protocol.Invalid {
					t.Errorf("kind of %v = %v, want invalid", err, protocol.KindOf(err))
				}
			case err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second:                "10s",
		30 * time.Second:                "30s",
		5 * time.Minute:                 "5m",
		90 * time.Second:                "1m30s",
		2 * time.Hour:                   "2h",
		time.Hour + time.Minute:         "1h1m",
		time.Hour + time.Second:         "1h0m1s",
		1500 * time.Millisecond:         "1.5s",
		time.Hour + 10*time.Minute + 30: "1h10m0.00000003s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCheckPeerAddrs(t *testing.T) {
	k, err := protocol.KeyFromSeed(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := repo.PeerIDOf(k)
	if err != nil {
		t.Fatal(err)
	}
	good := "/ip4/127.0.0.1/tcp/4780/p2p/" + pid.String()
	tests := []struct {
		addrs []string
		err   string
	}{
		{addrs: nil},
		{addrs: []string{good}},
		{addrs: []string{good, "/dns4/example.org/udp/4780/quic-v1/p2p/" + pid.String(), "/p2p/" + pid.String()}},
		{addrs: []string{good, "example.org:4780"}, err: `--bootstrap "example.org:4780" is not a multiaddr`},
		{addrs: []string{""}, err: `--bootstrap "" is not a multiaddr`},
		{addrs: []string{"/ip4/127.0.0.1/tcp/4780"}, err: `--bootstrap "/ip4/127.0.0.1/tcp/4780" does not end in /p2p/PEER`},
		{addrs: []string{"/ip4/127.0.0.1/tcp/4780/p2p/notapeer"}, err: `--bootstrap "/ip4/127.0.0.1/tcp/4780/p2p/notapeer"`},
		{addrs: []string{pid.String()}, err: "is not a multiaddr"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.addrs, " "), func(t *testing.T) {
			err := checkPeerAddrs("--bootstrap", tt.addrs)
			if got := errString(err); !strings.Contains(got, tt.err) || (tt.err == "") != (err == nil) {
				t.Fatalf("got %v, want %q", err, tt.err)
			}
			if err != nil && protocol.KindOf(err) != protocol.Invalid {
				t.Errorf("kind of %v = %v, want invalid", err, protocol.KindOf(err))
			}
			if strings.Contains(errString(err), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}
