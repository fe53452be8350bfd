package main

import (
	"context"

	"github.com/commons-p2p/commons/node/api"
)

// DatasetListCommand lists the datasets the node holds.
type DatasetListCommand struct{}

func (DatasetListCommand) Synopsis() string { return "list the datasets this node holds" }
func (DatasetListCommand) Flags() []Flag    { return nil }
func (DatasetListCommand) Usage() string {
	return `usage: commons dataset list

Lists the datasets in the node's store, published here or received.
`
}

func (DatasetListCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	ds, err := c.Datasets(ctx)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []api.DatasetSummary{}
	}
	return env.PrintTable(ds, func(t *table) { printDatasets(t, ds) })
}

func printDatasets(t *table, ds []api.DatasetSummary) {
	t.row("ID", "NAME", "LICENSE", "FILES", "BYTES", "CREATED")
	for _, d := range ds {
		t.row(d.ID, d.Name, d.License, d.Files, d.Bytes, date(d.Created))
	}
}
