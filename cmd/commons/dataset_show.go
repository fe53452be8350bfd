package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// DatasetShowCommand shows one dataset record and a page of its files.
type DatasetShowCommand struct{}

func (DatasetShowCommand) Synopsis() string { return "show a dataset: its record, lineage and files" }
func (DatasetShowCommand) Flags() []Flag {
	return append([]Flag{
		{Name: "limit", Value: "N", Help: "show at most N files (default " + strconv.Itoa(api.DefaultFilesLimit) + ", at most " + strconv.Itoa(api.MaxFilesLimit) + ")"},
		{Name: "after", Value: "PATH", Help: "show the files that come after PATH, in the order of their paths"},
	}, queryFlags...)
}
func (DatasetShowCommand) Usage() string {
	return `usage: commons dataset show ID [--limit N] [--after PATH] [--local] [--timeout DURATION]

Shows a dataset record: name, license, publisher, parents and children
(what each child is: a dataset, or a model or artifact and the activity
that made it), signers, the number of files and their size, then a page of the files
with their sha256 and size, in the order of their paths (Unicode NFC,
bytewise). When more files follow, the last line says which --after
shows the next page. With --json, file_count is the number of files of
the dataset and files[] the page; next, when present, is the --after of
the next page.

A dataset that names a manifest (SPEC.md §3.8) is read a page at a time:
the daemon reads, and when it lacks them fetches from the network, only
the chunks of the manifest that lead to the page, each verified.

` + queryHelp
}

func (DatasetShowCommand) Run(ctx context.Context, env *Env, args *Args) error {
	page := api.FilesPage{After: args.Get("after")}
	if v := args.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxFilesLimit {
			return badArg("--limit", fmt.Errorf("%s: want a number from 1 to %d", quote(v), api.MaxFilesLimit))
		}
		page.Limit = n
	}
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	d, err := c.DatasetPage(ctx, id, page, opts)
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
	described := map[protocol.ID]api.DerivedItem{}
	for _, it := range d.Derived {
		described[it.ID] = it
	}
	for _, ch := range d.Children {
		it, ok := described[ch]
		switch {
		case !ok:
			t.row("child:", fmt.Sprintf("%s (withdrawn by its publisher)", ch))
		case it.Name == "":
			t.row("child:", safe(fmt.Sprintf("%s (%s)", ch, whatItIs(it))))
		default:
			t.row("child:", safe(fmt.Sprintf("%s (%s: %s)", ch, whatItIs(it), safeText(it.Name))))
		}
	}
	for _, s := range d.Signers {
		t.row("signed by:", s)
	}
	if d.Manifest != nil {
		t.row("manifest:", d.Manifest.Root)
	}
	t.row("files:", fmt.Sprintf("%d, %s", d.FileCount, humanBytes(d.Bytes)))
	t.row()
	t.row("SIZE", "SHA256", "NAME")
	for _, f := range d.Files {
		size := fmt.Sprint(f.Size)
		if f.Size < 0 {
			size = "?"
		}
		t.row(size, f.SHA256, f.Name)
	}
	if d.Next != "" {
		t.row(fmt.Sprintf("… %d files shown; the next page: --after %s", len(d.Files), quote(d.Next)))
	}
}
