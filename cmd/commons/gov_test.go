package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govLine parses a command line of cmd as Main.Run would.
func govLine(t *testing.T, cmd Command, line ...string) *Args {
	t.Helper()
	a, err := parseArgs(line, append(cmd.Flags(), globalFlags...))
	if err != nil {
		t.Fatalf("parseArgs(%q): %v", line, err)
	}
	return a
}

func TestGovProposeRequest(t *testing.T) {
	did := testKeyDID(t)
	id := protocol.ObjectID([]byte(`{"dataset":1}`)).String()
	tests := []struct {
		action gov.Action
		line   []string
		want   api.GovProposeRequest
	}{
		{"add-steward", []string{did}, api.GovProposeRequest{Action: "add-steward", DID: did}},
		{"add-steward", []string{"alice", "--expires", "1h30m", "--as", "bob"}, api.GovProposeRequest{Action: "add-steward", DID: "alice", Expires: "1h30m", As: "bob"}},
		{"remove-steward", []string{"--as=bob", did}, api.GovProposeRequest{Action: "remove-steward", DID: did, As: "bob"}},
		{"set-threshold", []string{"2"}, api.GovProposeRequest{Action: "set-threshold", Threshold: 2}},
		{"revoke-key", []string{did, "--effective", "2026-11-01T00:00:00Z", "--reason", "laptop stolen"},
			api.GovProposeRequest{Action: "revoke-key", DID: did, Effective: "2026-11-01T00:00:00Z", Reason: "laptop stolen"}},
		{"revoke-key", []string{"alice", "--effective", "2026-11-01T01:02:03.5+01:00", "--reason", "x", "--expires", "10m"},
			api.GovProposeRequest{Action: "revoke-key", DID: "alice", Effective: "2026-11-01T01:02:03.5+01:00", Reason: "x", Expires: "10m"}},
		{"dataset-status", []string{id, "delisted", "--reason", "license withdrawn"},
			api.GovProposeRequest{Action: "dataset-status", Dataset: protocol.MustParseID(id), Status: "delisted", Reason: "license withdrawn"}},
		{"dataset-status", []string{id, "accepted", "--reason", "reviewed"},
			api.GovProposeRequest{Action: "dataset-status", Dataset: protocol.MustParseID(id), Status: "accepted", Reason: "reviewed"}},
		{"set-param", []string{"review-days", "14"}, api.GovProposeRequest{Action: "set-param", Name: "review-days", Value: "14"}},
		{"set-param", []string{"note", ""}, api.GovProposeRequest{Action: "set-param", Name: "note"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.action)+" "+strings.Join(tt.line, " "), func(t *testing.T) {
			cmd := GovProposeCommand{tt.action}
			got, err := cmd.request(govLine(t, cmd, tt.line...))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestGovProposeBadLine(t *testing.T) {
	id := protocol.ObjectID([]byte(`{"dataset":1}`)).String()
	tests := []struct {
		action gov.Action
		line   []string
		usage  string // a usage error containing this
		err    string // another error containing this
	}{
		{action: "add-steward", usage: "missing DID|KEY"},
		{action: "add-steward", line: []string{"a", "b"}, usage: `unexpected argument "b"`},
		{action: "add-steward", line: []string{""}, usage: "DID is empty"},
		{action: "add-steward", line: []string{"did:key:zNope"}, usage: `DID "did:key:zNope" does not hold`},
		{action: "add-steward", line: []string{"alice", "--expires", "3d"}, usage: `--expires "3d" is not a duration`},
		{action: "add-steward", line: []string{"alice", "--expires", "0s"}, usage: "--expires 0s is not positive"},
		{action: "add-steward", line: []string{"alice", "--expires", "-1h"}, usage: "--expires -1h is not positive"},
		{action: "add-steward", line: []string{"alice", "--expires", "721h"}, usage: "--expires 721h is above 720h"},
		{action: "set-threshold", usage: "missing K"},
		{action: "set-threshold", line: []string{"0"}, usage: `K "0" is not a positive integer`},
		{action: "set-threshold", line: []string{"--", "-2"}, usage: `K "-2" is not a positive integer`},
		{action: "set-threshold", line: []string{"1.5"}, usage: `K "1.5" is not a positive integer`},
		{action: "set-threshold", line: []string{"two"}, usage: `K "two" is not a positive integer`},
		{action: "revoke-key", line: []string{"alice", "--effective", "2026-11-01", "--reason", "x"}, usage: `--effective "2026-11-01" is not an RFC 3339 time`},
		{action: "revoke-key", line: []string{"alice", "--effective", "yesterday", "--reason", "x"}, usage: "is not an RFC 3339 time"},
		{action: "revoke-key", line: []string{"alice", "--effective", "2026-11-01T00:00:00Z", "--reason", " "}, usage: "--reason is empty"},
		{action: "dataset-status", line: []string{id, "banned", "--reason", "x"}, usage: `status "banned" is not one of accepted, flagged, delisted`},
		{action: "dataset-status", line: []string{id, "--reason", "x"}, usage: "missing accepted|flagged|delisted"},
		{action: "dataset-status", line: []string{"nope", "flagged", "--reason", "x"}, usage: `ID "nope" is not a CID`},
		{action: "dataset-status", line: []string{protocol.ArtifactID(protocol.SumDigest([]byte("f"))).String(), "flagged", "--reason", "x"}, usage: "names an artifact"},
		{action: "set-param", line: []string{"review-days"}, usage: "missing VALUE"},
		{action: "set-param", line: []string{"", "1"}, usage: "NAME is empty"},
	}
	for _, tt := range tests {
		t.Run(string(tt.action)+" "+strings.Join(tt.line, " "), func(t *testing.T) {
			cmd := GovProposeCommand{tt.action}
			_, err := cmd.request(govLine(t, cmd, tt.line...))
			checkUsage(t, err, tt.usage, tt.err)
		})
	}
}

func TestGovVoteRequest(t *testing.T) {
	id := protocol.ObjectID([]byte(`{"proposal":1}`)).String()
	a := govLine(t, GovVoteCommand{}, id, "yes", "--as", "bob")
	got, err := GovVoteCommand{}.request(a)
	if want := (api.GovVoteRequest{Proposal: protocol.MustParseID(id), Vote: "yes", As: "bob"}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	got, err = GovVoteCommand{}.request(govLine(t, GovVoteCommand{}, id, "no"))
	if want := (api.GovVoteRequest{Proposal: protocol.MustParseID(id), Vote: "no"}); err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}

	tests := []struct {
		line       []string
		usage, err string
	}{
		{line: nil, usage: "missing PROPOSAL_ID yes|no"},
		{line: []string{id}, usage: "missing yes|no"},
		{line: []string{id, "yes", "please"}, usage: `unexpected argument "please"`},
		{line: []string{id, "YES"}, usage: `vote "YES" is neither yes nor no`},
		{line: []string{id, "abstain"}, usage: `vote "abstain" is neither yes nor no`},
		{line: []string{"nope", "yes"}, usage: `PROPOSAL_ID "nope" is not a CID`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.line, " "), func(t *testing.T) {
			_, err := GovVoteCommand{}.request(govLine(t, GovVoteCommand{}, tt.line...))
			checkUsage(t, err, tt.usage, tt.err)
		})
	}
}

// TestGovUsageExits2 runs bad lines through Main against a repo with no
// daemon: each exits 2 with its message, so none reached for the daemon
// (which would exit 1 saying that none runs).
func TestGovUsageExits2(t *testing.T) {
	repo := t.TempDir()
	id := protocol.ObjectID([]byte(`{"proposal":1}`)).String()
	tests := []struct {
		line []string
		want string
	}{
		{[]string{"gov"}, "gov needs a subcommand"},
		{[]string{"gov", "propose"}, "gov propose needs a subcommand"},
		{[]string{"gov", "propose", "make-king", "alice"}, `unknown command "gov propose make-king"`},
		{[]string{"gov", "propose", "add-steward"}, "missing DID|KEY"},
		{[]string{"gov", "propose", "add-steward", "alice", "--expires", "soon"}, `--expires "soon" is not a duration`},
		{[]string{"gov", "propose", "set-threshold", "0"}, "is not a positive integer"},
		{[]string{"gov", "propose", "revoke-key", "alice", "--reason", "x"}, "missing --effective RFC3339"},
		{[]string{"gov", "propose", "revoke-key", "alice", "--effective", "now", "--reason", "x"}, "not an RFC 3339 time"},
		{[]string{"gov", "propose", "dataset-status", id, "flagged"}, "missing --reason TEXT"},
		{[]string{"gov", "vote", id, "maybe"}, "neither yes nor no"},
		{[]string{"gov", "vote", id}, "missing yes|no"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.line, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			m := &Main{Stdout: &stdout, Stderr: &stderr}
			code := m.Run(context.Background(), append(tt.line, "--repo", repo))
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 saying %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "no commons daemon") {
				t.Errorf("looked for the daemon before checking the line: %q", stderr.String())
			}
		})
	}
}

func TestGovHelp(t *testing.T) {
	for action := range govActions {
		name := "gov propose " + string(action)
		cmd := lookup(name)
		if cmd == nil {
			t.Errorf("%s is not registered", name)
			continue
		}
		if u := cmd.Usage(); !strings.HasPrefix(u, "usage: commons "+name+" ") || !strings.Contains(u, "[--expires DURATION] [--as KEY]") {
			t.Errorf("usage of %s:\n%s", name, u)
		}
	}
	var stdout bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stdout}
	if code := m.Run(context.Background(), []string{"help", "gov"}); code != 0 {
		t.Fatalf("help gov: exit %d", code)
	}
	for _, want := range []string{"gov propose add-steward", "gov propose revoke-key", "gov vote"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help gov does not list %s:\n%s", want, stdout.String())
		}
	}
}

