//go:build !unix

package hashtree

import "io/fs"

// fileID is what tells one file from another where no inode numbers are
// reported: its modification time and its size. The zero fileID is no
// file: the open takes any regular file.
type fileID [2]uint64

func fileIDOf(info fs.FileInfo) fileID {
	if info == nil {
		return fileID{}
	}
	return fileID{uint64(info.ModTime().UnixNano()), uint64(info.Size())}
}
