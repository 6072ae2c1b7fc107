package pgtest

import "syscall"

// serverAttr runs the server as cred in its own process group, and has the
// kernel send it SIGQUIT should the test binary die first.
func serverAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
}
