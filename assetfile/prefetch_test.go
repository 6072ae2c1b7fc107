//go:build linux

package assetfile_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/statcache"
)

// prefetchOn makes the early stats of a Glob deterministic for the test
// (every directory queued is stat'ed before Glob returns) and restores
// the defaults after.
func prefetchOn(t *testing.T) {
	t.Helper()
	assetfile.SetPrefetchDrain(true)
	t.Cleanup(func() {
		assetfile.SetPrefetchDrain(false)
		assetfile.SetGlobListed(nil)
	})
}

// serial is what a Tree says of pattern without stat'ing ahead: Glob,
// then Stat of the sorted matches.
func serial(t *testing.T, dir, pattern string, known func(string, fs.FileInfo) bool) ([]string, []assetfile.Stat) {
	t.Helper()
	max := assetfile.StatPrefetchMax
	assetfile.StatPrefetchMax = 0
	defer func() { assetfile.StatPrefetchMax = max }()
	tree := assetfile.NewTree(dir, known)
	m, err := tree.Glob(pattern)
	if err != nil {
		t.Fatalf("Glob(%q): %v", pattern, err)
	}
	if n := assetfile.Prefetched(tree); n != 0 {
		t.Fatalf("StatPrefetchMax 0: %d files stat'ed ahead", n)
	}
	slices.Sort(m)
	return m, tree.Stat(m)
}

// withPrefetch is serial with the files stat'ed ahead during the glob;
// it also returns how many were.
func withPrefetch(t *testing.T, dir, pattern string, known func(string, fs.FileInfo) bool) ([]string, []assetfile.Stat, int) {
	t.Helper()
	tree := assetfile.NewTree(dir, known)
	m, err := tree.Glob(pattern)
	if err != nil {
		t.Fatalf("Glob(%q): %v", pattern, err)
	}
	n := assetfile.Prefetched(tree)
	slices.Sort(m)
	return m, tree.Stat(m), n
}

// statDiff describes how two Stats differ ("" when they do not): every
// field, FileInfos by what package os and the stat cache read of them,
// errors by their text.
func statDiff(a, b *assetfile.Stat) string {
	info := func(fi fs.FileInfo) string {
		if fi == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%s %v %d %v %+v", fi.Name(), fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), statcache.FromFileInfo(fi))
	}
	errText := func(err error) string {
		if err == nil {
			return "<nil>"
		}
		return err.Error()
	}
	var d []string
	diff := func(what, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %q != %q", what, x, y))
		}
	}
	diff("Abs", a.Abs, b.Abs)
	diff("Lstat", info(a.Lstat), info(b.Lstat))
	diff("LstatErr", errText(a.LstatErr), errText(b.LstatErr))
	diff("Real", a.Real, b.Real)
	diff("Inside", fmt.Sprint(a.Inside), fmt.Sprint(b.Inside))
	diff("RealErr", errText(a.RealErr), errText(b.RealErr))
	diff("Info", info(a.Info), info(b.Info))
	diff("StatErr", errText(a.StatErr), errText(b.StatErr))
	diff("ReadErr", errText(a.ReadErr), errText(b.ReadErr))
	if !bytes.Equal(a.Head, b.Head) || (a.Head == nil) != (b.Head == nil) {
		d = append(d, fmt.Sprintf("Head %q != %q", a.Head, b.Head))
	}
	return strings.Join(d, "; ")
}

// vouchX vouches for the files whose base name holds an x, as a stat cache
// would: the others' first bytes are read.
func vouchX(rel string, _ fs.FileInfo) bool { return strings.Contains(filepath.Base(rel), "x") }

