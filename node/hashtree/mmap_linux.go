package hashtree

import (
	"context"
	"crypto/sha256"
	"runtime/debug"
	"syscall"

	"github.com/commons-p2p/commons/protocol"
)

// Large files are hashed through a memory map rather than read(2): reading
// copies every byte from the page cache into a buffer, which costs about a
// sixth of sha256's own time; mapping hashes the page cache in place.
// Measured by BenchmarkHashTree against BenchmarkSHA256Raw.
const (
	hashMapMin    = 4 << 20 // smaller files are read: a mapping's setup costs more than the copy it saves
	hashMapWindow = 8 << 20 // mapped pages are populated, and the next window read ahead, this much at a time
)

// madvPopulateRead (Linux 5.14) maps a range's pages in one call instead of
// one fault per page; older kernels refuse it and the faults happen anyway.
const madvPopulateRead = 22

// hashMapped hashes the first size bytes of f through a memory map. ok is
// false when the file cannot be mapped, and the caller reads it instead.
func hashMapped(ctx context.Context, f *regularFile, size int64) (d protocol.Digest, ok bool, err error) {
	if size < hashMapMin || int64(int(size)) != size {
		return d, false, nil
	}
	m, err := syscall.Mmap(f.fd, 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return d, false, nil
	}
	defer syscall.Munmap(m)
	// A file truncated under the mapping faults (SIGBUS) on the pages it
	// lost: turn that into an error, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			ok, err = true, protocol.E("hash", protocol.Transient, "%s shrank while it was being hashed", f.name)
		}
	}()
	h := sha256.New()
	for off := 0; off < len(m); off += hashMapWindow {
		if err := ctx.Err(); err != nil {
			return d, true, err
		}
		w := m[off:min(off+hashMapWindow, len(m))]
		if next := off + hashMapWindow; next < len(m) {
			syscall.Madvise(m[next:min(next+hashMapWindow, len(m))], syscall.MADV_WILLNEED)
		}
		syscall.Madvise(w, madvPopulateRead)
		h.Write(w)
	}
	h.Sum(d[:0])
	return d, true, nil
}
