package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

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
	return env.PrintTable(out, func(t *table) {
		line := "commons " + out.Version
		if out.Revision != "" {
			line += fmt.Sprintf(" (%.12s)", out.Revision)
		}
		t.row(line + " " + out.Go + " " + out.Platform)
	})
}