// TestPrefetchSameAsSerial: what Glob and Stat report with the files
// stat'ed ahead during the glob is exactly what they report without, in
// the same order, over a tree with files, symlinks to files inside and
// out, dangling symlinks, a named pipe, directories (plain, symlinked,
// named like matches), an empty file, an unreadable file, and a directory
// with more entries than one getdents buffer holds.
func TestPrefetchSameAsSerial(t *testing.T) {
	prefetchOn(t)
	dir := mixedTree(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "o.png"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"a/b/out": outside, "a/out.png": filepath.Join(outside, "o.png"), "a/b/c/xdir.png": ".."} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "a", "dir.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b", "empty.png"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "a", "b", "locked.png")
	if err := os.WriteFile(locked, []byte("\x89PNG locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(locked); err == nil {
		t.Log("running as root: the unreadable file is readable")
	}
	patterns := []string{"**/*.[pP][nN][gG]", "**", "a/**/*.png", "a/*", "*.png", "many/*.png", "{a,d}/**/*.{png,jpg}", "a/b/*/*", "dirlink/*", "a/b/out/*", "**/.hidden/*", "nowhere/**/*.png", "a/[bd]/*.png"}
	total := 0
	for _, known := range []func(string, fs.FileInfo) bool{nil, vouchX} {
		for _, pattern := range patterns {
			want, wantSt := serial(t, dir, pattern, known)
			got, gotSt, n := withPrefetch(t, dir, pattern, known)
			total += n
			if !slices.Equal(got, want) {
				t.Fatalf("Glob(%q) = %q with early stats, %q without", pattern, got, want)
			}
			for i := range got {
				if d := statDiff(&gotSt[i], &wantSt[i]); d != "" {
					t.Errorf("Glob(%q), %s: with early stats %s", pattern, got[i], d)
				}
			}
			if n > len(got) {
				t.Errorf("Glob(%q): %d files stat'ed ahead, more than its %d matches", pattern, n, len(got))
			}
		}
	}
	if total == 0 {
		t.Fatal("no file was stat'ed ahead: the test compares nothing")
	}
}

// TestPrefetchTakenOnce: the files a Glob stat'ed ahead serve the Stat
// after it only: a second Stat stats again, and sees a change made in
// between.
func TestPrefetchTakenOnce(t *testing.T) {
	prefetchOn(t)
	dir := mixedTree(t)
	tree := assetfile.NewTree(dir, nil)
	m, err := tree.Glob("a/*.png")
	if err != nil {
		t.Fatal(err)
	}
	if n := assetfile.Prefetched(tree); n == 0 {
		t.Fatal("nothing stat'ed ahead")
	}
	slices.Sort(m)
	first := tree.Stat(m)
	if n := assetfile.Prefetched(tree); n != 0 {
		t.Fatalf("%d files still held after the Stat", n)
	}
	i := slices.Index(m, "a/x.png")
	if i < 0 || first[i].Info == nil || first[i].Info.Size() != 1 {
		t.Fatalf("a/x.png: %+v", first[i])
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "x.png"), []byte("longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again := tree.Stat(m); again[i].Info == nil || again[i].Info.Size() != 6 {
		t.Errorf("the second Stat of a/x.png says %+v; it was rewritten with 6 bytes", again[i].Info)
	}
}

// TestPrefetchUncleanRel: a Stat after a Glob of paths that name files
// stat'ed ahead in other spellings ("./x", "a//x", "a/./x", "b/../a/x")
// reports what Stat reports of them on its own: their Abs joined and
// cleaned, and the known function asked about them as spelled.
func TestPrefetchUncleanRel(t *testing.T) {
	prefetchOn(t)
	dir := mixedTree(t)
	rel := []string{"./top.png", "top.png", "./top.png", "a//x.png", "a/./x.png", "d/../a/x.png", "a/x.png", "a/x.png/", "a/x.png", "./a/x.png"}
	var mu sync.Mutex // the workers stat'ing ahead ask too
	var asked []string
	known := func(rel string, _ fs.FileInfo) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, rel)
		return rel == "a/x.png" || rel == "top.png"
	}
	tree := assetfile.NewTree(dir, known)
	if _, err := tree.Glob("**/*.png"); err != nil {
		t.Fatal(err)
	}
	if assetfile.Prefetched(tree) == 0 {
		t.Fatal("nothing stat'ed ahead")
	}
	got := tree.Stat(rel)
	want := assetfile.NewTree(dir, known).Stat(rel)
	for i, r := range rel {
		if d := statDiff(&got[i], &want[i]); d != "" {
			t.Errorf("%q: %s", r, d)
		}
	}
	slices.Sort(asked)
	for _, r := range []string{"./top.png", "a//x.png", "a/./x.png", "d/../a/x.png"} {
		if _, ok := slices.BinarySearch(asked, r); !ok {
			t.Errorf("the known function was not asked about %q as spelled (asked %q)", r, asked)
		}
	}
}

