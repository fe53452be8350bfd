package node

import (
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/store"
)

// diskProbe returns a reader of the disk under dir, the store's directory:
// the space of its filesystem (statfs) and what the store occupies.
func diskProbe(dir string) func() (swarm.DiskState, error) {
	return func() (swarm.DiskState, error) {
		free, total, err := store.DiskSpace(dir)
		if err != nil {
			return swarm.DiskState{}, err
		}
		used, err := dirBytes(dir)
		return swarm.DiskState{Free: free, Total: total, Store: used}, err
	}
}

// dirBytes is the disk space the files under dir occupy: allocated blocks,
// not apparent sizes, since Badger's memory-mapped files are sparse.
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed while walking: a compaction
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += st.Blocks * 512
		} else {
			total += info.Size()
		}
		return nil
	})
	return total, err
}
