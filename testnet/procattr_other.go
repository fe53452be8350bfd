//go:build unix && !linux

package testnet

import "syscall"

// dieWithParent: only Linux can have a child killed with its parent; the
// daemons of a test elsewhere are stopped by the test's cleanup.
func dieWithParent() *syscall.SysProcAttr { return nil }
