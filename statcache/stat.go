package statcache

import (
	"io/fs"
	"time"
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
	st.CtimeNS, st.Ino = sysStat(fi)
	return st
}

// RacySlack is how much older than the cache's Reference an entry's mtime
// must be for the entry to be trusted; see the package documentation.
const RacySlack = 2 * time.Second
