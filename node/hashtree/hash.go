// Package hashtree hashes the files a dataset record will list: a tree
// walked as its owner sees it (SPEC.md §6.3: links, hidden entries,
// special files) and each file read once, without blocking and without
// following a link swapped in after the walk. Stream does so for a tree of
// any size, in bounded memory, in the order of a manifest (SPEC.md §3.8);
// HashTree collects what it emits for a tree that one record can list.
// Only the CLI hashes files: the daemon is told digests, and this package
// must never talk to a node, the network or the store.
package hashtree

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/commons-p2p/commons/protocol"
)

// hashBufSize is the read size of the hashers: large enough that the cost
// of a read call vanishes next to hashing what it returns.
const hashBufSize = 1 << 20

var hashBufs = sync.Pool{New: func() any { b := make([]byte, hashBufSize); return &b }}

// TreeOptions says what HashTree publishes beyond the regular files and
// directories of a tree. The zero value is the safe default.
type TreeOptions struct {
	// FollowLinks follows symbolic links that lead out of the tree. By
	// default such a link is refused: a tree must not publish a digest of
	// /etc/shadow or /proc/self/environ because a link in it says so.
	FollowLinks bool
	// IncludeHidden publishes dotfiles, dot-directories and
	// version-control directories. By default they are skipped, and
	// counted in Tree.Skipped.
	IncludeHidden bool
	// Workers is how many files are hashed at once (zero or less:
	// runtime.NumCPU()).
	Workers int
	// MaxFiles is the most files Stream takes from a tree, and the most
	// directories, counting those reached through links (zero or less:
	// DefaultMaxFiles). HashTree takes at most 65,536 whatever it says.
	MaxFiles int64
	// TempDir is where Stream makes the directory of sorted runs of paths
	// of a tree too large to sort in memory ("": os.TempDir()).
	TempDir string
	// RunBytes is the memory Stream gives the paths of a tree before it
	// writes them out, sorted, as one run (zero or less:
	// DefaultRunBytes).
	RunBytes int
}

// File is a regular file of a tree: its path inside the tree
// (slash-separated), the hex SHA-256 of its bytes and its size; the shape
// of a file of the API's dataset request.
type File struct {
	Name   string
	SHA256 string
	Size   int64
}

// Tree is what HashTree found under a root: the files of a dataset record,
// the total of their sizes, and what it left out.
type Tree struct {
	Files   []File
	Bytes   int64
	Skipped Skipped
}

// Skipped says what HashTree left out of a tree. A skipped directory counts
// once and is not read.
type Skipped struct {
	Hidden int      `json:"hidden"` // dotfiles and dot-directories: .env, .DS_Store, .cache/
	VCS    int      `json:"vcs"`    // version-control directories: .git/, .hg/, .svn/, .bzr/, _darcs/, CVS/
	Paths  []string `json:"paths"`  // the first MaxSkippedShown, in walk order; directories end in "/"
}

// MaxSkippedShown is how many skipped paths Skipped lists.
const MaxSkippedShown = 8

// Total is the number of entries skipped.
func (s Skipped) Total() int { return s.Hidden + s.VCS }

// HashTree hashes the files of a dataset on the client's side, so that the
// daemon needs no access to them. root is a directory, whose regular files
// are listed by their slash-separated paths below it, or a single file,
// listed by its base name; root itself may be a symbolic link, which is
// resolved first, and "the tree" is then what it resolves to. Entries are
// sorted by manifest.Key of their names, NFC byte order, as Stream emits
// them; Bytes is the total of their sizes, the bytes hashed. HashTree is
// Stream collecting its files, bounded to 65,536 files: no record could
// list more.
//
// Inside the tree, a symbolic link is followed to a regular file or a
// directory, listed under the link's own path: the dataset is what a
// reader of the tree sees. A link that resolves outside the tree is
// refused unless opts.FollowLinks; one that leads back into a directory
// that contains it is a loop and refused; a dangling link, a link to
// anything else and any special file (device, pipe, socket) are refused.
// Dotfiles and version-control directories are skipped unless
// opts.IncludeHidden, and a link into one is skipped with them. Each file
// is opened without following a link and without blocking, and hashed
// only if it is still the regular file the walk saw, with the size it
// reported (see hashOne). Every refusal is an error naming the path.
func HashTree(ctx context.Context, root string, opts TreeOptions) (Tree, error) {
	var files []File
	sum, err := stream(ctx, root, opts, maxTreeFiles, "more than a dataset record can list", nil, func(f File) error {
		files = append(files, f)
		return nil
	})
	if err != nil {
		return Tree{}, err
	}
	return Tree{Files: files, Bytes: sum.Bytes, Skipped: sum.Skipped}, nil
}

