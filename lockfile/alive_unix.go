//go:build unix

package lockfile

import (
	"errors"
	"syscall"
)

// processAlive reports whether pid is a running process on this machine.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
