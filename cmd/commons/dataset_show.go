package main

import (
	"context"
	"fmt"

	"github.com/commons-p2p/commons/node/api"
)

// DatasetShowCommand shows one dataset record.
type DatasetShowCommand struct{}

func (DatasetShowCommand) Synopsis() string { return "show a dataset: its record, lineage and files" }
func (DatasetShowCommand) Flags() []Flag    { return queryFlags }
func (DatasetShowCommand) Usage() string {
	return `usage: commons dataset show ID [--local] [--timeout DURATION]

Shows a dataset record: name, license, publisher, parents and children,
signers, and every file with its sha256 and size.

` + queryHelp
}

func (DatasetShowCommand) Run(ctx context.Context, env *Env, args *Args) error {
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	d, err := c.Dataset(ctx, id, opts)
	if err != nil {
		return err
	}
	return env.PrintTable(d, func(t *table) { printDataset(t, &d) })
}

func printDataset(t *table, d *api.DatasetView) {
	t.row("dataset:", d.ID)
	t.row("name:", d.Name)
	if d.Description != "" {
		t.row("description:", d.Description)
	}
	t.row("license:", d.License)
	if d.Version != "" {
		t.row("version:", d.Version)
	}
	t.row("publisher:", d.Publisher)
	if d.Standing != nil {
		t.row("standing:", standingText(d.Standing))
	}
	t.row("created:", date(d.Created))
	for _, p := range d.Parents {
		t.row("parent:", p)
	}
	for _, ch := range d.Children {
		t.row("child:", ch)
	}
	for _, s := range d.Signers {
		t.row("signed by:", s)
	}
	t.row("files:", fmt.Sprintf("%d, %s", len(d.Files), humanBytes(d.Bytes)))
	t.row()
	t.row("SIZE", "SHA256", "NAME")
	for _, f := range d.Files {
		size := fmt.Sprint(f.Size)
		if f.Size < 0 {
			size = "?"
		}
		t.row(size, f.SHA256, f.Name)
	}
}
