//go:build !linux

package assetfile

import (
	"io/fs"
	"os"
)

func newGlobFS(dir string) fs.FS { return os.DirFS(dir) }
