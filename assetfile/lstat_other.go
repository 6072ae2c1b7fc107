//go:build !linux

package assetfile

import (
	"io/fs"
	"os"
)

// lstatDir stats each file by its whole path where fstatat is not wired
// up.
type lstatDir struct{}

func openLstatDir(string) *lstatDir { return nil }

func (*lstatDir) close() {}

type statInfo struct{}

func (*lstatDir) lstatAt(abs string, _ *statInfo) (fs.FileInfo, error) { return os.Lstat(abs) }
