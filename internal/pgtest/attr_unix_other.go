//go:build unix && !linux

package pgtest

import "syscall"

// serverAttr runs the server as cred in its own process group. Only Linux
// has a parent-death signal: elsewhere a server whose test binary died is
// removed by the next run (removeStale).
func serverAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Setpgid: true}
}
