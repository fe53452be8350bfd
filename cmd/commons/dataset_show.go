package main

import (
	"context"
	"fmt"
	"text/tabwriter"
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
	return env.Print(d, func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "dataset:\t%s\n", d.ID)
		fmt.Fprintf(t, "name:\t%s\n", d.Name)
		if d.Description != "" {
			fmt.Fprintf(t, "description:\t%s\n", d.Description)
		}
		fmt.Fprintf(t, "license:\t%s\n", d.License)
		if d.Version != "" {
			fmt.Fprintf(t, "version:\t%s\n", d.Version)
		}
		fmt.Fprintf(t, "publisher:\t%s\n", d.Publisher)
		if d.Standing != nil {
			fmt.Fprintf(t, "standing:\t%s\n", standingText(d.Standing))
		}
		fmt.Fprintf(t, "created:\t%s\n", date(d.Created))
		for _, p := range d.Parents {
			fmt.Fprintf(t, "parent:\t%s\n", p)
		}
		for _, ch := range d.Children {
			fmt.Fprintf(t, "child:\t%s\n", ch)
		}
		for _, s := range d.Signers {
			fmt.Fprintf(t, "signed by:\t%s\n", s)
		}
		fmt.Fprintf(t, "files:\t%d, %s\n\n", len(d.Files), humanBytes(d.Bytes))
		fmt.Fprintln(t, "SIZE\tSHA256\tNAME")
		for _, f := range d.Files {
			size := fmt.Sprint(f.Size)
			if f.Size < 0 {
				size = "?"
			}
			fmt.Fprintf(t, "%s\t%s\t%s\n", size, f.SHA256, f.Name)
		}
	})
}
