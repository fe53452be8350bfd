package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
)

// LocateCommand finds the datasets that hold a file.
type LocateCommand struct{}

func (LocateCommand) Synopsis() string { return "find the datasets that contain this exact file" }
func (LocateCommand) Flags() []Flag    { return queryFlags }
func (LocateCommand) Usage() string {
	return `usage: commons locate PATH [--local] [--timeout DURATION]

Hashes the file at PATH here and lists the datasets the node knows that hold
a file with the same sha256, with its path in each.

` + queryHelp
}

func (LocateCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("PATH")
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
	d, _, err := node.HashFile(pos[0])
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
