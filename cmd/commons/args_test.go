package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	spec := []Flag{
		{Name: "name", Value: "N", Required: true},
		{Name: "parent", Value: "ID", Repeat: true},
		{Name: "weight", Value: "W"},
		{Name: "json"},
		{Name: "repo", Value: "DIR"},
	}
	tests := []struct {
		args []string
		pos  []string
		vals map[string][]string
		err  string // a usage error containing this
	}{
		{args: []string{"./dir", "--name", "X", "--json"}, pos: []string{"./dir"}, vals: map[string][]string{"name": {"X"}, "json": {"true"}}},
		{args: []string{"--name=X", "./dir"}, pos: []string{"./dir"}, vals: map[string][]string{"name": {"X"}}},
		{args: []string{"-name", "X"}, vals: map[string][]string{"name": {"X"}}},
		{args: []string{"--name", "a=b"}, vals: map[string][]string{"name": {"a=b"}}},
		{args: []string{"--name=", "--json=false"}, vals: map[string][]string{"name": {""}, "json": {"false"}}},
		{args: []string{"--name", "X", "--parent", "A", "p", "--parent=B"}, pos: []string{"p"}, vals: map[string][]string{"name": {"X"}, "parent": {"A", "B"}}},
		{args: []string{"--name", "X", "--weight", "-0.5"}, vals: map[string][]string{"name": {"X"}, "weight": {"-0.5"}}},
		{args: []string{"--name", "X", "-"}, pos: []string{"-"}, vals: map[string][]string{"name": {"X"}}},
		{args: []string{"--name", "X", "--", "--json", "-x"}, pos: []string{"--json", "-x"}, vals: map[string][]string{"name": {"X"}}},
		{args: []string{"--json", "--json", "--name", "X"}, vals: map[string][]string{"name": {"X"}, "json": {"true", "true"}}},
		{args: []string{"--name", "X", "--bogus"}, err: "unknown flag --bogus"},
		{args: []string{"--name", "X", "--bogus=1"}, err: "unknown flag --bogus"},
		{args: []string{"./dir"}, err: "missing --name N"},
		{args: []string{"--name"}, err: "flag --name needs a value"},
		{args: []string{"--name", "X", "--name", "Y"}, err: "flag --name given twice"},
		{args: []string{"--name", "X", "--json=yes"}, err: "flag --json takes no value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseArgs(tt.args, spec)
			if tt.err != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Pos, tt.pos) {
				t.Errorf("positionals = %q, want %q", got.Pos, tt.pos)
			}
			if !reflect.DeepEqual(got.vals, tt.vals) {
				t.Errorf("values = %q, want %q", got.vals, tt.vals)
			}
		})
	}
}

func TestPositionals(t *testing.T) {
	tests := []struct {
		pos   []string
		names []string
		err   string
	}{
		{pos: []string{"a"}, names: []string{"ID"}},
		{pos: nil, names: nil},
		{pos: nil, names: []string{"ID"}, err: "missing ID"},
		{pos: []string{"a", "b"}, names: []string{"ID"}, err: `unexpected argument "b"`},
		{pos: []string{"a"}, names: nil, err: `unexpected argument "a"`},
	}
	for _, tt := range tests {
		_, err := (&Args{Pos: tt.pos}).positionals(tt.names...)
		if got := errString(err); !strings.Contains(got, tt.err) || (tt.err == "") != (err == nil) {
			t.Errorf("positionals(%q, %q) = %v, want %q", tt.pos, tt.names, err, tt.err)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		args []string
		name string
		rest []string
		err  string
	}{
		{args: []string{"id"}, name: "id"},
		{args: []string{"--repo", "/r", "id", "--json"}, name: "id", rest: []string{"--repo", "/r", "--json"}},
		{args: []string{"--json", "dataset", "--repo=/r", "add", "./d", "--name", "X"}, name: "dataset add", rest: []string{"--json", "--repo=/r", "./d", "--name", "X"}},
		{args: []string{"dataset", "add", "--json"}, name: "dataset add", rest: []string{"--json"}},
		{args: []string{"attribution", "ID", "--json"}, name: "attribution", rest: []string{"ID", "--json"}},
		{args: []string{"help", "dataset", "add"}, name: "help", rest: []string{"dataset", "add"}},
		{args: []string{"key"}, name: "key"},
		{args: []string{"swarm", "key", "new", "--out", "f"}, name: "swarm key new", rest: []string{"--out", "f"}},
		{args: []string{"swarm", "--json", "key", "--repo", "/r", "new"}, name: "swarm key new", rest: []string{"--json", "--repo", "/r"}},
		{args: []string{"swarm", "peers", "extra"}, name: "swarm peers", rest: []string{"extra"}},
		{args: []string{"swarm", "key"}, name: "swarm key"},
		{args: []string{"swarm"}, name: "swarm"},
		{args: []string{"frobnicate", "x"}, err: `unknown command "frobnicate"`},
		{args: []string{"swarm", "frob"}, err: "unknown command \"swarm frob\" (see `commons help swarm`)"},
		{args: []string{"swarm", "key", "frob"}, err: "unknown command \"swarm key frob\" (see `commons help swarm key`)"},
		{args: []string{"swarm", "key", "--out", "f", "new"}, err: `flag --out before the subcommand of "swarm key"`},
		{args: []string{"--json"}, name: "", rest: []string{"--json"}},
		{args: nil, name: ""},
		{args: []string{"frobnicate"}, err: `unknown command "frobnicate"`},
		{args: []string{"key", "frob"}, err: `unknown command "key frob"`},
		{args: []string{"--name", "X", "dataset", "add"}, err: "unknown flag --name before the command"},
		{args: []string{"dataset", "--name", "X", "add"}, err: `flag --name before the subcommand of "dataset"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			name, rest, err := splitCommand(tt.args)
			if tt.err != "" {
				if !strings.Contains(errString(err), tt.err) {
					t.Fatalf("got %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.name || !reflect.DeepEqual(rest, tt.rest) {
				t.Errorf("got %q %q, want %q %q", name, rest, tt.name, tt.rest)
			}
		})
	}
}

func TestParseWeight(t *testing.T) {
	for _, s := range []string{"0.3", "1", "1e-3", "0.999"} {
		if _, err := parseWeight(s); err != nil {
			t.Errorf("parseWeight(%q): %v", s, err)
		}
	}
	for s, want := range map[string]string{
		"0":    "outside (0, 1]",
		"1.5":  "outside (0, 1]",
		"-0.1": "outside (0, 1]",
		"NaN":  "outside (0, 1]",
		"Inf":  "outside (0, 1]",
		"abc":  `--weight "abc" is not a number`,
		"":     `--weight "" is not a number`,
		"30%":  `is not a number`,
	} {
		if _, err := parseWeight(s); !strings.Contains(errString(err), want) {
			t.Errorf("parseWeight(%q) = %v, want %q", s, err, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
