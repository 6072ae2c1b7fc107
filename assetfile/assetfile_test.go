package assetfile_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/wxmedia/wxmedia/assetfile"
)

// TestOpen opens what a manifest directory may hold at upload time,
// through an os.Root at it: what the manifest allows opens, everything
// else is refused with a message naming the file, without reading it.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
	}
	write(filepath.Join(dir, "media/a.png"), "inside")
	write(filepath.Join(outside, "secret.png"), "outside")
	link("a.png", filepath.Join(dir, "media/rel.png"))
	link(filepath.Join(dir, "media/a.png"), filepath.Join(dir, "media/abs.png"))
	link(filepath.Join(outside, "secret.png"), filepath.Join(dir, "media/out.png"))
	link("../../"+filepath.Base(outside)+"/secret.png", filepath.Join(dir, "media/outrel.png"))
	link(outside, filepath.Join(dir, "linkdir"))
	link(filepath.Join(outside, "missing.png"), filepath.Join(dir, "media/dangling-out.png"))
	if runtime.GOOS != "windows" {
		if err := syscall.Mkfifo(filepath.Join(dir, "media/fifo.png"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	for _, tc := range []struct {
		rel  string
		want string // content, or the error's text
		ok   bool
	}{
		{"media/a.png", "inside", true},
		{"media/rel.png", "inside", true},
		// The manifest allows a symlink whose target is inside; os.Root
		// follows one given as an absolute path when it stays inside.
		{"media/abs.png", "inside", true},
		{"media/out.png", "media/out.png leads outside the manifest directory (to " + filepath.Join(outside, "secret.png") + ")", false},
		{"linkdir/secret.png", "linkdir/secret.png", false},
		{"media/dangling-out.png", "media/dangling-out.png leads outside the manifest directory", false},
		// Out and back in: os.Root refuses the "..", but the place is
		// inside (the manifest never plans such a path anyway).
		{"../" + filepath.Base(dir) + "/media/a.png", "inside", true},
		{"../" + filepath.Base(outside) + "/secret.png", "leads outside the manifest directory", false},
		{"media/fifo.png", "media/fifo.png is not a regular file (it is a named pipe); name a regular file inside the manifest directory", false},
		{"media", "media is not a regular file (it is a directory)", false},
		{"media/gone.png", "cannot read media/gone.png: no such file or directory; check that it exists and this user can read it", false},
	} {
		if tc.rel == "media/fifo.png" && runtime.GOOS == "windows" {
			continue
		}
		t.Run(tc.rel, func(t *testing.T) {
			f, err := assetfile.Open(root, tc.rel)
			if tc.ok {
				if err != nil {
					t.Fatalf("Open(%q) = %v", tc.rel, err)
				}
				defer f.Close()
				got, err := io.ReadAll(f)
				if err != nil || string(got) != tc.want {
					t.Errorf("read %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			var ae *assetfile.Error
			if f != nil || !errors.As(err, &ae) || ae.File != tc.rel || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%q) = %v, %v; want an *assetfile.Error saying %q", tc.rel, f, err, tc.want)
			}
			if strings.Contains(err.Error(), "outside") && !strings.Contains(err.Error(), "replace the link with the file itself") {
				t.Errorf("error %q does not say what to do", err)
			}
		})
	}
	if _, err := assetfile.Open(root, "media/gone.png"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, does not wrap fs.ErrNotExist", err)
	}
}
