package statcache

import (
	"io/fs"
	"time"

	"github.com/wxmedia/wxmedia/internal/filestat"
)

// Stat is the file metadata an entry must match to be trusted.
type Stat struct {
	Size    int64
	MtimeNS int64 // modification time, ns since the Unix epoch
	CtimeNS int64 // status change time where the platform has one, else 0
	Ino     uint64
}

// FromFileInfo extracts the Stat of fi (from os.Stat or (*os.File).Stat).
func FromFileInfo(fi fs.FileInfo) Stat {
	st := Stat{Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}
	if c, ok := fi.(ctimeIno); ok {
		st.CtimeNS, st.Ino = c.CtimeIno()
	} else {
		st.CtimeNS, st.Ino = filestat.CtimeIno(fi)
	}
	return st
}

// ctimeIno is a FileInfo that gives its ctime and inode itself, not
// through Sys (package assetfile's, which keep no *syscall.Stat_t).
type ctimeIno interface {
	CtimeIno() (ctimeNS int64, ino uint64)
}

// RacySlack is how much older than the cache's Reference an entry's mtime
// must be for the entry to be trusted; see the package documentation.
const RacySlack = 2 * time.Second
