//go:build !(linux || openbsd || dragonfly || solaris || illumos || aix || darwin || freebsd || netbsd || ios)

package statcache

import "io/fs"

// sysStat has no ctime or inode to offer here (Windows, Plan 9, wasm): the
// size, the mtime and the racy rule carry the check alone.
func sysStat(fs.FileInfo) (ctimeNS int64, ino uint64) { return 0, 0 }
