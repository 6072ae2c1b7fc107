// Command wxmedia uploads WeChat Pay media the way Terraform manages
// infrastructure: declare files in wxmedia.yaml, review a plan, apply it, and
// read the returned IDs from wxmedia.lock.json.
//
// This package is only the process's entry: os.Args and the standard
// streams go to the command layer (internal/command), its exit code to
// os.Exit. It also holds the build stamp.
package main

import (
	"io"
	"os"

	"github.com/wxmedia/wxmedia/internal/command"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program but for the process exit, as the end-to-end
// tests run it in process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return command.Run(version, args, stdin, stdout, stderr)
}