// checkUsage wants a usage error containing usage, or (usage "") another
// error containing err.
func checkUsage(t *testing.T, err error, usage, other string) {
	t.Helper()
	var ue *usageError
	switch {
	case usage != "":
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), usage) {
			t.Errorf("got %v, want a usage error with %q", err, usage)
		}
	case err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), other):
		t.Errorf("got %v, want an error (not a usage error) with %q", err, other)
	}
}

func testKeyDID(t *testing.T) string {
	k, err := protocol.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.DID().String()
}

// TestGovText prints the state and the log that gov.DAG makes
// of a few updates, through their JSON forms, as gov state and gov log do:
// if protocol's JSON drifts from what the CLI reads, this fails.
func TestGovText(t *testing.T) {
	keys := make([]*protocol.Key, 3)
	for i := range keys {
		k, err := protocol.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	steward, second, outsider := keys[0], keys[1], keys[2]
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	network := protocol.NetworkIDOf([]byte("a test genesis"))
	dag := gov.New(&protocol.Genesis{Name: "test", Stewards: []protocol.DID{steward.DID()}, Threshold: 1, Params: map[string]string{"review-days": "7"}, Created: start}, network)
	dataset := protocol.ObjectID([]byte(`{"dataset":1}`))
	step := 0
	add := func(k *protocol.Key, p *gov.Proposal, v *gov.Vote) protocol.ID {
		t.Helper()
		step++
		at := start.Add(time.Duration(step) * time.Minute)
		if p != nil {
			p.Expires = at.Add(time.Hour)
		}
		u, err := gov.NewUpdate(network, k, dag.Parents(), at, p, v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dag.Add(u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	addSteward := add(steward, &gov.Proposal{Action: gov.ActAddSteward, DID: second.DID()}, nil)
	add(steward, &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 2}, nil)
	delist := add(steward, &gov.Proposal{Action: gov.ActDatasetStatus, Dataset: dataset, Status: gov.StatusDelisted, Reason: "license withdrawn"}, nil)
	vote := add(second, nil, &gov.Vote{Proposal: delist, Yes: true})
	revoke := add(steward, &gov.Proposal{Action: gov.ActRevokeKey, DID: outsider.DID(), Effective: start, Reason: "laptop stolen"}, nil)
	add(second, nil, &gov.Vote{Proposal: revoke, Yes: true})
	param := add(second, &gov.Proposal{Action: gov.ActSetParam, Name: "review-days", Value: "14"}, nil)
	ignored := add(outsider, &gov.Proposal{Action: gov.ActAddSteward, DID: outsider.DID()}, nil)

	stateJSON, err := json.Marshal(dag.State())
	if err != nil {
		t.Fatal(err)
	}
	var s api.GovState
	if err := json.Unmarshal(stateJSON, &s); err != nil {
		t.Fatalf("gov state cannot read gov.State's JSON: %v\n%s", err, stateJSON)
	}
	var b strings.Builder
	tw := newTable(&b)
	printGovState(tw, &s)
	tw.flush()
	state := b.String()
	for _, want := range []string{
		"network:     " + network.String(),
		"state hash:  " + dag.State().Hash(),
		"threshold:   2 of 2 stewards",
		steward.DID().String(), second.DID().String(),
		outsider.DID().String() + "  2026-11-01T00:00:00Z  laptop stolen",
		dataset.String() + "  delisted  license withdrawn",
		"review-days  7", // the set-param proposal is still open
		param.String() + "  1    0   2026-11-01T01:07:00Z  set-param review-days=\"14\"",
		"open proposals:    1",
		"closed proposals:  4",
	} {
		if !strings.Contains(state, want) {
			t.Errorf("gov state does not say %q:\n%s", want, state)
		}
	}
	if strings.Contains(state, addSteward.String()) {
		t.Errorf("gov state lists a closed proposal among the open ones:\n%s", state)
	}

	logJSON, err := json.Marshal(dag.Log())
	if err != nil {
		t.Fatal(err)
	}
	var log []api.GovLogEntry
	if err := json.Unmarshal(logJSON, &log); err != nil {
		t.Fatalf("gov log cannot read gov.LogEntry's JSON: %v\n%s", err, logJSON)
	}
	b.Reset()
	tw = newTable(&b)
	printGovLog(tw, log)
	tw.flush()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1+step {
		t.Fatalf("gov log: %d lines, want a header and %d updates:\n%s", len(lines), step, b.String())
	}
	for _, want := range []struct {
		id   protocol.ID
		what string
	}{
		{addSteward, "propose add-steward " + second.DID().String() + ": passed"},
		{delist, "propose dataset-status " + dataset.String() + " delisted (license withdrawn)"},
		{vote, "vote yes on " + delist.String() + ": passed"},
		{ignored, "propose add-steward " + outsider.DID().String() + ": ignored, "},
	} {
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, want.id.String()) })
		if i < 0 || !strings.Contains(lines[i], want.what) {
			t.Errorf("gov log line of %s does not say %q:\n%s", want.id, want.what, b.String())
		}
	}
	b.Reset()
	tw = newTable(&b)
	printGovLog(tw, nil)
	tw.flush()
	if b.String() != "no governance updates yet\n" {
		t.Errorf("gov log of no updates: %q", b.String())
	}
}