// TestPrefetchFileRemovedAfterListing: a file removed after the glob
// listed its directory (before any early stat) is reported gone, as Stat
// reports it on its own.
func TestPrefetchFileRemovedAfterListing(t *testing.T) {
	prefetchOn(t)
	dir := mixedTree(t)
	assetfile.SetGlobListed(func(rel string) {
		if rel == "a" {
			if err := os.Remove(filepath.Join(dir, "a", "x.png")); err != nil {
				t.Error(err)
			}
		}
	})
	got, st, n := withPrefetch(t, dir, "a/*.png", nil)
	assetfile.SetGlobListed(nil)
	if n == 0 {
		t.Fatal("nothing stat'ed ahead")
	}
	i := slices.Index(got, "a/x.png")
	if i < 0 {
		t.Fatalf("the glob lists %q, not a/x.png, which it read before the removal", got)
	}
	if !os.IsNotExist(st[i].LstatErr) {
		t.Errorf("a/x.png removed after the listing: Stat says %+v, want it not found", st[i])
	}
	// Everything else as Stat reports it on its own.
	want, wantSt := serial(t, dir, "a/*.png", nil)
	for k, r := range want {
		j := slices.Index(got, r)
		if d := statDiff(&st[j], &wantSt[k]); d != "" {
			t.Errorf("%s: %s", r, d)
		}
	}
}

