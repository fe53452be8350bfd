package store

import "syscall"

// FreeSpace reports the bytes an unprivileged process may still take on
// the filesystem that holds path, from statfs (blocks available, not the
// blocks reserved for root, times the block size); ok is true.
func FreeSpace(path string) (free uint64, ok bool, err error) {
	free, _, err = DiskSpace(path)
	return free, err == nil, err
}

// DiskSpace reports the available and total bytes of the filesystem that
// holds path, from statfs.
func DiskSpace(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}
