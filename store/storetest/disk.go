package storetest

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
)

// Ballast writes a file of size bytes at path or, with size -1, fills the
// filesystem until it refuses (ENOSPC).
func Ballast(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xa5}, 1<<20)
	for written := int64(0); size < 0 || written < size; {
		b := chunk
		if size >= 0 && size-written < int64(len(b)) {
			b = b[:size-written]
		}
		n, err := f.Write(b)
		written += int64(n)
		if errors.Is(err, syscall.ENOSPC) && size < 0 {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
