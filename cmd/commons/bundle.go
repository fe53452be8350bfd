package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// BundleCommand writes the proof bundle of a subject.
type BundleCommand struct{}

func (BundleCommand) Synopsis() string {
	return "write an offline proof bundle of the answers about ID"
}
func (BundleCommand) Flags() []Flag {
	return append([]Flag{{Name: "out", Value: "FILE", Help: "where to write the bundle (default stdout)"}}, queryFlags...)
}
func (BundleCommand) Usage() string {
	return `usage: commons bundle ID [--out FILE] [--local] [--timeout DURATION]

Writes the proof bundle of ID: one JSON document with every signed piece
behind this node's answers about ID — the records, claims, co-signatures,
endorsements, revocations, derivations and key rotations, the root chunk of
each manifest, the governance updates and the genesis of the network — and
the answers themselves. ` + "`commons verify FILE`" + ` checks it anywhere, with no
daemon, no repo and no network.

` + queryHelp
}

func (BundleCommand) Run(ctx context.Context, env *Env, args *Args) error {
	out := args.Get("out")
	id, opts, c, err := queryAndClient(env, args)
	if err != nil {
		return err
	}
	b, err := c.Bundle(ctx, id, opts)
	if err != nil {
		return err
	}
	if out == "" {
		_, err := env.Stdout.Write(b)
		return err
	}
	path, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, b); err != nil {
		return err
	}
	res := struct {
		Subject string `json:"subject"`
		File    string `json:"file"`
		Bytes   int    `json:"bytes"`
	}{id.String(), path, len(b)}
	return env.PrintTable(res, func(t *table) {
		t.rowf("wrote the bundle of %s to %s (%s)", res.Subject, res.File, humanBytes(int64(res.Bytes)))
	})
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, so that a reader never sees half a bundle.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}
