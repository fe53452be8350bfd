package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestWriteErrorKinds: a write that the filesystem refuses for lack of
// space is NoSpace however deep the error is wrapped, a refusal keeps its
// kind, and anything else is Other.
func TestWriteErrorKinds(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want protocol.Kind
	}{
		{"ENOSPC in a path error", fmt.Errorf("sync manifest: %w", &fs.PathError{Op: "write", Path: "MANIFEST", Err: syscall.ENOSPC}), protocol.NoSpace},
		{"a refusal", protocol.E("put", protocol.Forbidden, "no"), protocol.Forbidden},
		{"EIO", &fs.PathError{Op: "write", Path: "000001.vlog", Err: syscall.EIO}, protocol.Other},
	} {
		got := writeError("put objects", tt.err)
		if protocol.KindOf(got) != tt.want || !errors.Is(got, tt.err) && tt.want != protocol.Forbidden {
			t.Errorf("%s: %v (kind %s), want kind %s", tt.name, got, protocol.KindOf(got), tt.want)
		}
	}
}
