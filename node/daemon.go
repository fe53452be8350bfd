package node

import (
	"context"
	"log/slog"
)

// DaemonOptions override the repo's config for one run of the daemon.
type DaemonOptions struct {
	APIAddr string   // overrides Config.API ("127.0.0.1:0" picks a free port)
	Listen  []string // overrides Config.Listen
	Logger  *slog.Logger
}

// RunDaemon opens (creating it when absent) the repo in dir and serves
// until ctx is cancelled, then shuts down cleanly. It writes the API's
// actual address to DIR/api while it serves and removes it on the way out.
func RunDaemon(ctx context.Context, dir string, opts DaemonOptions) error {
	panic("being written")
}
