//go:build !(linux || openbsd || dragonfly || solaris || illumos || aix || darwin || freebsd || netbsd || ios)

package filestat

import "io/fs"

// CtimeIno has no ctime or inode to offer here (Windows, Plan 9, wasm):
// callers' checks rest on the size and the mtime alone.
func CtimeIno(fs.FileInfo) (ctimeNS int64, ino uint64) { return 0, 0 }
