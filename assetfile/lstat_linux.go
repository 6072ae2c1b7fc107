//go:build linux

package assetfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lstatDir is a directory opened for lstatAt, or nil where it could not be
// opened (then each file is stat'ed by its whole path, which reports the
// error as os.Lstat words it).
type lstatDir struct{ fd int }

func openLstatDir(dir string) *lstatDir {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &lstatDir{fd: fd}
}

func (d *lstatDir) close() {
	if d != nil {
		unix.Close(d.fd)
	}
}

// lstatAt is os.Lstat(abs) for a file in d: one fstatat of the base name
// relative to the open directory (the kernel walks one path component,
// not all of them), into *into, which the returned FileInfo is (no
// allocation per file).
func (d *lstatDir) lstatAt(abs string, into *statInfo) (fs.FileInfo, error) {
	if d == nil {
		return os.Lstat(abs)
	}
	name := filepath.Base(abs)
	var st unix.Stat_t
	for {
		err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: abs, Err: err}
		}
		break
	}
	*into = statInfo{name: name, size: st.Size, mode: uint32(st.Mode), ino: uint64(st.Ino),
		mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), ctime: int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec)}
	return into, nil
}

// statInfo is the fs.FileInfo of an lstatAt, as os.Lstat would return it,
// less what nothing reads: Sys is nil, and CtimeIno gives the stat cache
// what it would take from Sys.
type statInfo struct {
	name         string
	size         int64
	mtime, ctime int64 // ns since the Unix epoch
	ino          uint64
	mode         uint32
}

func (fi *statInfo) Name() string       { return fi.name }
func (fi *statInfo) Size() int64        { return fi.size }
func (fi *statInfo) ModTime() time.Time { return time.Unix(0, fi.mtime) }
func (fi *statInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *statInfo) Sys() any           { return nil }

// CtimeIno returns the status change time (ns since the Unix epoch) and
// the inode number (see statcache.FromFileInfo).
func (fi *statInfo) CtimeIno() (int64, uint64) { return fi.ctime, fi.ino }

// Mode converts the mode bits as package os does.
func (fi *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.mode & 0o777)
	switch fi.mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if fi.mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if fi.mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if fi.mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
