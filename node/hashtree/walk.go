package hashtree

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// A dataset record holds at most protocol.MaxEnvelopeSize bytes and each
// file takes at least its 64 hex digits there, so HashTree refuses a tree
// with more files, which no record could list. The same bound on
// directories stops a walk that links inside the tree multiply (a/x → b,
// a/y → b, b/x → c, …); Stream has the same two bounds, larger.
const maxTreeFiles = protocol.MaxEnvelopeSize / 64

// vcsDirs are the version-control directories skipped with the hidden
// files. Those whose names start with a dot are hidden anyway; they are
// listed to be counted as what they are.
var vcsDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".bzr": true, ".pijul": true, ".jj": true,
	"_darcs": true, "CVS": true,
}

// skipReason says why an entry named name is skipped by default: "vcs",
// "hidden", or "" when it is not.
func skipReason(name string, dir bool) string {
	switch {
	case vcsDirs[name] && (dir || strings.HasPrefix(name, ".")):
		return "vcs"
	case strings.HasPrefix(name, "."):
		return "hidden"
	}
	return ""
}

// treeFile is a file the walk found.
type treeFile struct {
	disk string // where it is read: the walked path, or a link's resolved target
	name string // its path in the dataset
	id   fileID // the file the walk saw at disk, which the open must find again
	size int64  // its size when the walk saw it
}

// treeWalk lists the files of a tree under the rules of HashTree, handing
// each to found in walk order.
type treeWalk struct {
	ctx      context.Context
	root     string // absolute, links resolved
	opts     TreeOptions
	found    func(treeFile) error
	maxFiles int64  // files, and directories, the walk takes before it refuses the tree
	why      string // what the refusal at maxFiles says the limit is
	files    int64
	dirs     int64
	stack    []walkedDir // the directories being walked, root first
	skipped  Skipped
}

type walkedDir struct {
	info fs.FileInfo
	disk string
}

// dir lists the directory at disk, named name in the dataset ("" for the
// root), reached through via (the link that led here, or disk itself). A
// directory reached again below itself, through a link or a bind mount,
// is a loop.
func (w *treeWalk) dir(disk, name, via string, info fs.FileInfo) error {
	const op = "hash"
	for _, a := range w.stack {
		if os.SameFile(a.info, info) {
			return protocol.E(op, protocol.Invalid, "%q leads back to %q, which contains it: a loop", via, a.disk)
		}
	}
	if w.dirs++; w.dirs > w.maxFiles {
		return protocol.E(op, protocol.Invalid, "the tree has over %d directories, counting those reached through links", w.maxFiles)
	}
	entries, err := readDirNames(disk)
	if err != nil {
		return hashStatError(op, disk, err)
	}
	w.stack = append(w.stack, walkedDir{info, disk})
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := w.entry(filepath.Join(disk, e), path.Join(name, e), e); err != nil {
			return err
		}
	}
	return nil
}

// readDirNames lists the names in the directory at disk, sorted. Names
// alone, not os.ReadDir's entries: a directory of a million files then
// takes tens of megabytes while it is walked, not hundreds.
func readDirNames(disk string) ([]string, error) {
	f, err := os.Open(disk)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

// entry takes the directory entry base: skips it, lists it, follows it or
// refuses it.
func (w *treeWalk) entry(disk, name, base string) error {
	const op = "hash"
	info, err := os.Lstat(disk)
	if err != nil {
		return hashStatError(op, disk, err)
	}
	typ := info.Mode().Type()
	if reason := skipReason(base, typ.IsDir()); reason != "" && !w.opts.IncludeHidden {
		w.skip(name, typ.IsDir(), reason)
		return nil
	}
	if err := protocol.CheckPath(name); err != nil {
		return protocol.E(op, protocol.Invalid, "%q: %w", disk, err)
	}
	if typ&fs.ModeSymlink != 0 {
		return w.link(disk, name)
	}
	if !typ.IsDir() && !typ.IsRegular() {
		return protocol.E(op, protocol.Invalid, "%q is a %s, not a regular file", disk, hashModeName(typ))
	}
	if typ.IsDir() {
		return w.dir(disk, name, disk, info)
	}
	return w.file(disk, name, info)
}

// link follows the symbolic link at disk, under the rules of HashTree.
func (w *treeWalk) link(disk, name string) error {
	const op = "hash"
	target, err := filepath.EvalSymlinks(disk)
	if err != nil {
		dest, _ := os.Readlink(disk)
		if errors.Is(err, fs.ErrNotExist) {
			return protocol.E(op, protocol.Invalid, "%q is a symbolic link to nothing (%q)", disk, dest)
		}
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			err = pe.Err
		}
		return protocol.E(op, protocol.Invalid, "symbolic link %q to %q does not resolve: %v", disk, dest, err)
	}
	inside := within(w.root, target)
	if !inside && !w.opts.FollowLinks {
		return protocol.E(op, protocol.Invalid, "symbolic link %q points outside the tree, to %q; --follow-links publishes what it points to", disk, target)
	}
	info, err := os.Lstat(target)
	if err != nil {
		return hashStatError(op, target, err)
	}
	if inside && !w.opts.IncludeHidden {
		if reason := hiddenWithin(w.root, target, info.IsDir()); reason != "" {
			w.skip(name, info.IsDir(), reason)
			return nil
		}
	}
	switch {
	case info.IsDir():
		return w.dir(target, name, disk, info)
	case info.Mode().IsRegular():
		return w.file(target, name, info)
	}
	return protocol.E(op, protocol.Invalid, "%q is a symbolic link to a %s (%q), not to a regular file or directory", disk, hashModeName(info.Mode()), target)
}

func (w *treeWalk) file(disk, name string, info fs.FileInfo) error {
	if w.files == w.maxFiles {
		return protocol.E("hash", protocol.Invalid, "the tree has over %d files, %s", w.maxFiles, w.why)
	}
	w.files++
	return w.found(treeFile{disk: disk, name: name, id: fileIDOf(info), size: info.Size()})
}

func (w *treeWalk) skip(name string, dir bool, reason string) {
	if reason == "vcs" {
		w.skipped.VCS++
	} else {
		w.skipped.Hidden++
	}
	if len(w.skipped.Paths) < MaxSkippedShown {
		if dir {
			name += "/"
		}
		w.skipped.Paths = append(w.skipped.Paths, name)
	}
}

// within reports whether target is root or below it; both are absolute,
// clean and free of links.
func within(root, target string) bool {
	rel, err := filepath.Rel(root, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// hiddenWithin is the skip reason of the first hidden or version-control
// component of target below root, so that a link is no way round the rule.
func hiddenWithin(root, target string, dir bool) string {
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == "." {
		return ""
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		if r := skipReason(p, dir || i < len(parts)-1); r != "" {
			return r
		}
	}
	return ""
}
