package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node"
)

// VersionCommand shows what was built.
type VersionCommand struct{}

func (VersionCommand) Synopsis() string { return "show the version" }
func (VersionCommand) Flags() []Flag    { return nil }
func (VersionCommand) Usage() string {
	return `usage: commons version

Shows the version of this binary, the commit it was built from when known,
and the Go toolchain.
`
}

func (VersionCommand) Run(_ context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	out := struct {
		Version  string `json:"version"`
		Revision string `json:"revision,omitempty"`
		Go       string `json:"go"`
		Platform string `json:"platform"`
	}{Version: node.Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				out.Revision = s.Value
			}
		}
	}
	return env.Print(out, func(t *tabwriter.Writer) {
		fmt.Fprintf(t, "commons %s", out.Version)
		if out.Revision != "" {
			fmt.Fprintf(t, " (%.12s)", out.Revision)
		}
		fmt.Fprintf(t, " %s %s\n", out.Go, out.Platform)
	})
}
