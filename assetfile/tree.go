package assetfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxmedia/wxmedia/mediatype"
)

// Tree looks at the files of a manifest directory for the manifest's
// checks: glob matches, stat data and first bytes. It reads no file beyond
// its first mediatype.HeadSize bytes. The scan stage (package scan) hands
// the manifest parser a Tree that trusts the stat cache and remembers
// what it found; package manifest itself never touches the file system
// for asset files.
type Tree struct {
	dir, realDir string
	// known, when set, vouches that the file at rel with Stat fi is
	// readable as it is now (the stat cache read it with the same stat
	// data), so it is not opened. It is called concurrently.
	known func(rel string, fi fs.FileInfo) bool
	// realDirs caches filepath.EvalSymlinks of the directories holding
	// asset files; "" when it failed.
	realDirs map[string]*realDir
	// resolved caches resolveDir's answers for directories under dir.
	resolved map[string]string
	// cleanDir: dir is absolute, clean and not the root, so joining a
	// clean relative path to it needs no cleaning (see abs).
	cleanDir bool
}

// NewTree returns the Tree of the absolute directory dir. known, when not
// nil, vouches for files that need not be opened to prove them readable
// (see statcache.Cache.Vouches); it is called concurrently.
func NewTree(dir string, known func(rel string, fi fs.FileInfo) bool) *Tree {
	t := &Tree{dir: dir, known: known}
	// Where the separator is '/' (rel is slash-separated: on Windows it
	// may still hold a '\' that Join would clean); not at the root, which
	// ends in a separator.
	t.cleanDir = filepath.Separator == '/' && filepath.IsAbs(dir) && filepath.Clean(dir) == dir && dir != "/"
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		t.realDir = real
	}
	return t
}

// RealDir is the directory with symlinks resolved, "" when it does not
// resolve (it does not exist).
func (t *Tree) RealDir() string { return t.realDir }

// Glob returns the slash-separated paths, relative to the directory, that
// the doublestar pattern matches, in the order fs.Glob returns them. `**`
// does not descend into symlinked directories.
func (t *Tree) Glob(pattern string) ([]string, error) {
	return doublestar.Glob(newGlobFS(t.dir), pattern, doublestar.WithNoFollow())
}

// Names lists (up to 10,000 of) the names in the directory dir
// (slash-separated, relative), for suggesting a close name.
func (t *Tree) Names(dir string) ([]string, error) {
	d, err := os.Open(filepath.Join(t.dir, filepath.FromSlash(dir)))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(10000)
	if err != nil && len(names) == 0 {
		return nil, err
	}
	return names, nil
}

// Stat is what Tree.Stat found about one asset file.
type Stat struct {
	Abs      string      // the path as written, absolute
	Lstat    fs.FileInfo // os.Lstat of the path as written
	LstatErr error
	Real     string // the path with symlinks resolved
	// Inside: Real is known to be inside the manifest directory (it is
	// not a symlink, and its directory resolves to inside).
	Inside  bool
	RealErr error
	Info    fs.FileInfo // os.Stat of Real
	StatErr error
	ReadErr error // opening Real, tried only for a non-empty regular file
	// Head is the file's first bytes, nil when the known function vouched
	// for the file (whose bytes then passed the sniff when it was cached).
	Head []byte
	// Vouched: the known function vouched for the file, so it was not
	// opened.
	Vouched bool
}

// IsDir reports a path that resolves to a directory, which a glob skips.
func (st *Stat) IsDir() bool {
	return st.LstatErr == nil && st.RealErr == nil && st.StatErr == nil && st.Info.IsDir()
}

// StatParallelMin is the number of files per goroutine from which Stat
// spreads the work over goroutines. It is a variable for tests.
var StatParallelMin = 16

// Stat looks at each file rel (relative to the directory, slash-separated):
// Lstat, symlinks resolved, Stat, and for non-empty regular files whether
// they are readable, unless the known function vouches for them (a warm
// plan does not open the files the stat cache vouches for, so without this
// an unreadable file would surface only in apply). Reading a file's first
// bytes proves it readable and lets its content be sniffed with every
// other problem.
//
// For a path that is not itself a symlink the resolved path is its
// directory's, resolved once per directory, joined to its base name, and
// the Lstat serves as the Stat: on Unix two system calls per file (lstat,
// access) instead of an lstat per path component, a stat, an open and a
// close (an open and a short read for a file the cache does not vouch
// for, which a plan then hashes anyway). Files are looked at by up to
// 2×GOMAXPROCS goroutines.
func (t *Tree) Stat(rel []string) []Stat {
	out := make([]Stat, len(rel))
	abs := make([]string, len(rel))
	// Work comes in units of up to statUnit files of one directory, which
	// a worker stats relative to the directory opened once (see lstatAt).
	var units []statWork
	open := map[string]int{} // the unit still taking files, by directory
	last := -1               // the unit the previous file went to
	for i, r := range rel {
		abs[i] = t.abs(r)
		dir := parentDir(abs[i])
		u := last
		if u < 0 || units[u].dir != dir || len(units[u].files) == statUnit {
			var ok bool
			if u, ok = open[dir]; !ok || len(units[u].files) == statUnit {
				u = len(units)
				units = append(units, statWork{dir: dir, parent: t.realParent(dir)})
				open[dir] = u
			}
		}
		last = u
		units[u].files = append(units[u].files, i)
	}
	one := func(w *statWork, d *lstatDir, i int, into *statInfo) {
		out[i] = statFile(d, abs[i], w.dir, w.parent.real, into)
		st := &out[i]
		st.Abs = abs[i]
		st.Inside = st.Real != "" && st.Lstat.Mode()&fs.ModeSymlink == 0 && w.parent.inside
		if st.Info != nil && st.Info.Mode().IsRegular() && st.Info.Size() > 0 {
			if t.known != nil && t.known(rel[i], st.Info) {
				st.Vouched = true
			} else {
				st.Head, st.ReadErr = readHead(st.Real)
			}
		}
	}
	unit := func(w *statWork) {
		d := openLstatDir(w.dir)
		defer d.close()
		infos := make([]statInfo, len(w.files))
		for k, i := range w.files {
			one(w, d, i, &infos[k])
		}
	}
	workers := min(len(rel)/StatParallelMin, 2*runtime.GOMAXPROCS(0), len(units))
	if workers <= 1 {
		for k := range units {
			unit(&units[k])
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(units); k = int(next.Add(1) - 1) {
				unit(&units[k])
			}
		})
	}
	wg.Wait()
	return out
}

