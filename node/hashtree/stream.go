package hashtree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Defaults of Stream's options.
const (
	// DefaultMaxFiles is the most files Stream takes from one tree, and
	// the most directories, counting those reached through links: a
	// hundred times a national archive of 10^5 files, and a bound on a
	// tree whose links inside it multiply what it lists.
	DefaultMaxFiles = 1 << 24
	// DefaultRunBytes is the memory Stream gives the paths of a tree
	// before it writes them, sorted, to a file of TempDir: about 250,000
	// paths of 40 bytes, so that a tree of 10^6 files is walked and hashed
	// in a process of about 50 MB (docs/PERFORMANCE.md).
	DefaultRunBytes = 16 << 20
)

// progressEvery is how often, at most, Stream reports its progress.
const progressEvery = 100 * time.Millisecond

// Progress says how far Stream is.
type Progress struct {
	Files int64 // files hashed and emitted so far
	Bytes int64 // the total of their sizes
	// TotalFiles and TotalBytes count the files the walk listed and their
	// sizes: they grow while the tree is walked, and are final once Listed.
	TotalFiles int64
	TotalBytes int64
	Listed     bool
}

// Summary is what Stream found besides the files it emitted.
type Summary struct {
	Files   int64 // the files emitted
	Bytes   int64 // the total of their sizes, the bytes hashed
	Skipped Skipped
}

// Stream hashes the files of a tree as HashTree does, under the same rules
// (links, loops, hidden entries, special files, files changed while they
// are hashed), in memory bounded whatever the number of files, and hands
// each file to emit as soon as it and those before it are hashed, in
// ascending order of manifest.Key of their names: the order of a manifest
// (SPEC.md §3.8), which is not the walk's. The paths are sorted by an
// external merge sort: gathered in runs of opts.RunBytes, written sorted
// to a directory made in opts.TempDir when there are more, and merged.
// The directory is removed before Stream returns, whatever it returns.
//
// Before any file is hashed, Stream refuses (kind invalid) a tree of more
// than opts.MaxFiles files or directories, two paths that are one after
// Unicode normalisation (NFC), and a path that is, after NFC, a directory
// of another: no manifest can list them (SPEC.md §3.3). Files are hashed
// by opts.Workers at once, a bounded number ahead of the one emitted.
// progress, when not nil, is called at most every 100 ms, and at the end
// of the walk and at the end, from the goroutine that called Stream, as
// is emit. An error of
// emit stops Stream and is returned; so is ctx's when it is cancelled.
func Stream(ctx context.Context, root string, opts TreeOptions, progress func(Progress), emit func(File) error) (Summary, error) {
	maxFiles := opts.MaxFiles
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	return stream(ctx, root, opts, maxFiles, "the most Stream lists from one tree", progress, emit)
}

