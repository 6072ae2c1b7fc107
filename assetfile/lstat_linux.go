//go:build linux

package assetfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's struct stat, as package syscall and package unix each
// declare it: lstatAt fills the one through the other.
var _ [unsafe.Sizeof(syscall.Stat_t{}) - unsafe.Sizeof(unix.Stat_t{})]byte
var _ [unsafe.Sizeof(unix.Stat_t{}) - unsafe.Sizeof(syscall.Stat_t{})]byte

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
// not all of them), into *into, which the returned FileInfo points to
// (no allocation per file).
func (d *lstatDir) lstatAt(abs string, into *statInfo) (fs.FileInfo, error) {
	if d == nil {
		return os.Lstat(abs)
	}
	name := filepath.Base(abs)
	for {
		err := unix.Fstatat(d.fd, name, (*unix.Stat_t)(unsafe.Pointer(&into.sys)), unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: abs, Err: err}
		}
		break
	}
	into.name = name
	return into, nil
}

// statInfo is the fs.FileInfo of an lstatAt, as os.Lstat would return it;
// Sys is the *syscall.Stat_t.
type statInfo struct {
	name string
	sys  syscall.Stat_t
}

func (fi *statInfo) Name() string       { return fi.name }
func (fi *statInfo) Size() int64        { return fi.sys.Size }
func (fi *statInfo) ModTime() time.Time { return time.Unix(fi.sys.Mtim.Unix()) }
func (fi *statInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *statInfo) Sys() any           { return &fi.sys }

// Mode converts the mode bits as package os does.
func (fi *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.sys.Mode & 0o777)
	switch fi.sys.Mode & syscall.S_IFMT {
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
	if fi.sys.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if fi.sys.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if fi.sys.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
