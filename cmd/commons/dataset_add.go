package main

import (
	"context"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
	"github.com/commons-p2p/commons/protocol"
)

// DatasetAddCommand hashes a tree of files here and publishes its record.
type DatasetAddCommand struct{}

func (DatasetAddCommand) Synopsis() string { return "hash files and publish a signed dataset record" }
func (DatasetAddCommand) Usage() string {
	return `usage: commons dataset add PATH --name NAME --license SPDX [--description TEXT] [--version V] [--parent ID]... [--as KEY]

Hashes the files under PATH (a directory, or a single file) on this machine,
in parallel, and asks the daemon to sign and store a dataset record listing
them: each file's path below PATH, sha256 and size. Nothing is skipped:
hidden files count, a symbolic link to a file counts as that file, and a
link to a directory or a special file is refused. --parent names datasets
this one derives from.
`
}

func (DatasetAddCommand) Flags() []Flag {
	return []Flag{
		{Name: "name", Value: "NAME", Required: true, Help: "the dataset's name"},
		{Name: "license", Value: "SPDX", Required: true, Help: "an SPDX license expression, e.g. CC-BY-4.0"},
		{Name: "description", Value: "TEXT", Help: "what the dataset is"},
		{Name: "version", Value: "V", Help: "the dataset's version"},
		{Name: "parent", Value: "ID", Repeat: true, Help: "a dataset this one derives from"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

func (DatasetAddCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("PATH")
	if err != nil {
		return err
	}
	parents, err := parseIDs("--parent", args.All("parent"))
	if err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	files, _, err := node.HashTree(ctx, pos[0], 0)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return protocol.E("dataset add", protocol.Invalid, "%s holds no files", pos[0])
	}
	p, err := c.AddDataset(ctx, node.AddDatasetRequest{
		Name:        args.Get("name"),
		Description: args.Get("description"),
		License:     args.Get("license"),
		Version:     args.Get("version"),
		Parents:     parents,
		Files:       files,
		As:          args.Get("as"),
	})
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) { printPublished(t, p) })
}