func stream(ctx context.Context, root string, opts TreeOptions, maxFiles int64, why string, progress func(Progress), emit func(File) error) (sum Summary, err error) {
	if opts.RunBytes <= 0 {
		opts.RunBytes = DefaultRunBytes
	}
	opts.RunBytes = min(opts.RunBytes, 1<<30) // a run's offsets are 32 bits
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	abs, resolved, info, err := resolveRoot(root)
	if err != nil {
		return Summary{}, err
	}
	s := &sorter{root: resolved, tempDir: opts.TempDir, runBytes: opts.RunBytes}
	defer func() {
		if cerr := s.close(); err == nil && cerr != nil {
			err = fmt.Errorf("hash: removing the sorted paths: %w", cerr)
		}
	}()
	p := &progressReport{fn: progress}
	found := func(f treeFile) error {
		p.TotalFiles++
		p.TotalBytes = addBytes(p.TotalBytes, f.size)
		p.tick(false)
		return s.add(&record{key: manifest.Key(f.name), name: f.name, disk: f.disk, id: f.id, size: f.size})
	}
	w := &treeWalk{ctx: ctx, root: resolved, opts: opts, found: found, maxFiles: maxFiles, why: why}
	switch {
	case info.Mode().IsRegular():
		name := filepath.Base(abs)
		if err := protocol.CheckPath(name); err != nil {
			return Summary{}, protocol.E("hash", protocol.Invalid, "%q: %w", root, err)
		}
		err = found(treeFile{disk: resolved, name: name, id: fileIDOf(info), size: info.Size()})
	case info.IsDir():
		err = w.dir(resolved, "", root, info)
	default:
		err = protocol.E("hash", protocol.Invalid, "%q is a %s, not a regular file or directory", root, hashModeName(info.Mode()))
	}
	if err != nil {
		return Summary{}, err
	}
	p.Listed = true
	p.tick(true)
	if err := s.each(new(pathCheck).add); err != nil {
		return Summary{}, err
	}
	sum.Skipped = w.skipped
	err = hashInOrder(ctx, s, opts.Workers, func(f File) error {
		if err := emit(f); err != nil {
			return err
		}
		sum.Files++
		sum.Bytes = addBytes(sum.Bytes, f.Size)
		p.Files, p.Bytes = sum.Files, sum.Bytes
		p.tick(false)
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	p.tick(true)
	return sum, nil
}

// addBytes adds n to a total that saturates at protocol.MaxSize:
// publishing refuses a total past it.
func addBytes(total, n int64) int64 { return min(total, protocol.MaxSize-n) + n }

// resolveRoot makes root absolute and resolves its links: "the tree" is
// what it resolves to.
func resolveRoot(root string) (abs, resolved string, info os.FileInfo, err error) {
	const op = "hash"
	if abs, err = filepath.Abs(root); err != nil {
		return "", "", nil, fmt.Errorf("%s %q: %w", op, root, err)
	}
	if resolved, err = filepath.EvalSymlinks(abs); err != nil {
		return "", "", nil, hashStatError(op, root, err)
	}
	if info, err = os.Lstat(resolved); err != nil {
		return "", "", nil, hashStatError(op, root, err)
	}
	return abs, resolved, info, nil
}

// progressReport calls a progress function at most every progressEvery.
type progressReport struct {
	Progress
	fn   func(Progress)
	last time.Time
}

func (p *progressReport) tick(force bool) {
	if p.fn == nil {
		return
	}
	if now := time.Now(); force || now.Sub(p.last) >= progressEvery {
		p.last = now
		p.fn(p.Progress)
	}
}

// pathCheck refuses, in a stream of records in key order, two paths with
// one key and a path that is a directory of another, naming both; in
// memory bounded by the length of a path. The keys that may still be a
// directory of a later one form a chain, each a prefix of the next.
type pathCheck struct {
	prev  string
	n     int64
	stack []*record
}

func (c *pathCheck) add(r *record) error {
	const op = "hash"
	if c.n++; c.n > 1 && r.key == c.prev {
		top := c.stack[len(c.stack)-1]
		return protocol.E(op, protocol.Invalid, "paths %q and %q are one path in Unicode NFC (%+q and %+q): a dataset lists a file once", top.name, r.name, top.name, r.name)
	}
	c.prev = r.key
	for len(c.stack) > 0 && !strings.HasPrefix(r.key, c.stack[len(c.stack)-1].key) {
		c.stack = c.stack[:len(c.stack)-1]
	}
	for _, d := range c.stack {
		if r.key[len(d.key)] == '/' {
			return protocol.E(op, protocol.Invalid, "path %q is a file, and in Unicode NFC a directory of path %q (%+q and %+q): no tree holds both", d.name, r.name, d.name, r.name)
		}
	}
	c.stack = append(c.stack, r)
	return nil
}

// hashInOrder hashes the records of s with workers goroutines and hands
// the files to emit in the records' order. The next records are hashed
// while emit waits for the first, at most inflight ahead of it; the first
// error in that order stops them all.
func hashInOrder(ctx context.Context, s *sorter, workers int, emit func(File) error) error {
	type result struct {
		file File
		err  error
	}
	type job struct {
		rec  record
		done chan result // buffered: a worker never waits on it
	}
	inflight := 4 * workers
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *job)
	order := make(chan *job, inflight)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			bp := hashBufs.Get().(*[]byte)
			defer hashBufs.Put(bp)
			for j := range jobs {
				d, n, err := hashOne(ctx, j.rec.disk, j.rec.id, *bp)
				j.done <- result{File{Name: j.rec.name, SHA256: d.Hex(), Size: n}, err}
			}
		})
	}
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		err := s.each(func(r *record) error {
			j := &job{rec: *r, done: make(chan result, 1)}
			select {
			case order <- j:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			return nil
		})
		if err != nil {
			cancel(err)
		}
	})
	err := func() error {
		for j := range order {
			if err := context.Cause(ctx); err != nil {
				return err
			}
			var r result
			select {
			case r = <-j.done:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			if r.err == nil {
				r.err = emit(r.file)
			}
			if r.err != nil {
				return r.err
			}
		}
		return context.Cause(ctx) // the error that stopped the records, if one did
	}()
	cancel(err)
	wg.Wait()
	return err
}
