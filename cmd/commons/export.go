package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
)

// ExportCommand writes the lineage and attribution of an object in a
// standard format.
type ExportCommand struct{}

func (ExportCommand) Synopsis() string {
	return "export the lineage and attribution as PROV-JSON, Croissant, DOT or in-toto"
}
func (ExportCommand) Flags() []Flag {
	return append([]Flag{
		{Name: "format", Value: "F", Required: true, Help: "the format: " + exportFormatNames()},
		{Name: "out", Value: "FILE", Help: "write the document to FILE (replaced whole) instead of stdout"},
	}, queryFlags...)
}
func (ExportCommand) Usage() string {
	return `usage: commons export ID --format prov|croissant|dot|intoto [--out FILE] [--local] [--timeout DURATION]

Writes what the attribution of ID answers — the lineage, the claims with
their trust, the publishers — in a format that tools outside commons read:

  prov       W3C PROV-JSON: entities, activities (derivations) and agents
             (did:key), wasDerivedFrom, used, wasGeneratedBy, wasAttributedTo
  croissant  MLCommons Croissant 1.0 JSON-LD of a dataset: name, licence,
             creators, a FileObject with sha256 for each file and the
             ancestors holding the same bytes
  dot        Graphviz: the lineage with the trust of each claim on its
             edge (dot -Tsvg lineage.dot > lineage.svg)
  intoto     the in-toto bundle (.intoto.jsonl): every signed object behind
             the answer, one DSSE envelope a line, as the node stores it

The document is the same on every node that holds the same objects. --json
changes nothing: the document is written as it is.

` + queryHelp
}

func exportFormatNames() string {
	names := make([]string, len(api.ExportFormats))
	for i, f := range api.ExportFormats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func (ExportCommand) Run(ctx context.Context, env *Env, args *Args) error {
	f, err := api.ParseExportFormat(args.Get("format"))
	if err != nil {
		return badArg("--format", err)
	}
	out := args.Get("out")
	if args.Has("out") && out == "" {
		return usagef("--out needs a file name")
	}
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	doc, err := c.Export(ctx, id, f, opts)
	if err != nil {
		return err
	}
	if out == "" {
		_, err = env.Stdout.Write(doc)
		return err
	}
	return writeWhole(out, doc)
}

// writeWhole replaces the file at path with b: written beside it and
// renamed over it, so that the file is either the old one or all of b.
func writeWhole(path string, b []byte) error {
	const op = "write export"
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return protocol.E(op, protocol.Other, "%v", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return protocol.E(op, protocol.Other, "%s: %v", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return protocol.E(op, protocol.Other, "%s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return protocol.E(op, protocol.Other, "%s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return protocol.E(op, protocol.Other, "%v", err)
	}
	return nil
}
