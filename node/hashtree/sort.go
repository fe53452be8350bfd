package hashtree

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// record is a file of the walk as the sort holds it.
type record struct {
	key  string // manifest.Key(name): the order of the files
	name string
	disk string
	id   fileID
	size int64
}

// Record bytes: uvarint(len(key)) ‖ key ‖ flags ‖ [uvarint(len(name)) ‖
// name] ‖ [uvarint(len(disk)) ‖ disk] ‖ uvarint(size) ‖ uvarint(id[0]) ‖
// uvarint(id[1]). The name is left out when it is the key (a path in NFC,
// the common case), the disk path when it is the name's place under the
// root (a file reached through no link).
const (
	recName = 1 << iota
	recDisk
)

// sorter sorts records by key in bounded memory, an external merge sort:
// records gather in a run of at most runBytes bytes, which is sorted and,
// when it is full, written to a file of its own; the iteration merges the
// files. A tree that fits in one run never touches the disk.
type sorter struct {
	root     string // the tree's root, absolute and clean
	tempDir  string // where the directory of runs is made ("": os.TempDir())
	runBytes int

	arena  []byte   // the records of the run being gathered
	offs   []uint32 // where each record of the arena begins
	sorted bool     // offs is in key order

	dir  string   // the directory of runs, made at the first spill
	runs []string // the run files, each in key order
}

func (s *sorter) add(r *record) error {
	most := len(r.key) + len(r.name) + len(r.disk) + 1 + 6*binary.MaxVarintLen64 // the record's bytes, at most
	if len(s.arena) > 0 && len(s.arena)+most+4*(len(s.offs)+1) > s.runBytes {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if cap(s.arena) == 0 {
		// The whole run at once, so that the arena never grows by copying
		// itself (which holds both copies for a while); pages the run never
		// writes are not touched.
		s.arena = make([]byte, 0, s.runBytes)
	}
	s.offs = append(s.offs, uint32(len(s.arena)))
	s.arena = s.appendRecord(s.arena, r)
	s.sorted = false
	return nil
}

// isDefaultDisk reports whether disk is name's place under the root.
func (s *sorter) isDefaultDisk(name, disk string) bool {
	rest, ok := strings.CutPrefix(disk, s.root)
	return ok && !strings.HasSuffix(s.root, string(filepath.Separator)) &&
		len(rest) > 1 && rest[0] == filepath.Separator && rest[1:] == filepath.FromSlash(name)
}

func (s *sorter) appendRecord(b []byte, r *record) []byte {
	var flags byte
	if r.name != r.key {
		flags |= recName
	}
	if !s.isDefaultDisk(r.name, r.disk) {
		flags |= recDisk
	}
	b = appendText(b, r.key)
	b = append(b, flags)
	if flags&recName != 0 {
		b = appendText(b, r.name)
	}
	if flags&recDisk != 0 {
		b = appendText(b, r.disk)
	}
	b = binary.AppendUvarint(b, uint64(r.size))
	b = binary.AppendUvarint(b, r.id[0])
	return binary.AppendUvarint(b, r.id[1])
}

func appendText(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// keyAt is the key of the record at off in the arena.
func (s *sorter) keyAt(off uint32) []byte {
	n, k := binary.Uvarint(s.arena[off:])
	start := int(off) + k
	return s.arena[start : start+int(n)]
}

func (s *sorter) sortRun() {
	if !s.sorted {
		// Stable: paths of one key stay in walk order, as the merge keeps
		// them, so that a refusal names them alike however they were sorted.
		slices.SortStableFunc(s.offs, func(a, b uint32) int { return bytes.Compare(s.keyAt(a), s.keyAt(b)) })
		s.sorted = true
	}
}

// spill writes the run gathered so far to a file and empties it.
func (s *sorter) spill() (err error) {
	s.sortRun()
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp(s.tempDir, "commons-hashtree-"); err != nil {
			return fmt.Errorf("hash: a directory for sorting the paths: %w", err)
		}
	}
	name := filepath.Join(s.dir, fmt.Sprintf("run-%06d", len(s.runs)))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("hash: sorting the paths: %w", err)
	}
	s.runs = append(s.runs, name)
	w := bufio.NewWriterSize(f, 1<<20)
	for _, off := range s.offs {
		w.Write(s.arena[off : int(off)+recordSize(s.arena[off:])])
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hash: sorting the paths: %w", err)
	}
	s.arena, s.offs = s.arena[:0], s.offs[:0]
	return nil
}

