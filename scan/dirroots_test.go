//go:build unix

package scan

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/wxmedia/wxmedia/assetfile"
)

// TestDirRootsOpensAsAssetfileOpen: opening through a root per directory
// opens the same files as assetfile.Open through the manifest directory's
// root, and refuses the same ones with the same message: a symlink to a
// sibling directory (inside), one leading outside, a named pipe, a
// directory, a missing file, more directories than it keeps open.
func TestDirRootsOpensAsAssetfileOpen(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.png")
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("top.png", "top")
	write("a/b/deep.png", "deep")
	write("c/sibling.png", "sibling")
	link("../c/sibling.png", "a/up.png")
	link("sibling.png", "c/same.png")
	link(filepath.Join(dir, "c", "sibling.png"), "a/abs.png")
	link(outside, "a/out.png")
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "pipe.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	rels := []string{"top.png", "a/b/deep.png", "c/sibling.png", "a/up.png", "c/same.png", "a/abs.png",
		"a/out.png", "a/pipe.png", "a/b", "a/missing.png", "nodir/missing.png", "a/../top.png"}
	for i := range maxDirRoots + 10 {
		rel := fmt.Sprintf("many/%03d/f.png", i)
		write(rel, rel)
		rels = append(rels, rel)
	}
	root, err := assetfile.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	dirs := newDirRoots(root)
	defer dirs.close()
	read := func(f *os.File, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		defer f.Close()
		var b bytes.Buffer
		if _, err := io.Copy(&b, f); err != nil {
			return "read error: " + err.Error()
		}
		return b.String()
	}
	for _, rel := range rels {
		got, want := read(dirs.open(rel)), read(assetfile.Open(root, rel))
		if got != want {
			t.Errorf("%s: through its directory %q, through the root %q", rel, got, want)
		}
	}
	open := 0
	for _, sub := range dirs.dirs {
		if sub != nil {
			open++
		}
	}
	if open > maxDirRoots {
		t.Errorf("%d directories kept open; want at most %d", open, maxDirRoots)
	}
}
