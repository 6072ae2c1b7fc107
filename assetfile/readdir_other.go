//go:build !linux

package assetfile

import (
	"io/fs"
	"os"
)

// globPrefetch: Glob stats nothing ahead (os.DirFS does not hand its
// listings over).
const globPrefetch = false

func newGlobFS(dir string, _ *prefetch) fs.FS { return os.DirFS(dir) }