// HashFile is HashFileContext without a way to cancel it.
func HashFile(path string) (protocol.Digest, int64, error) {
	return HashFileContext(context.Background(), path)
}

// HashFileContext returns the sha2-256 digest of the file at path and the
// number of bytes hashed. A symbolic link named as path is followed, since
// the caller named it; what it resolves to is opened and checked as
// HashTree opens and checks each file. Anything but a regular file is
// refused, and cancelling ctx stops the hash within one read.
func HashFileContext(ctx context.Context, path string) (protocol.Digest, int64, error) {
	const op = "hash"
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return protocol.Digest{}, 0, hashStatError(op, path, err)
	}
	st, err := os.Lstat(resolved)
	if err != nil {
		return protocol.Digest{}, 0, hashStatError(op, path, err)
	}
	if !st.Mode().IsRegular() {
		return protocol.Digest{}, 0, protocol.E(op, protocol.Invalid, "%q is a %s, not a regular file", path, hashModeName(st.Mode()))
	}
	bp := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(bp)
	return hashOne(ctx, resolved, fileIDOf(st), *bp)
}

// hashOne hashes the regular file at path, which must still be the file
// seen (zero: any regular file). It opens the file as openRegular does, so
// that a pipe, a device or a link put in its place is refused rather than
// read, and hashes it through a memory map when it is large (see
// hashMapped), else through buf, checking ctx between reads.
//
// The size the open file reports is the size the record states, and the
// bytes hashed must match it: a file that reads more or less than its size
// (a kernel file of /proc or /sys reports 0 and has content) is refused,
// and reading stops one buffer past the size, so such a file is never
// read to its end. A file whose size changes while it is hashed is
// refused as well; hashing it again may succeed.
func hashOne(ctx context.Context, path string, seen fileID, buf []byte) (protocol.Digest, int64, error) {
	const op = "hash"
	var d protocol.Digest
	f, err := openRegular(path, seen)
	if err != nil {
		return d, 0, err
	}
	defer f.Close()
	size := f.size
	d, ok, err := hashMapped(ctx, f, size)
	if err != nil {
		return protocol.Digest{}, 0, err
	}
	n := size
	if !ok {
		if d, n, err = hashRead(ctx, f, size, buf); err != nil {
			return protocol.Digest{}, 0, err
		}
	}
	now, err := f.currentSize()
	if err != nil {
		return protocol.Digest{}, 0, fmt.Errorf("%s %q: %w", op, path, err)
	}
	if now != size {
		return protocol.Digest{}, 0, protocol.E(op, protocol.Transient, "%q changed while it was being hashed: %d bytes when opened, %d after", path, size, now)
	}
	if n != size {
		read := fmt.Sprintf("%d", n)
		if n > size {
			read = "more"
		}
		return protocol.Digest{}, 0, protocol.E(op, protocol.Invalid, "%q reports %d bytes but reading it gave %s: a kernel or device file (as in /proc or /sys), not stored data", path, size, read)
	}
	return d, n, nil
}

// hashRead hashes f through buf until its end, or until it has given more
// than size bytes. It reads by hand rather than with io.Copy, which would
// hand the file its own WriteTo and a small buffer.
func hashRead(ctx context.Context, f *regularFile, size int64, buf []byte) (protocol.Digest, int64, error) {
	var d protocol.Digest
	h := sha256.New()
	var n int64
	for n <= size {
		if err := ctx.Err(); err != nil {
			return d, 0, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, 0, err
		}
	}
	h.Sum(d[:0])
	return d, n, nil
}

// hashStatError names the path and keeps the kind: absent is NotFound.
func hashStatError(op, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return protocol.E(op, protocol.NotFound, "%q does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		return protocol.E(op, protocol.Forbidden, "%q: permission denied", path)
	}
	if inner := errors.Unwrap(err); inner != nil { // a *fs.PathError: the path is said already
		err = inner
	}
	return fmt.Errorf("%s %q: %w", op, path, err)
}

func hashModeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeDir != 0:
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "special file"
}
