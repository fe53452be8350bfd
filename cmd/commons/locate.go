package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
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
	c, err := env.Client()
	if err != nil {
		return err
	}
	d, err := digestOf(pos[0])
	if err != nil {
		return err
	}
	res, err := c.Locate(ctx, d, opts)
	if err != nil {
		return err
	}
	if res.Datasets == nil {
		res.Datasets = []node.LocatedEntry{}
	}
	return env.Print(res, func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "sha256:\t%s\n", res.SHA256)
		if len(res.Datasets) == 0 {
			fmt.Fprintln(t, "no dataset known here holds this file")
			return
		}
		fmt.Fprintln(t, "\nDATASET\tNAME\tPATH")
		for _, e := range res.Datasets {
			fmt.Fprintf(t, "%s\t%s\t%s\n", e.ID, e.Name, e.Path)
		}
	})
}

// digestOf reads "sha256:HEX" as a digest, and anything else as the path
// of a file to hash.
func digestOf(arg string) (protocol.Digest, error) {
	if strings.HasPrefix(arg, "sha256:") {
		return protocol.ParseDigest(arg)
	}
	d, _, err := node.HashFile(arg)
	return d, err
}
