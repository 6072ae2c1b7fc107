package filekind_test

import (
	"io/fs"
	"testing"

	"github.com/wxmedia/wxmedia/internal/filekind"
)

func TestDescribe(t *testing.T) {
	for m, want := range map[fs.FileMode]string{
		fs.ModeSymlink | 0o777:            "a symbolic link",
		fs.ModeDir | 0o755:                "a directory",
		fs.ModeNamedPipe | 0o644:          "a named pipe",
		fs.ModeSocket:                     "a socket",
		fs.ModeDevice | fs.ModeCharDevice: "a device",
		fs.ModeDevice:                     "a device",
		0o644:                             "a regular file",
		fs.ModeIrregular:                  "of type ?---------",
	} {
		if got := filekind.Describe(m); got != want {
			t.Errorf("Describe(%v) = %q, want %q", m, got, want)
		}
	}
}
