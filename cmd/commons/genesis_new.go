package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// GenesisNewCommand writes the genesis document that founds a commons. It
// needs no repo and no daemon.
type GenesisNewCommand struct{}

func (GenesisNewCommand) Synopsis() string {
	return "write the genesis that founds a commons (offline)"
}
func (GenesisNewCommand) Usage() string {
	return `usage: commons genesis new --name NAME --steward DID [--steward DID]... --threshold K [--param KEY=VALUE]... --out FILE

Writes a genesis document to FILE and prints its network ID, the CID of the
file's bytes. NAME names the commons; each --steward is the did:key of a
founding steward (a node prints its own with ` + "`commons init --json`" + ` or
` + "`commons id`" + `); K is how many steward votes a proposal needs, from 1 to
the number of stewards. Every node of the commons starts with
` + "`commons init --genesis FILE`" + ` or ` + "`commons daemon --genesis FILE`" + `, given
this very file: another byte is another network. Needs no repo and no
daemon. FILE is never overwritten without --force.
`
}

func (GenesisNewCommand) Flags() []Flag {
	return []Flag{
		{Name: "name", Value: "NAME", Required: true, Help: "the commons' name, 1 to 256 bytes"},
		{Name: "steward", Value: "DID", Repeat: true, Required: true, Help: "a founding steward's did:key"},
		{Name: "threshold", Value: "K", Required: true, Help: "steward votes a proposal needs"},
		{Name: "param", Value: "KEY=VALUE", Repeat: true, Help: "a parameter for governance; KEY is lowercase letters, digits and inner hyphens"},
		{Name: "out", Value: "FILE", Required: true, Help: "where to write the genesis"},
		{Name: "force", Help: "overwrite FILE if it exists"},
	}
}

func (GenesisNewCommand) Run(_ context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	g := &protocol.Genesis{Name: args.Get("name"), Created: time.Now().UTC().Truncate(time.Second)}
	var err error
	if g.Threshold, err = strconv.Atoi(args.Get("threshold")); err != nil {
		return usagef("--threshold %q is not a whole number", args.Get("threshold"))
	}
	if g.Stewards, err = parseStewards(args.All("steward")); err != nil {
		return err
	}
	if g.Params, err = parseParams(args.All("param")); err != nil {
		return err
	}
	b, err := protocol.EncodeGenesis(g)
	if err != nil {
		return badValue(err) // every field came from the line
	}
	out, err := filepath.Abs(args.Get("out"))
	if err != nil {
		return err
	}
	if err := writeGenesisFile(out, b, args.Bool("force")); err != nil {
		return err
	}
	res := struct {
		Network string `json:"network"`
		File    string `json:"file"`
	}{protocol.NetworkIDOf(b).String(), out}
	return env.PrintTable(res, func(t *table) {
		t.rowf("wrote genesis %s", res.File)
		t.row("network:", res.Network)
		t.row("name:", g.Name)
		t.row("stewards:", fmt.Sprintf("%d, threshold %d", len(g.Stewards), g.Threshold))
	})
}

// parseStewards parses the --steward values, saying what to give instead
// of a repo path or a peer ID.
func parseStewards(ss []string) ([]protocol.DID, error) {
	out := make([]protocol.DID, len(ss))
	for i, s := range ss {
		d, err := protocol.ParseDID(s)
		if err == nil {
			out[i] = d
			continue
		}
		switch {
		case strings.HasPrefix(s, "12D3") || strings.HasPrefix(s, "Qm"):
			return nil, usagef("--steward %q looks like a peer ID; give the node's did:key (the `did` of `commons id --json`)", s)
		case exists(s):
			return nil, usagef("--steward %q is a path; give the did:key of the node of that repo (`commons id --repo %s`)", s, s)
		}
		return nil, badArg("--steward", err)
	}
	return out, nil
}

// parseParams parses KEY=VALUE pairs; the rules on keys and values are
// the genesis's.
func parseParams(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	params := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--param %q: want KEY=VALUE", kv)
		}
		if _, dup := params[k]; dup {
			return nil, usagef("--param %s given twice", k)
		}
		params[k] = v
	}
	return params, nil
}

// writeGenesisFile writes b to path, refusing to replace a file unless
// force.
func writeGenesisFile(path string, b []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return protocol.E("write genesis", protocol.Exists, "%s exists; nothing was written (--force replaces it)", path)
	}
	if err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	return nil
}

// readGenesisFlag reads and checks the file of a --genesis flag, so that a
// bad file is refused with its name before anything is done. "" is no
// genesis.
func readGenesisFlag(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return readGenesisFile("--genesis", path)
}

// readGenesisFile reads and checks a genesis file; what names the flag or
// argument that gave path.
func readGenesisFile(what, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, protocol.MaxGenesisSize+1)) // one byte more is enough to refuse
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if _, _, err := protocol.DecodeGenesis(b); err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, path, err)
	}
	return b, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