// statUnit is the most files of one directory a worker takes at once.
const statUnit = 256

// statWork is a unit of Stat's work: files (indexes) of the directory dir,
// which resolves to parent.
type statWork struct {
	dir    string
	parent *realDir
	files  []int
}

// parentDir is filepath.Dir of the clean absolute path abs.
func parentDir(abs string) string {
	if i := strings.LastIndexByte(abs, filepath.Separator); i > 0 && filepath.Separator == '/' {
		return abs[:i]
	}
	return filepath.Dir(abs)
}

// abs returns the absolute path of rel (slash-separated, relative).
func (t *Tree) abs(rel string) string {
	if rel != "" && rel != "." && path.Clean(rel) == rel && !strings.HasPrefix(rel, "../") && rel != ".." && !path.IsAbs(rel) && t.cleanDir {
		// What filepath.Join returns, without cleaning again.
		return t.dir + "/" + rel
	}
	return filepath.Join(t.dir, filepath.FromSlash(rel))
}

// realDir is a directory holding asset files, with symlinks resolved.
type realDir struct {
	real   string // "" when resolving failed
	inside bool   // real is inside the manifest directory (resolved)
}

// realParent resolves dir, caching the answer.
func (t *Tree) realParent(dir string) *realDir {
	if r, ok := t.realDirs[dir]; ok {
		return r
	}
	if t.realDirs == nil {
		t.realDirs = map[string]*realDir{}
	}
	r := &realDir{}
	if real, err := t.resolveDir(dir); err == nil {
		r.real = real
		if t.realDir != "" {
			rel, err := filepath.Rel(t.realDir, real)
			r.inside = err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
		}
	}
	t.realDirs[dir] = r
	return r
}

// resolveDir is filepath.EvalSymlinks(dir) for a directory under the tree's:
// where its parent is resolved and it is not itself a symlink, that is the
// parent's resolution joined to its name, so each directory on the way
// down costs one lstat, not one per path component (a glob's 100
// directories: ~100 system calls instead of ~500). Anything else is
// resolved by EvalSymlinks.
func (t *Tree) resolveDir(dir string) (string, error) {
	if dir == t.dir && t.realDir != "" {
		return t.realDir, nil
	}
	if !t.cleanDir || t.realDir == "" || !strings.HasPrefix(dir, t.dir+"/") {
		return filepath.EvalSymlinks(dir)
	}
	if real, ok := t.resolved[dir]; ok {
		return real, nil
	}
	parent := parentDir(dir)
	preal, err := t.resolveDir(parent)
	if err != nil {
		return filepath.EvalSymlinks(dir)
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		// A symlink, gone, or not a directory: as EvalSymlinks says.
		return filepath.EvalSymlinks(dir)
	}
	real := preal + "/" + dir[len(parent)+1:]
	if preal == "/" {
		real = "/" + dir[len(parent)+1:]
	}
	if t.resolved == nil {
		t.resolved = map[string]string{}
	}
	t.resolved[dir] = real
	return real, nil
}

// statFile fills a Stat for abs, whose directory dir is open as d and
// resolves to realParent ("" if unknown), all but ReadErr and Head. The Lstat is
// kept in *into.
func statFile(d *lstatDir, abs, dir, realParent string, into *statInfo) (st Stat) {
	if st.Lstat, st.LstatErr = d.lstatAt(abs, into); st.LstatErr != nil {
		return st
	}
	if st.Lstat.Mode()&fs.ModeSymlink == 0 && realParent != "" {
		st.Real, st.Info = abs, st.Lstat
		if dir != realParent {
			st.Real = filepath.Join(realParent, filepath.Base(abs))
		}
	} else {
		if st.Real, st.RealErr = filepath.EvalSymlinks(abs); st.RealErr != nil {
			return st
		}
		if st.Info, st.StatErr = os.Stat(st.Real); st.StatErr != nil {
			return st
		}
	}
	return st
}

// readHead opens the file at path and returns its first mediatype.HeadSize
// bytes: that proves it readable and lets validate sniff its content
// without hashing it.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, mediatype.HeadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}
