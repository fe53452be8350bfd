//go:build unix

package repo

import (
	"os"
	"syscall"

	"github.com/commons-p2p/commons/protocol"
)

// Lock takes the lock a running daemon holds on the repo's store (the one
// Badger takes: flock on the data directory), so that a command that
// rewrites the repo's files refuses while a daemon runs, and no daemon
// starts until unlock.
func (r *Repo) Lock() (unlock func(), err error) {
	f, err := os.Open(r.DataDir())
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, protocol.E("lock repo", protocol.Exists, "a daemon is using repo %s: stop it first (%v)", r.Dir, err)
	}
	return func() { f.Close() }, nil
}
