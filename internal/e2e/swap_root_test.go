package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSwapSymlinkOutside is issue 12 defect 2: b's file is replaced by a
// symlink to a file outside the manifest directory. The outside file has
// the planned content, so only the refusal to leave the directory can
// stop its upload.
func TestSwapSymlinkOutside(t *testing.T) {
	t.Parallel()
	w := newSwapWS(t, "image", baseSeed*1000+100)
	outside := filepath.Join(t.TempDir(), "secret.png")
	data, err := os.ReadFile(w.Path(w.rel("b")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p := w.applyWhile(t, func() {
		if err := os.Remove(w.Path(w.rel("b"))); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(outside, w.Path(w.rel("b"))); err != nil {
			t.Error(err)
		}
	})
	w.checkRefused(t, p, w.shaOf["b"], "media/b.png", "outside the manifest directory", "Then run plan again")
}

// TestSwapFIFO is issue 12 defect 2: b's file is replaced by a named pipe
// that nothing writes to. Before the fix apply blocked opening it forever.
func TestSwapFIFO(t *testing.T) {
	t.Parallel()
	w := newSwapWS(t, "image", baseSeed*1000+200)
	p := w.applyWhile(t, func() {
		if err := os.Remove(w.Path(w.rel("b"))); err != nil {
			t.Error(err)
		}
		if err := syscall.Mkfifo(w.Path(w.rel("b")), 0o644); err != nil {
			t.Error(err)
		}
	})
	w.checkRefused(t, p, w.shaOf["b"], "media/b.png", "not a regular file", "Then run plan again")
}
