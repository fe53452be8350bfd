package storetest

import (
	"syscall"
	"testing"
)

// SmallFilesystem mounts a 128 MiB tmpfs (whose files, like Badger's
// memory-mapped logs, raise SIGBUS when a page cannot be allocated) and
// unmounts it when the test ends. It skips the test where mounting is not
// allowed (it needs root).
func SmallFilesystem(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("commons-test", dir, "tmpfs", 0, "size=128m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small filesystem to fill (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}