// recordSize is the length of the record b begins with, which the arena
// wrote itself.
func recordSize(b []byte) int {
	i := 0
	uvarint := func() int { n, k := binary.Uvarint(b[i:]); i += k; return int(n) }
	text := func() { n := uvarint(); i += n }
	text() // the key
	flags := b[i]
	i++
	if flags&recName != 0 {
		text()
	}
	if flags&recDisk != 0 {
		text()
	}
	uvarint() // size
	uvarint() // id
	uvarint()
	return i
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// readRecord decodes the next record of r; io.EOF when r ends before it.
func readRecord(r byteReader, root string) (rec record, err error) {
	text := func() (string, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return "", err
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	if rec.key, err = text(); err != nil {
		return rec, err // io.EOF at a record's start: the end
	}
	defer func() {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
	}()
	flags, err := r.ReadByte()
	if err != nil {
		return rec, err
	}
	rec.name = rec.key
	if flags&recName != 0 {
		if rec.name, err = text(); err != nil {
			return rec, err
		}
	}
	if flags&recDisk != 0 {
		if rec.disk, err = text(); err != nil {
			return rec, err
		}
	} else {
		rec.disk = root + string(filepath.Separator) + filepath.FromSlash(rec.name)
	}
	size, err := binary.ReadUvarint(r)
	if err != nil {
		return rec, err
	}
	rec.size = int64(size)
	if rec.id[0], err = binary.ReadUvarint(r); err != nil {
		return rec, err
	}
	rec.id[1], err = binary.ReadUvarint(r)
	return rec, err
}

// each calls fn with every record in key order, reading the runs spilled
// (and spilling the last one first) or, when nothing was spilled, the
// arena. It may be called more than once.
func (s *sorter) each(fn func(*record) error) error {
	if len(s.runs) == 0 {
		s.sortRun()
		for _, off := range s.offs {
			rec, err := readRecord(bytes.NewReader(s.arena[off:]), s.root)
			if err != nil {
				panic("hashtree: a record of the arena does not decode: " + err.Error())
			}
			if err := fn(&rec); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.offs) > 0 {
		if err := s.spill(); err != nil {
			return err
		}
		s.arena, s.offs = nil, nil // all on disk now: the memory goes back
	}
	return s.merge(fn)
}

// merge reads the runs side by side, taking the least key each time. The
// runs are few (a tree of the most files Stream takes, in runs of the
// default size, makes a few dozen), so the least is found by looking at
// each.
func (s *sorter) merge(fn func(*record) error) error {
	type head struct {
		f   *os.File
		r   *bufio.Reader
		rec record
		ok  bool
	}
	heads := make([]*head, 0, len(s.runs))
	defer func() {
		for _, h := range heads {
			h.f.Close()
		}
	}()
	advance := func(h *head) error {
		rec, err := readRecord(h.r, s.root)
		switch {
		case err == io.EOF:
			h.ok = false
			return nil
		case err != nil:
			return fmt.Errorf("hash: reading back the sorted paths in %s: %w", h.f.Name(), err)
		}
		h.rec, h.ok = rec, true
		return nil
	}
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("hash: reading back the sorted paths: %w", err)
		}
		h := &head{f: f, r: bufio.NewReaderSize(f, 64<<10)}
		heads = append(heads, h)
		if err := advance(h); err != nil {
			return err
		}
	}
	for {
		var least *head
		for _, h := range heads {
			if h.ok && (least == nil || h.rec.key < least.rec.key) {
				least = h
			}
		}
		if least == nil {
			return nil
		}
		rec := least.rec
		if err := fn(&rec); err != nil {
			return err
		}
		if err := advance(least); err != nil {
			return err
		}
	}
}

// close removes the runs.
func (s *sorter) close() error {
	if s.dir == "" {
		return nil
	}
	return os.RemoveAll(s.dir)
}
