package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/hashtree"
	"github.com/commons-p2p/commons/protocol"
)

// DeriveCommand publishes a derivation: an artifact made from datasets.
type DeriveCommand struct{}

func (DeriveCommand) Synopsis() string {
	return "record that a model or artifact was made from datasets"
}
func (DeriveCommand) Usage() string {
	return `usage: commons derive (--digest sha256:HEX | --file PATH) --input ID[=WEIGHT]... --activity A [--name N] [--note TEXT] [--allow-unknown-input] [--as KEY]

Signs and stores a derivation: the artifact (a model, a file), named by its
digest or hashed here from --file, was made from the input datasets by
ACTIVITY (trained-on, fine-tuned-on, filtered-from, …). --file must be a
regular file (a symbolic link to one is followed); a pipe, a device or a
kernel file whose size is not what it reads is refused, and Ctrl-C stops
the hashing. Each input must be held by the node or found on the network,
unless --allow-unknown-input. Without --name, the artifact is named after
the file, or else after its activity and digest (trained-on-98ad61a25e36),
so that commons derived and dataset show tell one model from another.
unless --allow-unknown-input. WEIGHT, in (0,1], is the input's weight in
the credit for the artifact (commons credit); each input weighs 1 unless
given.
`
}

func (DeriveCommand) Flags() []Flag {
	return []Flag{
		{Name: "digest", Value: "sha256:HEX", Help: "the artifact's digest"},
		{Name: "file", Value: "PATH", Help: "hash this file for the artifact's digest"},
		{Name: "input", Value: "ID[=WEIGHT]", Repeat: true, Required: true, Help: "a dataset the artifact was made from, with its weight in (0,1] for credit (default 1)"},
		{Name: "activity", Value: "A", Required: true, Help: "how: trained-on, fine-tuned-on, filtered-from, …"},
		{Name: "name", Value: "N", Help: "the artifact's name (default with --file: the file's name; else ACTIVITY-HEX, the activity and the digest's first 12 hex digits)"},
		{Name: "note", Value: "TEXT", Help: "a free-text note"},
		{Name: "allow-unknown-input", Help: "publish even when an --input is neither held here nor found on the network"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

func (DeriveCommand) Run(ctx context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	if args.Has("digest") == args.Has("file") {
		return usagef("give exactly one of --digest sha256:HEX and --file PATH")
	}
	inputs, weights, err := parseWeightedIDs("--input", args.All("input"))
	if err != nil {
		return err
	}
	req := api.DeriveRequest{
		Name:         args.Get("name"),
		Inputs:       inputs,
		InputWeights: weights,
		Activity:     args.Get("activity"),
		Note:         args.Get("note"),
		As:           args.Get("as"),

		AllowUnknownInputs: args.Bool("allow-unknown-input"),
	}
	if args.Has("digest") {
		d, err := protocol.ParseDigest(args.Get("digest"))
		if err != nil {
			return badArg("--digest", err)
		}
		req.Digest = d
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	if !req.AllowUnknownInputs {
		if err := knownObjects(ctx, c, "derive", "--input", "--allow-unknown-input", inputs); err != nil {
			return err
		}
	}
	if path := args.Get("file"); path != "" {
		hashCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		d, size, err := hashtree.HashFileContext(hashCtx, path)
		stop()
		if err != nil {
			return err
		}
		req.Digest, req.Size = d, size
		if req.Name == "" {
			req.Name = filepath.Base(path)
		}
	}
	p, err := c.Derive(ctx, req)
	if err != nil {
		return err
	}
	return env.Print(p, func(t *tabwriter.Writer) { printPublished(t, p) })
}
