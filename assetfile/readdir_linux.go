//go:build linux

package assetfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// globFS is os.DirFS(dir) with a ReadDir that reads a directory's entries
// straight from getdents64 into one array and one string of names: os's
// ReadDir allocates two objects per entry and sorts them, and a glob over
// 10,000 files reads every entry of every directory it walks on each plan.
//
// One globFS serves one glob, on one goroutine. doublestar reads every
// directory a `**` reaches twice in a row: once to match the rest of the
// pattern against its entries, once to descend into its subdirectories
// (`media/**/*.png` over 100 directories: 200 reads). The listing just
// read is kept and served once more to the read of the same directory
// that follows it, so each directory is read once.
type globFS struct {
	fs.FS
	dir string
	// last is the listing of the directory lastName, read by the
	// ReadDir before; nil once served again.
	lastName string
	last     []fs.DirEntry
}

func newGlobFS(dir string) fs.FS { return &globFS{FS: os.DirFS(dir), dir: dir} }

func (f *globFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.last != nil && name == f.lastName {
		out := f.last
		f.last = nil
		return out, nil
	}
	f.last = nil
	out, err := f.readDir(name)
	if err == nil {
		f.lastName, f.last = name, out
	}
	return out, err
}

func (f *globFS) readDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	full := filepath.Join(f.dir, filepath.FromSlash(name))
	// Opened as os.Open would, without the *os.File (whose set-up costs a
	// few more system calls per directory); O_DIRECTORY: a glob never
	// lists anything else.
	var fd int
	for {
		var err error
		fd, err = unix.Open(full, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: full, Err: err}
		}
		break
	}
	defer unix.Close(fd)
	// The raw entries, the names and where each starts are scratch, kept
	// for the next directory; only the result is allocated.
	sc := readdirScratch.Get().(*scratch)
	defer readdirScratch.Put(sc)
	buf, ents, names := sc.buf, sc.ents[:0], sc.names[:0]
	defer func() { sc.ents, sc.names = ents, names }()
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: full, Err: err}
		}
		if n <= 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off i64, reclen u16, type u8,
			// name NUL-terminated.
			if len(b) < 19 {
				return nil, &fs.PathError{Op: "readdirent", Path: full, Err: errors.New("short directory entry")}
			}
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				return nil, &fs.PathError{Op: "readdirent", Path: full, Err: errors.New("bad directory entry length")}
			}
			rec := b[:reclen]
			b = b[reclen:]
			ino := *(*uint64)(unsafe.Pointer(&rec[0]))
			nm := rec[19:]
			for i, c := range nm {
				if c == 0 {
					nm = nm[:i]
					break
				}
			}
			if ino == 0 || string(nm) == "." || string(nm) == ".." {
				continue
			}
			typ, ok := direntType(rec[18])
			if !ok {
				// The file system does not say (DT_UNKNOWN): ask, as
				// os.ReadDir does; an entry gone meanwhile is skipped.
				var st unix.Stat_t
				if err := unix.Fstatat(fd, string(nm), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					if err == unix.ENOENT {
						continue
					}
					return nil, &fs.PathError{Op: "lstat", Path: filepath.Join(full, string(nm)), Err: err}
				}
				typ = modeType(st.Mode)
			}
			ents = append(ents, nameRef{start: uint32(len(names)), end: uint32(len(names) + len(nm)), typ: uint32(typ)})
			names = append(names, nm...)
		}
	}
	// Sorted as fs.ReadDir promises: the glob then yields its matches in
	// order, and sorting them is a check. The small ents are sorted, not
	// the entries.
	sc.tmp = sortNames(names, ents, sc.tmp)
	all := string(names)
	arr := make([]dirEntry, len(ents))
	for i, e := range ents {
		arr[i] = dirEntry{dir: full, name: all[e.start:e.end], typ: fs.FileMode(e.typ)}
	}
	out := make([]fs.DirEntry, len(arr))
	for i := range arr {
		out[i] = &arr[i]
	}
	return out, nil
}

type scratch struct {
	buf   []byte
	ents  []nameRef
	tmp   []nameRef // sortNames's
	names []byte
}

var readdirScratch = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 16<<10)} }}

func direntType(t byte) (fs.FileMode, bool) {
	switch t {
	case unix.DT_REG:
		return 0, true
	case unix.DT_DIR:
		return fs.ModeDir, true
	case unix.DT_LNK:
		return fs.ModeSymlink, true
	case unix.DT_FIFO:
		return fs.ModeNamedPipe, true
	case unix.DT_SOCK:
		return fs.ModeSocket, true
	case unix.DT_BLK:
		return fs.ModeDevice, true
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, true
	}
	return 0, false
}

func modeType(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	}
	return 0
}

// dirEntry is an entry globFS.ReadDir read.
type dirEntry struct {
	dir, name string
	typ       fs.FileMode
}

func (e *dirEntry) Name() string               { return e.name }
func (e *dirEntry) IsDir() bool                { return e.typ.IsDir() }
func (e *dirEntry) Type() fs.FileMode          { return e.typ }
func (e *dirEntry) Info() (fs.FileInfo, error) { return os.Lstat(filepath.Join(e.dir, e.name)) }
func (e *dirEntry) String() string             { return fs.FormatDirEntry(e) }