// TestPrefetchFileSwappedForSymlink: a file swapped for a symlink to
// outside the tree between the glob and the Stat. The Stat reports it as
// its early stat found it (a regular file inside): a stat taken a few
// milliseconds earlier, as a swap just after Stat would be anyway. What
// still catches the swap: the next Stat, and the upload, which opens the
// file through an os.Root and refuses the link (assetfile.Open).
func TestPrefetchFileSwappedForSymlink(t *testing.T) {
	prefetchOn(t)
	dir := mixedTree(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.png")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, before := serial(t, dir, "a/*.png", nil)
	tree := assetfile.NewTree(dir, nil)
	m, err := tree.Glob("a/*.png")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	if n := assetfile.Prefetched(tree); n != len(m) {
		t.Fatalf("%d of %d matches stat'ed ahead", n, len(m))
	}
	x := filepath.Join(dir, "a", "x.png")
	if err := os.Remove(x); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, x); err != nil {
		t.Fatal(err)
	}
	got := tree.Stat(m)
	i := slices.Index(m, "a/x.png")
	if d := statDiff(&got[i], &before[i]); d != "" {
		t.Errorf("a/x.png, swapped after its early stat: %s", d)
	}
	if got[i].Inside && !strings.HasPrefix(got[i].Real, tree.RealDir()+string(filepath.Separator)) {
		t.Errorf("a/x.png: Inside, but Real %s is not in %s", got[i].Real, tree.RealDir())
	}
	if again := tree.Stat([]string{"a/x.png"})[0]; again.Inside || again.Real != secret {
		t.Errorf("a/x.png stat'ed again: Inside %v, Real %s; want the link to %s seen", again.Inside, again.Real, secret)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if f, err := assetfile.Open(root, "a/x.png"); err == nil || !strings.Contains(err.Error(), "outside the manifest directory") {
		if f != nil {
			f.Close()
		}
		t.Errorf("upload's Open of the swapped a/x.png = %v; want it refused as leading outside", err)
	}
}

// TestPrefetchDirSwappedMidGlob: directories replaced (atomically) by a
// symlink to outside the tree. One swapped while the glob runs, before it
// reads it, is listed through the link and its files are reported
// outside (Inside false, Real outside), exactly as Stat alone reports
// them. One swapped after the Glob, its files stat'ed ahead, is reported
// as it was when stat'ed (inside): a stat a few milliseconds earlier, as a
// swap just after Stat would be; the next Stat sees the link.
func TestPrefetchDirSwappedMidGlob(t *testing.T) {
	prefetchOn(t)
	dir, outside := t.TempDir(), t.TempDir()
	for _, d := range []string{filepath.Join(dir, "media", "d1"), filepath.Join(dir, "media", "d2"), filepath.Join(dir, "media", "d3"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"f1.png", "f2.png", "f3.png"} {
			if err := os.WriteFile(filepath.Join(d, f), []byte(d), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	const pattern = "media/**/*.png"
	_, before := serial(t, dir, pattern, nil)
	swap := func(d string) {
		p := filepath.Join(dir, "media", d)
		if err := os.Symlink(outside, p+".link"); err != nil {
			t.Fatal(err)
		}
		if err := unix.Renameat2(unix.AT_FDCWD, p+".link", unix.AT_FDCWD, p, unix.RENAME_EXCHANGE); err != nil {
			t.Skipf("no atomic exchange here: %v", err)
		}
	}
	assetfile.SetGlobListed(func(rel string) {
		if rel == "media/d1" {
			swap("d2")
		}
	})
	tree := assetfile.NewTree(dir, nil)
	got, err := tree.Glob(pattern)
	assetfile.SetGlobListed(nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if n := assetfile.Prefetched(tree); n != 9 || len(got) != 9 {
		t.Fatalf("glob matches %q, %d stat'ed ahead", got, n)
	}
	swap("d1")
	st := tree.Stat(got)
	// Stat alone, now that both are swapped.
	after := assetfile.NewTree(dir, nil).Stat(got)
	realOut, err := filepath.EvalSymlinks(outside)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if st[i].Inside && !strings.HasPrefix(st[i].Real, tree.RealDir()+string(filepath.Separator)) {
			t.Errorf("%s: Inside, but Real %s is not in %s", r, st[i].Real, tree.RealDir())
		}
		switch {
		case strings.HasPrefix(r, "media/d2/"):
			if d := statDiff(&st[i], &after[i]); d != "" {
				t.Errorf("%s, swapped before the glob read it: %s", r, d)
			}
			if st[i].Inside || !strings.HasPrefix(st[i].Real, realOut+string(filepath.Separator)) {
				t.Errorf("%s: Inside %v, Real %s; want outside", r, st[i].Inside, st[i].Real)
			}
		default:
			if d := statDiff(&st[i], &before[i]); d != "" {
				t.Errorf("%s, swapped after its early stat or not at all: %s", r, d)
			}
		}
		if strings.HasPrefix(r, "media/d1/") && (after[i].Inside || !strings.HasPrefix(after[i].Real, realOut+string(filepath.Separator))) {
			t.Errorf("%s stat'ed again: Inside %v, Real %s; want the link seen", r, after[i].Inside, after[i].Real)
		}
	}
}

// TestPrefetchSkipsWhatCannotMatch: a glob that walks past a huge
// directory of files that cannot match, and one whose matches sit in
// only some of the directories it lists, stat nothing ahead but its
// matches; and no more than StatPrefetchMax of those.
func TestPrefetchSkipsWhatCannotMatch(t *testing.T) {
	prefetchOn(t)
	dir := t.TempDir()
	mk := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3000 {
		mk(filepath.Join(dir, "node_modules", fmt.Sprintf("m%04d.js", i)))
		mk(filepath.Join(dir, "media", "raw", fmt.Sprintf("r%04d.png", i)))
	}
	for i := range 40 {
		mk(filepath.Join(dir, "media", "icons", fmt.Sprintf("i%02d.png", i)))
		mk(filepath.Join(dir, fmt.Sprintf("top%02d.png", i)))
	}
	for _, tc := range []struct {
		pattern string
		matches int
	}{
		{"**/*.png", 3000 + 40 + 40},
		{"*/icons/*.png", 40},
		{"**/icons/*.png", 40},
		{"node_modules/*.png", 0},
		{"*.png", 40},
	} {
		_, _, n := withPrefetch(t, dir, tc.pattern, nil)
		if n != tc.matches {
			t.Errorf("Glob(%q) stat'ed %d files ahead, want its %d matches", tc.pattern, n, tc.matches)
		}
	}
	max := assetfile.StatPrefetchMax
	assetfile.StatPrefetchMax = 100
	defer func() { assetfile.StatPrefetchMax = max }()
	if _, _, n := withPrefetch(t, dir, "**/*.png", nil); n > 100 {
		t.Errorf("StatPrefetchMax 100: %d files stat'ed ahead", n)
	}
}

// TestPrefetchLeavesNoGoroutine: the goroutines that stat ahead are done
// when Glob returns (none is still in this package's code: a goroutine
// past its WaitGroup's Done may not have exited yet, so they are not
// counted), whether or not they finished the queue, and on a glob that
// fails; Stat's own are done when it returns.
func TestPrefetchLeavesNoGoroutine(t *testing.T) {
	dir := mixedTree(t)
	tree := assetfile.NewTree(dir, nil)
	busy := func(after string) {
		t.Helper()
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "wxmedia/assetfile.") && !strings.Contains(g, "TestPrefetchLeavesNoGoroutine") {
				t.Errorf("after %s, a goroutine is still in package assetfile:\n%s", after, g)
			}
		}
	}
	for _, pattern := range []string{"**/*.png", "many/*.png", "a/[", "nowhere/*.png"} {
		for _, drain := range []bool{false, true} {
			assetfile.SetPrefetchDrain(drain)
			m, err := tree.Glob(pattern)
			assetfile.SetPrefetchDrain(false)
			busy(fmt.Sprintf("Glob(%q) = %d matches, %v", pattern, len(m), err))
			tree.Stat(m)
			busy(fmt.Sprintf("Stat of Glob(%q)", pattern))
		}
	}
}
