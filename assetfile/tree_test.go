package assetfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/statcache"
)

// mixedTree makes a directory holding every kind of entry a glob can
// meet: files, directories (nested, empty, symlinked), symlinks to files,
// a dangling symlink, a named pipe, and more entries than one getdents
// buffer holds.
func mixedTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"a/x.png", "a/b/y.PNG", "a/b/c/z.png", "d/w.jpg", ".hidden/h.png", "top.png"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1500 {
		name := fmt.Sprintf("many/%04d-a-rather-long-file-name-to-fill-the-buffer.png", i)
		if err := os.MkdirAll(filepath.Join(dir, "many"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"a/link.png": "x.png", "dirlink": "a", "a/dangling.png": "nowhere.png"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "pipe.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGlobMatchesDoublestar: Tree.Glob (which reads directories its own
// way on Linux) matches exactly what doublestar matches over os.DirFS,
// `**` not following symlinked directories, for every kind of entry.
func TestGlobMatchesDoublestar(t *testing.T) {
	dir := mixedTree(t)
	tree := assetfile.NewTree(dir, nil)
	for _, pattern := range []string{"**", "**/*", "**/*.[pP][nN][gG]", "a/**/*.png", "a/*", "*/*.png", "many/*.png", "{a,d}/**", "dirlink/*", "nowhere/**", "empty/**", "a/b/c/z.png", "**/.hidden/*"} {
		got, err := tree.Glob(pattern)
		if err != nil {
			t.Fatalf("Glob(%q): %v", pattern, err)
		}
		want, err := doublestar.Glob(os.DirFS(dir), pattern, doublestar.WithNoFollow())
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Glob(%q) = %d matches %.200q, doublestar %d matches %.200q", pattern, len(got), got, len(want), want)
		}
	}
}

// TestStatMatchesLstat: what Tree.Stat reports of each file (stat'ed
// relative to its directory on Linux) is what os.Lstat and os.Stat say,
// to the statcache.Stat that decides whether a file is re-hashed.
func TestStatMatchesLstat(t *testing.T) {
	dir := mixedTree(t)
	rel := []string{"a/x.png", "a/b/y.PNG", "a/link.png", "a/dangling.png", "a/pipe.png", "a/b", "missing/m.png", "a/missing.png", "dirlink/x.png", "top.png"}
	got := assetfile.NewTree(dir, nil).Stat(rel)
	for i, r := range rel {
		abs := filepath.Join(dir, filepath.FromSlash(r))
		st := got[i]
		if st.Abs != abs {
			t.Errorf("%s: Abs = %s, want %s", r, st.Abs, abs)
		}
		want, err := os.Lstat(abs)
		if (err == nil) != (st.LstatErr == nil) || err != nil && err.Error() != st.LstatErr.Error() {
			t.Errorf("%s: Lstat error %v, os.Lstat %v", r, st.LstatErr, err)
			continue
		}
		if err != nil {
			continue
		}
		if st.Lstat.Name() != want.Name() || st.Lstat.Mode() != want.Mode() || st.Lstat.Size() != want.Size() || !st.Lstat.ModTime().Equal(want.ModTime()) || st.Lstat.IsDir() != want.IsDir() {
			t.Errorf("%s: Lstat = %s %v %d %v, os.Lstat %s %v %d %v", r, st.Lstat.Name(), st.Lstat.Mode(), st.Lstat.Size(), st.Lstat.ModTime(), want.Name(), want.Mode(), want.Size(), want.ModTime())
		}
		if st.Info == nil {
			continue
		}
		info, err := os.Stat(abs)
		if err != nil {
			t.Fatal(err)
		}
		if statcache.FromFileInfo(st.Info) != statcache.FromFileInfo(info) || st.Info.Mode() != info.Mode() {
			t.Errorf("%s: Info = %+v %v, os.Stat %+v %v", r, statcache.FromFileInfo(st.Info), st.Info.Mode(), statcache.FromFileInfo(info), info.Mode())
		}
	}
	if st := statcache.FromFileInfo(got[0].Info); st.CtimeNS == 0 || st.Ino == 0 {
		t.Errorf("Tree.Stat's FileInfo gives the stat cache %+v: without ctime and inode it would vouch for nothing", st)
	}
}

// TestStatAbsIsJoin: the absolute path Tree.Stat reports is
// filepath.Join of the directory and the relative path, also for
// relative paths that need cleaning and for a tree at the root.
func TestStatAbsIsJoin(t *testing.T) {
	for _, dir := range []string{"/", t.TempDir()} {
		tree := assetfile.NewTree(dir, nil)
		rel := []string{"a.png", "x/y.png", "x/../z.png", "./w.png", "x//v.png", "."}
		for i, st := range tree.Stat(rel) {
			if want := filepath.Join(dir, filepath.FromSlash(rel[i])); st.Abs != want {
				t.Errorf("NewTree(%s).Stat(%q).Abs = %q, want %q", dir, rel[i], st.Abs, want)
			}
		}
	}
}

// TestStatRealIsEvalSymlinks: the resolved path Tree.Stat reports of each
// file (its directory resolved from its parent's, one lstat per directory)
// is what filepath.EvalSymlinks says, and Inside says whether that is in
// the tree: in nested directories, through a symlinked directory, through
// a symlinked directory pointing out of the tree, and for a tree whose own
// path goes through a symlink.
func TestStatRealIsEvalSymlinks(t *testing.T) {
	dir := mixedTree(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "o.png"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "a", "b", "out")); err != nil {
		t.Fatal(err)
	}
	via := filepath.Join(t.TempDir(), "via")
	if err := os.Symlink(dir, via); err != nil {
		t.Fatal(err)
	}
	rel := []string{"a/x.png", "a/b/y.PNG", "a/b/c/z.png", "dirlink/x.png", "dirlink/b/c/z.png", "a/b/out/o.png", "a/link.png", "top.png", "many/0001-a-rather-long-file-name-to-fill-the-buffer.png"}
	for _, root := range []string{dir, via} {
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			t.Fatal(err)
		}
		got := assetfile.NewTree(root, nil).Stat(rel)
		for i, r := range rel {
			want, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(r)))
			if err != nil {
				t.Fatal(err)
			}
			if got[i].Real != want {
				t.Errorf("tree %s, %s: Real = %s, want %s", root, r, got[i].Real, want)
			}
			in, _ := filepath.Rel(realRoot, want)
			inside := in != ".." && !strings.HasPrefix(in, ".."+string(filepath.Separator))
			isLink := got[i].Lstat != nil && got[i].Lstat.Mode()&os.ModeSymlink != 0
			if got[i].Inside && !inside || !isLink && got[i].Inside != inside {
				t.Errorf("tree %s, %s: Inside = %v; %s is inside: %v", root, r, got[i].Inside, want, inside)
			}
		}
	}
}
