//go:build !linux

package storetest

import "testing"

// SmallFilesystem skips the test: mounting a small filesystem to fill is
// done on Linux only.
func SmallFilesystem(t testing.TB) string {
	t.Helper()
	t.Skip("a small filesystem to fill is mounted on Linux only")
	return ""
}
