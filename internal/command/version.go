package command

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// `wxmedia version` (and -version).

func init() {
	register(&command{name: "version", synopsis: "print the version, Go version and commit", args: simple(runVersion).args})
}

func runVersion(c *cli, args []string) int {
	commit, modVersion := "unknown", c.version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			modVersion = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if c.json {
		return c.printJSON(map[string]string{"version": modVersion, "go": runtime.Version(), "commit": commit})
	}
	fmt.Fprintf(c.stdout, "wxmedia %s\n%s %s/%s\ncommit %s\n", modVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH, commit)
	return ExitOK
}
