//go:build !linux

package store

// FreeSpace reports ok false: beyond Linux the filesystem's free space is
// not read, and writes are not refused for lack of it.
func FreeSpace(string) (free uint64, ok bool, err error) { return 0, false, nil }

// DiskSpace reports nothing beyond Linux.
func DiskSpace(string) (free, total uint64, err error) { return 0, 0, nil }
