package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/hashtree"
	"github.com/commons-p2p/commons/protocol"
)

// LocateCommand finds the datasets that hold a file.
type LocateCommand struct{}

func (LocateCommand) Synopsis() string { return "find the datasets that contain this exact file" }
func (LocateCommand) Flags() []Flag    { return queryFlags }
func (LocateCommand) Usage() string {
	return `usage: commons locate PATH|sha256:HEX [--local] [--timeout DURATION]

Hashes the file at PATH here (or takes the digest given as sha256:HEX) and
lists the datasets that hold a file with the same sha256, with its path in
each.

` + queryHelp
}

func (LocateCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("PATH|sha256:HEX")
	if err != nil {
		return err
	}
	opts, err := parseQueryOptions(args)
	if err != nil {
		return err
	}
	var d protocol.Digest
	digest := strings.HasPrefix(pos[0], "sha256:")
	if digest {
		if d, err = protocol.ParseDigest(pos[0]); err != nil {
			return badArg("PATH", err)
		}
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	if !digest {
		if d, err = hashFile(ctx, pos[0]); err != nil {
			return err
		}
	}
	res, err := c.Locate(ctx, d, opts)
	if err != nil {
		return err
	}
	if res.Datasets == nil {
		res.Datasets = []api.LocatedEntry{}
	}
	return env.PrintTable(res, func(t *table) { printLocated(t, &res) })
}

func printLocated(t *table, res *api.LocateResult) {
	t.row("sha256:", res.SHA256)
	if len(res.Datasets) == 0 {
		t.row("no dataset known here holds this file")
		return
	}
	t.row()
	t.row("DATASET", "NAME", "PATH")
	for _, e := range res.Datasets {
		t.row(e.ID, e.Name, e.Path)
	}
}

// hashFile hashes the file at path by the rules of dataset add; an
// interrupt stops the hashing.
func hashFile(ctx context.Context, path string) (protocol.Digest, error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, _, err := hashtree.HashFileContext(ctx, path)
	return d, err
}
