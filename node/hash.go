package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/commons-p2p/commons/protocol"
)

// hashBufSize is the read size of the hashers: large enough that the cost
// of a read call vanishes next to hashing what it returns.
const hashBufSize = 1 << 20

var hashBufs = sync.Pool{New: func() any { b := make([]byte, hashBufSize); return &b }}

// HashTree hashes the files of a dataset on the client's side, so that the
// daemon needs no access to them. root is a directory, whose regular files
// are listed by their slash-separated paths below it, or a single file,
// listed by its base name. Entries are sorted by name; the second result is
// the total of their sizes. workers goroutines hash in parallel (zero or
// less: runtime.NumCPU()).
//
// Nothing is skipped silently, hidden files included. Empty directories
// hold no file and leave no trace. A symbolic link to a regular file is
// hashed as that file, under the link's own path: the dataset is what a
// reader of the tree sees. A link to a directory, a dangling link and any
// special file (device, pipe, socket) is refused with an error naming it,
// as is a path that protocol.CheckPath refuses.
func HashTree(ctx context.Context, root string, workers int) ([]FileEntry, int64, error) {
	const op = "hash"
	st, err := os.Stat(root)
	if err != nil {
		return nil, 0, hashStatError(op, root, err)
	}
	var paths []string // on disk
	var files []FileEntry
	switch {
	case st.Mode().IsRegular():
		name := filepath.Base(root)
		if err := protocol.CheckPath(name); err != nil {
			return nil, 0, protocol.E(op, protocol.Invalid, "%s: %w", root, err)
		}
		paths, files = []string{root}, []FileEntry{{Name: name}}
	case st.IsDir():
		// WalkDir does not descend into a root that is itself a link.
		if root, err = filepath.EvalSymlinks(root); err != nil {
			return nil, 0, hashStatError(op, root, err)
		}
		if paths, files, err = hashList(ctx, root); err != nil {
			return nil, 0, err
		}
	default:
		return nil, 0, protocol.E(op, protocol.Invalid, "%s is a %s, not a regular file or directory", root, hashModeName(st.Mode()))
	}
	if err := hashAll(ctx, paths, files, workers); err != nil {
		return nil, 0, err
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	return files, total, nil
}

// hashList walks root and returns the files to hash, sorted by their names
// in the dataset.
func hashList(ctx context.Context, root string) ([]string, []FileEntry, error) {
	const op = "hash"
	type file struct{ path, name string }
	var found []file
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return hashStatError(op, p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		name := filepath.ToSlash(rel)
		if err := protocol.CheckPath(name); err != nil {
			return protocol.E(op, protocol.Invalid, "%s: %w", p, err)
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				return protocol.E(op, protocol.Invalid, "%s is a symbolic link to nothing: %v", p, errors.Unwrap(err))
			}
			mode = st.Mode().Type()
			if st.IsDir() {
				return protocol.E(op, protocol.Invalid, "%s is a symbolic link to a directory, which a dataset does not follow; copy the directory in or list it separately", p)
			}
		}
		if !mode.IsRegular() {
			return protocol.E(op, protocol.Invalid, "%s is a %s, not a regular file", p, hashModeName(mode))
		}
		found = append(found, file{p, name})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(found, func(a, b file) int {
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	paths := make([]string, len(found))
	files := make([]FileEntry, len(found))
	for i, f := range found {
		paths[i], files[i].Name = f.path, f.name
	}
	return paths, files, nil
}

// hashAll fills in the digests and sizes of files from paths, with workers
// goroutines taking the next file as they finish one. The first error stops
// them all.
func hashAll(ctx context.Context, paths []string, files []FileEntry, workers int) error {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, len(paths))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || next == len(paths) {
			return -1
		}
		next++
		return next - 1
	}
	for range workers {
		wg.Go(func() {
			bp := hashBufs.Get().(*[]byte)
			defer hashBufs.Put(bp)
			for i := take(); i >= 0; i = take() {
				d, n, err := hashPath(ctx, paths[i], *bp)
				if err != nil {
					cancel(err)
					return
				}
				files[i].SHA256, files[i].Size = d.Hex(), n
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// HashFile returns the sha2-256 digest and size of the file at path
// (following a symbolic link). It refuses anything but a regular file.
func HashFile(path string) (protocol.Digest, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return protocol.Digest{}, 0, hashStatError("hash", path, err)
	}
	if !st.Mode().IsRegular() {
		return protocol.Digest{}, 0, protocol.E("hash", protocol.Invalid, "%s is a %s, not a regular file", path, hashModeName(st.Mode()))
	}
	bp := hashBufs.Get().(*[]byte)
	defer hashBufs.Put(bp)
	return hashPath(context.Background(), path, *bp)
}

// hashPath hashes one file: through a memory map when it is large (see
// hashMapped), else through buf. It reads by hand rather than with io.Copy,
// which would hand the file its own WriteTo and a small buffer.
func hashPath(ctx context.Context, path string, buf []byte) (protocol.Digest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return protocol.Digest{}, 0, hashStatError("hash", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		d, ok, err := hashMapped(ctx, f, st.Size())
		if ok {
			if err != nil {
				return protocol.Digest{}, 0, err
			}
			return d, st.Size(), nil
		}
	}
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return protocol.Digest{}, 0, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return protocol.Digest{}, 0, fmt.Errorf("hash %s: %w", path, err)
		}
	}
	var d protocol.Digest
	h.Sum(d[:0])
	return d, n, nil
}

// hashStatError names the path and keeps the kind: absent is NotFound.
func hashStatError(op, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return protocol.E(op, protocol.NotFound, "%s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		return protocol.E(op, protocol.Forbidden, "%s: permission denied", path)
	}
	return fmt.Errorf("%s: %w", op, err)
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
