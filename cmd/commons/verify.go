package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
)

// VerifyCommand checks a proof bundle offline.
type VerifyCommand struct{}

func (VerifyCommand) Synopsis() string {
	return "check a proof bundle offline and print the answers it proves"
}
func (VerifyCommand) Flags() []Flag {
	return []Flag{{Name: "network", Value: "ID", Help: "refuse a bundle of any other network"}}
}
func (VerifyCommand) Usage() string {
	return `usage: commons verify FILE [--network ID] [--json]

Checks the proof bundle in FILE (- for stdin), written by ` + "`commons bundle`" + `,
with no daemon, no repo and no network: the genesis against the network ID,
every governance update, every signature and every ID, then recomputes the
answers with the node's own code and compares them with the answers the
node gave. A bundle with any piece tampered with, missing, repeated or of
another network is refused, naming the piece. On success it prints the
attribution, the credit and the licences as ` + "`commons attribution`" + `,
` + "`commons credit`" + ` and ` + "`commons license`" + ` do; --json prints the network, the
governance state and the answers ("attribution", "credit" and "license" as
those commands' --json).
`
}

func (VerifyCommand) Run(_ context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("FILE")
	if err != nil {
		return err
	}
	var opts bundle.Options
	if s := args.Get("network"); s != "" {
		if opts.Network, err = protocol.ParseNetworkID(s); err != nil {
			return badArg("--network", err)
		}
	}
	raw, err := readBundle(env, pos[0])
	if err != nil {
		return err
	}
	res, err := bundle.VerifyWith(raw, opts)
	if err != nil {
		return err
	}
	return env.PrintTable(res, func(t *table) {
		t.rowf("verified: the bundle proves these answers on network %s", res.Network)
		t.rowf("(%d objects, %d governance updates, %d manifest chunks; governance state %s)", res.Objects, res.Updates, res.Chunks, res.StateHash)
		t.row()
		printAttribution(t, res.Attribution)
		if res.Credit != nil {
			t.row()
			t.rowf("credit (min trust %s):", res.Credit.MinTrust)
			printCredit(t, res.Credit)
		}
		if res.License != nil {
			t.row()
			t.rowf("licences:")
			printLicense(t, res.License)
		}
	})
}

// readBundle reads the bundle at path, or stdin for "-", refusing one
// over bundle.MaxSize before reading it whole.
func readBundle(env *Env, path string) ([]byte, error) {
	const op = "read bundle"
	r := env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > bundle.MaxSize {
			return nil, protocol.E(op, protocol.TooLarge, "%s is %d bytes, over the limit of %d for a bundle", path, fi.Size(), bundle.MaxSize)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, bundle.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(b) > bundle.MaxSize {
		return nil, protocol.E(op, protocol.TooLarge, "%s is over the limit of %d bytes for a bundle", path, bundle.MaxSize)
	}
	return b, nil
}
