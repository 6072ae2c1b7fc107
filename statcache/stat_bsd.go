//go:build darwin || freebsd || netbsd || ios

package statcache

import (
	"io/fs"
	"syscall"
)

func sysStat(fi fs.FileInfo) (ctimeNS int64, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Ctimespec.Sec)*1e9 + int64(st.Ctimespec.Nsec), uint64(st.Ino)
	}
	return 0, 0
}
