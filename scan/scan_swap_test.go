//go:build unix

package scan_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/scan"
)

// A file swapped after the manifest checked it, before the scan reads it
// (issue 12 defect 2): plan reads asset files through package assetfile
// too, so a named pipe is refused at once instead of blocking the scan,
// and a symlink to a file outside the manifest directory is not hashed.
func TestScanRefusesFilesSwappedAfterTheManifestCheck(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(outside, testenv.PNG(1000, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		swap func(path string) error
		want string
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "media/01.png is not a regular file (it is a named pipe)"},
		{"symlink_outside", func(p string) error { return os.Symlink(outside, p) }, "media/01.png leads outside the manifest directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, chk := loadChecked(t, cacheWorkspace(t, 3).Path)
			target := m.Asset("pics/01.png")
			if err := os.Remove(target.Path); err != nil {
				t.Fatal(err)
			}
			if err := tc.swap(target.Path); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// Checked: the Stat the manifest check took says "regular
			// file"; only the open itself can tell.
			r, err := scan.Files(ctx, m, scan.Options{Checked: chk})
			if ctx.Err() != nil {
				t.Fatal("the scan blocked")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, new(*assetfile.Error)) {
				t.Fatalf("Files error = %v; want an *assetfile.Error saying %q", err, tc.want)
			}
			if _, ok := r.Facts[target.Name]; ok || len(r.Facts) != 2 {
				t.Errorf("facts = %v; want the two other files only", r.Facts)
			}
		})
	}
}
