//go:build !unix

package hashtree

import (
	"io/fs"
	"os"

	"github.com/commons-p2p/commons/protocol"
)

// regularFile is a regular file opened for hashing.
type regularFile struct {
	f    *os.File
	name string
	size int64 // as the open file reported it
}

// openRegular opens path and checks on the open file that it is a regular
// file and, unless seen is zero, the very file the walk saw (same
// modification time and size). Where there is no O_NOFOLLOW or O_NONBLOCK, that check is
// what refuses a file replaced after the walk.
func openRegular(path string, seen fileID) (*regularFile, error) {
	const op = "hash"
	f, err := os.Open(path)
	if err != nil {
		return nil, hashStatError(op, path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, hashStatError(op, path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, protocol.E(op, protocol.Invalid, "%q is a %s, not a regular file", path, hashModeName(st.Mode()))
	}
	if seen != (fileID{}) && seen != fileIDOf(st) {
		f.Close()
		return nil, protocol.E(op, protocol.Transient, "%q was replaced by another file after it was listed", path)
	}
	return &regularFile{f: f, name: path, size: st.Size()}, nil
}

func (f *regularFile) Read(p []byte) (int, error) { return f.f.Read(p) }

func (f *regularFile) currentSize() (int64, error) {
	st, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (f *regularFile) Close() error { return f.f.Close() }
