//go:build unix

package hashtree

import (
	"io/fs"
	"syscall"
)

// fileID is what tells one file from another: its device and inode
// numbers. The zero fileID is no file: the open takes any regular file.
type fileID [2]uint64

func fileIDOf(info fs.FileInfo) fileID {
	if s, ok := statOf(info); ok {
		return fileIDOfStat(s)
	}
	return fileID{}
}

func fileIDOfStat(s *syscall.Stat_t) fileID { return fileID{uint64(s.Dev), s.Ino} }
