//go:build !linux

package hashtree

import (
	"context"

	"github.com/commons-p2p/commons/protocol"
)

// hashMapped maps files on Linux only; elsewhere every file is read.
func hashMapped(context.Context, *regularFile, int64) (protocol.Digest, bool, error) {
	return protocol.Digest{}, false, nil
}
