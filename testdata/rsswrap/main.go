// Command rsswrap runs a command and prints its peak RSS in KiB on stderr's
// last line. BenchmarkApplyPeakRSS runs the binary under test through it:
// Linux carries a process's peak RSS across exec, and a child that Go starts
// with vfork inherits the (large) benchmark process's peak, whereas a child
// of this small process starts from this process's.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "\nmaxrss-kib %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	os.Exit(cmd.ProcessState.ExitCode())
}
