package node

import (
	"errors"
	"io/fs"
	"net"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// clientProbeTimeout bounds the connection attempt NewClient makes to tell a
// running daemon from a stale DIR/api left by one that was killed.
const clientProbeTimeout = 2 * time.Second

// NewClient returns a client of the daemon serving the repo in repoDir: the
// repo's api file holds the address, and its api.token file, when present,
// the bearer token. When no daemon serves it (DIR/api is absent, or nothing
// answers at the address it names) the error is one line naming the repo
// and the command that starts a daemon, of kind protocol.NotFound; a call
// that finds the daemon gone says the same.
func NewClient(repoDir string) (*api.Client, error) {
	addr, err := repo.ReadAPIAddr(repoDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noDaemon(repoDir)
	}
	if err != nil {
		return nil, err
	}
	token, err := repo.ReadAPIToken(repoDir)
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(addr, token)
	if err != nil {
		return nil, err
	}
	c.NotRunning = noDaemon(repoDir)
	conn, err := net.DialTimeout("tcp", addr, clientProbeTimeout)
	if err != nil {
		return nil, noDaemon(repoDir)
	}
	conn.Close()
	return c, nil
}

func noDaemon(repoDir string) error {
	return protocol.E("", protocol.NotFound, "no commons daemon is running for repo %s (start one with: commons daemon --repo %s)", repoDir, repoDir)
}
