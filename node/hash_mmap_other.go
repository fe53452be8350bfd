//go:build !linux

package node

import (
	"context"
	"os"

	"github.com/commons-p2p/commons/protocol"
)

// hashMapped maps files on Linux only; elsewhere every file is read.
func hashMapped(context.Context, *os.File, int64) (protocol.Digest, bool, error) {
	return protocol.Digest{}, false, nil
}
