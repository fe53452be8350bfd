//go:build unix

package hashtree

import (
	"errors"
	"io"
	"io/fs"
	"syscall"

	"github.com/commons-p2p/commons/protocol"
)

// regularFile is a regular file opened for hashing. Its descriptor stays
// non-blocking and is read with read(2) directly, not through os.File,
// whose poller would wait on a kernel file that can be polled (/proc/kmsg)
// instead of saying that it would block.
type regularFile struct {
	fd   int
	name string
	size int64 // as fstat reported it when the file was opened
}

// openRegular opens path without following a symbolic link in its last
// component (O_NOFOLLOW) and without blocking (O_NONBLOCK: opening a FIFO
// does not wait for a writer), then checks on the descriptor that it is a
// regular file and, unless seen is zero, the very file the walk saw (same
// device and inode). A file replaced by a pipe, a device, a link or
// another file between the walk and the open is refused, never read.
func openRegular(path string, seen fileID) (*regularFile, error) {
	const op = "hash"
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case err == syscall.ELOOP || err == syscall.EMLINK: // EMLINK: FreeBSD's answer to O_NOFOLLOW
		return nil, protocol.E(op, protocol.Transient, "%q became a symbolic link after it was listed", path)
	case err != nil:
		return nil, hashStatError(op, path, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, hashStatError(op, path, &fs.PathError{Op: "fstat", Path: path, Err: err})
	}
	if typ := st.Mode & syscall.S_IFMT; typ != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, protocol.E(op, protocol.Invalid, "%q is a %s, not a regular file", path, statTypeName(uint32(typ)))
	}
	if seen != (fileID{}) && seen != fileIDOfStat(&st) {
		syscall.Close(fd)
		return nil, protocol.E(op, protocol.Transient, "%q was replaced by another file after it was listed", path)
	}
	return &regularFile{fd: fd, name: path, size: st.Size}, nil
}

func statOf(info fs.FileInfo) (*syscall.Stat_t, bool) {
	if info == nil {
		return nil, false
	}
	s, ok := info.Sys().(*syscall.Stat_t)
	return s, ok
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR {
			return err
		}
	}
}

// Read reads once. A read that would block is an error: a regular file of
// a disk never blocks, so this one is a kernel or device file.
func (f *regularFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case errors.Is(err, syscall.EAGAIN):
			return 0, protocol.E("hash", protocol.Invalid, "%q would block on read: a kernel or device file, not stored data", f.name)
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		case n <= 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// currentSize is the file's size now, to tell whether it changed while it
// was hashed.
func (f *regularFile) currentSize() (int64, error) {
	var st syscall.Stat_t
	if err := fstat(f.fd, &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

func (f *regularFile) Close() error { return syscall.Close(f.fd) }

func statTypeName(typ uint32) string {
	switch typ {
	case syscall.S_IFDIR:
		return "directory"
	case syscall.S_IFLNK:
		return "symbolic link"
	case syscall.S_IFIFO:
		return "named pipe"
	case syscall.S_IFSOCK:
		return "socket"
	case syscall.S_IFCHR:
		return "character device"
	case syscall.S_IFBLK:
		return "device"
	}
	return "special file"
}
