package testnet

import "syscall"

// dieWithParent makes the kernel kill a daemon when the process that
// started it dies, so that no daemon of a test outlives the test binary.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
