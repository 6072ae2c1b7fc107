//go:build linux || openbsd || dragonfly || solaris || illumos || aix

package filestat

import (
	"io/fs"
	"syscall"
)

// CtimeIno returns fi's ctime (ns since the Unix epoch) and inode; 0, 0 where
// the platform records none or fi carries no system stat.
func CtimeIno(fi fs.FileInfo) (ctimeNS int64, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec), uint64(st.Ino)
	}
	return 0, 0
}
