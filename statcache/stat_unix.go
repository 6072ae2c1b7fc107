//go:build linux || openbsd || dragonfly || solaris || illumos || aix

package statcache

import (
	"io/fs"
	"syscall"
)

func sysStat(fi fs.FileInfo) (ctimeNS int64, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec), uint64(st.Ino)
	}
	return 0, 0
}
