//go:build !linux

package node

import (
	"io/fs"
	"path/filepath"

	"github.com/commons-p2p/commons/node/swarm"
)

// diskProbe returns a reader of the disk under dir, the store's directory.
// Beyond Linux the filesystem's space is not read: only the store's size,
// by the files' apparent sizes, meets the watermark (Storage.MaxBytes).
func diskProbe(dir string) func() (swarm.DiskState, error) {
	return func() (swarm.DiskState, error) {
		var total int64
		err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			if info, err := e.Info(); err == nil {
				total += info.Size()
			}
			return nil
		})
		return swarm.DiskState{Store: total}, err
	}
}
